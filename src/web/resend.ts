import express, { type ErrorRequestHandler, type Request } from 'express';
import { translator } from '../i18n';
import { isSafeLink } from '../options';
import { toALabel } from '../policy';
import type { PluginContext } from './context';
import { HttpError } from './errors';
import { localeFor } from './locale';

/** The query parameters that put values back into the tab's form (nothing is saved by them). */
export const RESTORE_PARAM = 'mta-sts-restore';
export const RESTORE_FIELDS = ['mode', 'maxAge', 'mx', 'active'] as const;
export type RestoreField = (typeof RESTORE_FIELDS)[number];
export const restoreParam = (field: RestoreField): string => `mta-sts-${field}`;

/**
 * A save that arrives after the login expired (401 from the host's `authorize`) or with a form
 * token that no longer holds (403 CSRF: the panel restarted, or the admin logged in again) is
 * not saved, but what was typed is not lost either: the page shows the values, links the host's
 * login page (`loginUrl`), and offers a GET form that puts them back into the tab's form, where a
 * fresh token is issued and one press of "Save changes" saves them. Being a GET, that form saves
 * nothing by itself, and the tab says so.
 */
export function resendPage(ctx: PluginContext): ErrorRequestHandler {
  const parse = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 });
  return (err, req, res, next) => {
    const expiredLogin = err instanceof HttpError && err.status === 401;
    const expiredForm = (err as { code?: unknown } | null)?.code === 'EBADCSRFTOKEN';
    const match = /^\/([^/]+)\/?$/.exec(req.path);
    if (req.method !== 'POST' || !(expiredLogin || expiredForm) || !match || res.headersSent) return next(err);
    let name: string;
    try {
      name = decodeURIComponent(match[1]);
    } catch {
      return next(err);
    }
    const domain = toALabel(name);
    if (domain === null) return next(err);
    const render = async () => {
      const t = translator(await localeFor(ctx.options.locale, req, res));
      const body = (req.body ?? {}) as Record<string, unknown>;
      const values: Record<RestoreField, string> = {
        mode: text(body.mode),
        maxAge: text(body.maxAge),
        mx: text(body.mx),
        active: [body.active].flat().some((v) => v === '1' || v === 'on' || v === 'true') ? '1' : '0',
      };
      const target = restoreTarget(ctx, domain);
      const content = ctx.pages.fragment('resend', {
        t: (key: Parameters<typeof t.say>[0], params?: Record<string, string | number>) => t.say(key, params),
        locale: t.locale,
        message: t.t(expiredLogin ? 'resend.expiredLogin' : 'resend.expiredForm'),
        loginUrl: loginLink(ctx, req),
        action: target.path,
        hidden: [...target.query, [RESTORE_PARAM, '1'], ...RESTORE_FIELDS.map((field) => [restoreParam(field), values[field]])],
        values,
      });
      res.status(expiredLogin ? 401 : 403);
      await ctx.pages.page(req, res, { title: t.t('resend.title'), domain, content, status: expiredLogin ? 401 : 403 });
    };
    const go = (): void => {
      render().catch(next);
    };
    if (req.body === undefined) parse(req, res, (parseErr?: unknown) => (parseErr ? next(err) : go()));
    else go();
  };
}

/** The host's login page, when `loginUrl` gives a safe link; else null (the page then says where to log in in words). */
function loginLink(ctx: PluginContext, req: Request): string | null {
  if (!ctx.options.loginUrl) return null;
  try {
    const url = ctx.options.loginUrl(req);
    if (typeof url === 'string' && isSafeLink(url)) return url;
  } catch (err) {
    ctx.logger.error('options.loginUrl threw', err);
    return null;
  }
  ctx.logger.error('options.loginUrl must give a path on this site or an http(s) URL');
  return null;
}

/** The tab's page split for a GET form: a browser drops the action's own query, so it goes into hidden fields. */
function restoreTarget(ctx: PluginContext, domain: string): { path: string; query: Array<[string, string]> } {
  const fallback = `${ctx.options.adminPath}/${encodeURIComponent(domain)}`;
  let url = fallback;
  try {
    const given = ctx.options.tabUrl(domain);
    if (typeof given === 'string' && isSafeLink(given, false)) url = given;
  } catch {
    // Logged when a save redirects there; the plugin's own page serves here.
  }
  const q = url.indexOf('?');
  if (q === -1) return { path: url, query: [] };
  return { path: url.slice(0, q), query: [...new URLSearchParams(url.slice(q + 1))] };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
