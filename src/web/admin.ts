import express, { Request, RequestHandler, Response, Router } from 'express';
import { translator, type Translator } from '../i18n';
import { applyChanges, expiresBy, needsRetiring, retirePolicy, servedMode, toULabel, type DomainRecord, type PolicySettings } from '../policy';
import { requireAdmin, noStore } from './authorize';
import { auditOf } from './audit';
import type { PluginContext } from './context';
import { findOrThrow, notFound } from './domain';
import { HttpError, errorHandler, httpError, saveError } from './errors';
import { ASSETS_PATH, createAssetRouter } from './assets';
import { utcTime } from './guidance';
import { localeFor } from './locale';
import { FormValues, Notice, TabState, domainLabel, renderTabFragment, storedFormValues } from './tab';
import { addReportRoutes } from './reports-page';
import { addReportDownloadRoutes } from './report-files';
import { NOTICE_PARAM, signNotice, type SavedNotice } from './notice-token';
import { isSafeLink } from '../options';
import { resendPage } from './resend';
import { addOverviewRoutes } from './overview-page';
import { addHistoryRoutes } from './history-page';

const FORM_FIELDS = ['version', 'mode', 'maxAge', 'mx'] as const;

/** Fields a tab form may carry: the form has about ten; more is no browser of ours. */
export const FORM_FIELD_LIMIT = 50;
/** Fields of the overview's bulk form: a page of 200 checkboxes and the change's fields. */
const BULK_FIELD_LIMIT = 250;

