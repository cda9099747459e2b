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
import { FormValues, Notice, TabState, renderTabFragment, storedFormValues } from './tab';

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
    const result = await ctx.service.save(req.params.domain, (current) => {
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
      case 'conflict':
        return showTab(ctx, req, res, result.record, 409, { notices: [{ kind: 'warning', text: t.t('notice.conflict') }] });
      case 'saved': {
        const { record, changed } = result;
        const id = record.policy.id ?? t.t('notice.noIdYet');
        const previous = before as PolicySettings | null;
        const retired = intent === 'retire' && changed && previous !== null;
        const notices: Notice[] = [
          !changed ? { kind: 'info', text: t.t('notice.unchanged', { id }) }
            : retired ? { kind: 'success', text: t.t('notice.retired', { id, date: utcTime(expiresBy(ctx.options.now(), previous.maxAge), t) }) }
              : { kind: 'success', text: t.t('notice.saved', { id }) },
        ];
        // The guide's Step 4: testing first. Said once, right after the jump.
        if (changed && previous !== null && servedMode(previous) === 'none' && servedMode(record.policy) === 'enforce') {
          notices.push({ kind: 'warning', text: t.t('notice.skippedTesting') });
        }
        return showTab(ctx, req, res, record, 200, { notices, retiredJustNow: retired });
      }
    }
  });

  router.use((_req, _res, next) => next(httpError(404, 'not-found', 'noSuchPage')));
  router.use(errorHandler(ctx.pages, ctx.logger));
  return router;
}

async function showTab(
  ctx: PluginContext, req: Request, res: Response, record: DomainRecord, status: number,
  state: TabState,
): Promise<void> {
  const content = await renderTabFragment(ctx, req, res, record, state);
  await ctx.pages.page(req, res, { title: `MTA-STS: ${record.domain}`, domain: record.domain, content, status });
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
