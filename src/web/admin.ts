import express, { Request, Response, Router } from 'express';
import { translator, type Translator } from '../i18n';
import { applyChanges, expiresBy, needsRetiring, retiredMaxAge, servedMode, type DomainRecord, type PolicySettings } from '../policy';
import { requireAdmin, noStore } from './authorize';
import type { PluginContext } from './context';
import { findOrThrow, notFound } from './domain';
import { HttpError, errorHandler, httpError, rateLimitedError, saveError } from './errors';
import { ASSETS_PATH, createAssetRouter } from './assets';
import { utcTime } from './guidance';
import { localeFor } from './locale';
import { FormValues, Notice, TabState, domainLabel, renderTabFragment, storedFormValues } from './tab';
import { NOTICE_PARAM, signNotice, type SavedNotice } from './notice-token';
import { isSafeLink } from '../options';
import { resendPage } from './resend';

const FORM_FIELDS = ['version', 'mode', 'maxAge', 'mx'] as const;

/** The admin router the host mounts at `adminPath`: the tab as a page, and its form posts. */
export function createAdminRouter(ctx: PluginContext): Router {
  const router = express.Router();
  // The tab's script: a public static file, so before the admin check (a domain name always has a dot, so no clash).
  router.use(ASSETS_PATH, createAssetRouter(ctx.logger));
  router.use(noStore, requireAdmin(ctx.options.authorize));
  router.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 }));
  router.use(...ctx.csrf.protect);

  router.get('/:domain', async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    // "Use these as MX entries" without JavaScript: the form again, its MX field filled from DNS, nothing saved.
    if (req.query.fill === 'mx') {
      const t = await tabTranslator(ctx, req, res);
      const mxDns = await ctx.service.mxHosts(record.domain, t.locale);
      const form = storedFormValues(record);
      if (mxDns.state === 'hosts') form.mx = mxDns.hosts.join(', ');
      const notice: Notice = { kind: 'info', text: t.t(mxDns.state === 'hosts' ? 'notice.filledMx' : 'notice.noMxToFill') };
      return showTab(ctx, req, res, record, 200, { form, mxDns, notices: [notice] });
    }
    await showTab(ctx, req, res, record, 200, {});
  });

  // A GET, so the button works as a plain link or form without JavaScript, and changes nothing.
  router.get('/:domain/dns-check', async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const decision = ctx.limiter.take(req);
    if (!decision.ok) {
      const limited = rateLimitedError(decision);
      res.setHeader('Retry-After', String(limited.retryAfter));
      const t = await tabTranslator(ctx, req, res);
      const text = t.t('notice.rateLimited', { limit: decision.limit, window: Math.ceil(decision.windowMs / 1000), seconds: limited.retryAfter ?? decision.retryAfter });
      return showTab(ctx, req, res, record, 429, { notices: [{ kind: 'warning', text }] });
    }
    const check = await ctx.service.checkRecord(record, (await tabTranslator(ctx, req, res)).locale);
    await showTab(ctx, req, res, record, 200, { dnsCheck: check });
  });

  router.post('/:domain', async (req, res) => {
    const t = await tabTranslator(ctx, req, res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const changes: Record<string, unknown> = {};
    for (const field of FORM_FIELDS) if (body[field] !== undefined) changes[field] = body[field];
    // An unchecked checkbox sends nothing: absence means "not active".
    changes.active = body.active ?? '0';
    const revisionText = typeof body.revision === 'string' ? body.revision : '';
    if (!/^\d{1,10}$/.test(revisionText)) throw new HttpError(400, 'bad-form', t.t('error.badForm'));
    // The buttons of the "Turning MTA-STS off" panel; "Save changes" sends none.
    const intent = body.intent === 'retire' || body.intent === 'deactivate' ? body.intent : null;
    const typed: FormValues = {
      version: text(body.version), mode: text(body.mode), maxAge: text(body.maxAge), mx: text(body.mx),
      active: isChecked(changes.active), revision: Number(revisionText),
    };

    // Unchecking Active on a policy senders may have cached in testing or enforce would leave them
    // applying it until it expires. Nothing is saved: the page explains RFC 8461's way (mode none
    // with a new id, then remove) and offers it, beside turning it off anyway.
    if (intent === null && !typed.active) {
      const current = await findOrThrow(ctx, req.params.domain);
      if (needsRetiring(current.policy) && current.policy.revision === typed.revision) {
        const notice: Notice = { kind: 'warning', text: t.t('notice.confirmOff', { duration: t.duration(current.policy.maxAge) }) };
        return showTab(ctx, req, res, current, 200, { form: typed, confirmOff: true, notices: [notice] });
      }
    }

    let before: PolicySettings | null = null;
    const result = await ctx.service.save(req.params.domain as string, (current) => {
      before = current;
      // Retiring: the stored policy in mode none with a small max_age (RFC 8461 section 8.3); what else was typed is left aside.
      const wanted = intent === 'retire' ? { mode: 'none', active: '1', maxAge: String(retiredMaxAge(current.maxAge)) } : changes;
      return applyChanges(current, wanted, 'form');
    }, { expectedRevision: Number(revisionText) }).catch((err: unknown) => {
      throw saveError(err, ctx.logger);
    });
    switch (result.status) {
      case 'not-found':
        throw notFound();
      case 'invalid': {
        const record = await findOrThrow(ctx, req.params.domain);
        const notices: Notice[] = [{ kind: 'danger', text: t.t('notice.invalid') }];
        return showTab(ctx, req, res, record, 400, { form: typed, errors: result.errors, notices });
      }
      case 'conflict': {
        // Nothing typed is lost: the fields keep this admin's values, the other admin's stored
        // values are shown beside them, and the form now carries the new revision, so one press
        // of the button saves over it.
        const current = result.record;
        const time = current.policy.updatedAt ? utcTime(current.policy.updatedAt, t) : t.t('notice.noIdYet');
        const notice: Notice = { kind: 'warning', text: t.t('notice.conflict', { time }) };
        return showTab(ctx, req, res, current, 409, { form: { ...typed, revision: current.policy.revision }, conflict: true, notices: [notice] });
      }
      case 'saved': {
        // POST/redirect/GET: the page shown after a save is a GET, so reloading it never saves again.
        const { record, changed } = result;
        const now = ctx.options.now();
        const id = record.policy.id ?? '';
        const previous = before as PolicySettings | null;
        const retired = intent === 'retire' && changed && previous !== null;
        const notice: SavedNotice = !changed ? { kind: 'unchanged', id }
          : retired ? { kind: 'retired', id, until: expiresBy(now, previous.maxAge).toISOString() }
            : { kind: 'saved', id };
        // The guide's Step 4: testing first. Said once, right after the jump.
        if (changed && previous !== null && servedMode(previous) === 'none' && servedMode(record.policy) === 'enforce') notice.skippedTesting = true;
        const token = signNotice(ctx.options.csrf.secret, ctx.options.csrf.sessionId(req), record.domain, notice, now);
        const target = tabTarget(ctx, record.domain);
        res.redirect(303, `${target}${target.includes('?') ? '&' : '?'}${NOTICE_PARAM}=${token}`);
        return;
      }
    }
  });

  router.use((_req, _res, next) => next(httpError(404, 'not-found', 'noSuchPage')));
  // A save refused because the login expired (401) or the form's token no longer holds (after a
  // restart or a new login: 403 CSRF) keeps what was typed: a page with the login link and the
  // values, to be put back into the form after logging in.
  router.use(resendPage(ctx));
  router.use(errorHandler(ctx.pages, ctx.logger));
  return router;
}