/** The admin router the host mounts at `adminPath`: the tab as a page, and its form posts. */
export function createAdminRouter(ctx: PluginContext): Router {
  const router = express.Router();
  const { authorize } = ctx.options;
  // The tab's script: a public static file, so before the admin check (a domain name always has a dot, so no clash).
  router.use(ASSETS_PATH, createAssetRouter(ctx.logger));
  router.use(noStore);
  // Each route asks the host's hook first (with its domain and action), then parses its form and
  // checks the CSRF token: a refused request is answered before its body is even read.
  const form = [parseForm(FORM_FIELD_LIMIT), limitFormFields(FORM_FIELD_LIMIT), ...ctx.csrf.protect];
  // The overview's bulk form carries a checkbox per row of a page (at most 200) beside its fields.
  const bulkForm = [parseForm(BULK_FIELD_LIMIT), limitFormFields(BULK_FIELD_LIMIT), ...ctx.csrf.protect];

  // The overview, its bulk changes and defaults: before "/:domain" (their paths have no dot, so no domain clashes).
  addOverviewRoutes(router, ctx, form, bulkForm);
  addHistoryRoutes(router, ctx);

  router.get('/:domain', requireAdmin(authorize, 'read'), async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    // "Use these as MX entries" without JavaScript: the form again, its MX field filled from DNS, nothing saved.
    if (req.query.fill === 'mx') {
      const t = await tabTranslator(ctx, req, res);
      const mxDns = await ctx.service.checks.mxHosts(record.domain);
      const form = storedFormValues(record);
      if (mxDns.state === 'hosts') form.mx = mxDns.hosts.join(', ');
      const notice: Notice = { kind: 'info', text: t.t(mxDns.state === 'hosts' ? 'notice.filledMx' : 'notice.noMxToFill') };
      return showTab(ctx, req, res, record, 200, { form, mxDns, notices: [notice] });
    }
    // "Use the defaults": the form filled with the panel's defaults for a first policy, nothing saved.
    if (req.query.fill === 'defaults') {
      const t = await tabTranslator(ctx, req, res);
      const defaults = await ctx.service.policies.defaults();
      const form = {
        ...storedFormValues(record),
        mode: defaults.mode,
        maxAge: String(defaults.maxAge),
        mx: defaults.mx.map(toULabel).join(', '),
        active: true,
      };
      return showTab(ctx, req, res, record, 200, { form, notices: [{ kind: 'info', text: t.t('defaults.filled') }] });
    }
    await showTab(ctx, req, res, record, 200, {});
  });

  // A POST with the CSRF token: the check sends DNS queries and network probes, so another site
  // must not be able to start it with a link or an image. Still a plain form: no JavaScript needed.
  router.post('/:domain/dns-check', requireAdmin(authorize, 'check'), ...form, async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const admission = await ctx.limiter.admit(req);
    if (!admission.ok) {
      const t = await tabTranslator(ctx, req, res);
      const text =
        admission.reason === 'busy'
          ? t.t('notice.checksBusy', { limit: admission.limit, seconds: admission.retryAfter })
          : t.t('notice.rateLimited', { limit: admission.limit, window: Math.ceil(admission.windowMs / 1000), seconds: admission.retryAfter });
      res.setHeader('Retry-After', String(admission.retryAfter));
      return showTab(ctx, req, res, record, 429, { notices: [{ kind: 'warning', text }] });
    }
    let checked;
    try {
      checked = await ctx.service.checks.checkForTab(record);
    } finally {
      admission.release();
    }
    // The MX hosts and report settings the check read: the page shows them without reading again.
    await showTab(ctx, req, res, record, 200, { dnsCheck: checked.check, mxDns: checked.mxDns, reporting: checked.reporting });
  });

  router.post('/:domain', requireAdmin(authorize, 'write'), ...form, async (req, res) => {
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
      version: text(body.version),
      mode: text(body.mode),
      maxAge: text(body.maxAge),
      mx: text(body.mx),
      active: isChecked(changes.active),
      revision: Number(revisionText),
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
    const result = await ctx.service.policies
      .save(
        String(req.params.domain),
        (current) => {
          before = current;
          // Retiring: the stored policy in mode none with a small max_age (RFC 8461 section 8.3); what else was typed is left aside.
          return intent === 'retire' ? retirePolicy(current) : applyChanges(current, changes, 'form');
        },
        { expectedRevision: Number(revisionText), audit: await auditOf(ctx, req, 'tab') },
      )
      .catch((err: unknown) => {
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
        const notice: SavedNotice = !changed
          ? { kind: 'unchanged', id }
          : retired
            ? { kind: 'retired', id, until: expiresBy(now, previous.maxAge).toISOString() }
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

  // TLS reports: the reports page and the tab's reporting forms (./reports-page.ts).
  addReportDownloadRoutes(router, ctx);
  addReportRoutes(router, ctx, form);

  // No route matched: refused like every route to someone not allowed at all, else 404.
  router.use(requireAdmin(authorize, 'read', false), (_req, _res, next) => next(httpError(404, 'not-found', 'noSuchPage')));
  // A save refused because the login expired (401) or the form's token no longer holds (after a
  // restart or a new login: 403 CSRF) keeps what was typed: a page with the login link and the
  // values, to be put back into the form after logging in.
  router.use(resendPage(ctx));
  router.use(errorHandler(ctx.pages, ctx.logger));
  return router;
}

/** The plugin's form parser; its "too many fields" is said in words, like the check below. */
function parseForm(limit: number): RequestHandler {
  const parse = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: limit });
  return (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      next((err as { type?: string } | undefined)?.type === 'parameters.too.many' ? httpError(413, 'too-many-fields', 'tooManyFields', { limit }) : err);
    });
}

/**
 * The form field limit, enforced on what arrived: a host whose own body parser ran first (with a
 * higher limit) has already filled `req.body`, and then the plugin's parser does nothing.
 */
function limitFormFields(limit: number): RequestHandler {
  return (req, _res, next) => {
    if (countFields(req.body, limit) > limit) return next(httpError(413, 'too-many-fields', 'tooManyFields', { limit }));
    next();
  };
}

/** Values in a parsed body (each array entry and nested value counts), counting no further than just past `limit`. */
function countFields(body: unknown, limit: number): number {
  if (body === null || typeof body !== 'object') return 0;
  let count = 0;
  const stack: unknown[] = [body];
  while (stack.length > 0 && count <= limit) {
    const value = stack.pop();
    if (value !== null && typeof value === 'object') {
      for (const inner of Object.values(value as Record<string, unknown>)) {
        if (inner !== null && typeof inner === 'object') stack.push(inner);
        else count += 1;
        if (count > limit) break;
      }
    }
  }
  return count;
}

async function showTab(ctx: PluginContext, req: Request, res: Response, record: DomainRecord, status: number, state: TabState): Promise<void> {
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
    ctx.logger.error("options.tabUrl threw; the plugin's own tab page is used", err);
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