async function showTab(
  ctx: PluginContext, req: Request, res: Response, record: DomainRecord, status: number,
  state: TabState,
): Promise<void> {
  const content = await renderTabFragment(ctx, req, res, record, state);
  await ctx.pages.page(req, res, { title: `MTA-STS: ${domainLabel(record.domain)}`, domain: record.domain, content, status });
}

/** Where a save redirects to: the host's `tabUrl(domain)` when it gives a path on this site, else the plugin's own tab page. */
export function tabTarget(ctx: PluginContext, domain: string): string {
  const fallback = `${ctx.options.adminPath}/${encodeURIComponent(domain)}`;
  let url: unknown;
  try {
    url = ctx.options.tabUrl(domain);
  } catch (err) {
    ctx.logger.error('options.tabUrl threw; the plugin\'s own tab page is used', err);
    return fallback;
  }
  if (typeof url === 'string' && isSafeLink(url, false)) return url;
  ctx.logger.error(`options.tabUrl(${domain}) must return a path on this site beginning with one "/"; the plugin's own tab page is used`);
  return fallback;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A checkbox as the form sent it (with a hidden "0" beside it, both values arrive when checked). */
function isChecked(value: unknown): boolean {
  const on = (v: unknown) => v === '1' || v === 'on' || v === 'true';
  return Array.isArray(value) ? value.some(on) : on(value);
}

async function tabTranslator(ctx: PluginContext, req: Request, res: Response): Promise<Translator> {
  return translator(await localeFor(ctx.options.locale, req, res));
}
