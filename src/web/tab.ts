// The MTA-STS tab: gathers what the page shows (the request's language and query, the MX hosts,
// the TLS reporting settings, the history's notes on senders' caches), each read once and only
// when the caller has not brought it (a DNS Check brings its MX answer and report settings), then
// hands the data to the pure view model (./tab-view.ts).
import type { Request, Response } from 'express';
import { translator, type Translator } from '../i18n';
import type { DomainRecord } from '../policy';
import { tabScriptUrl } from './assets';
import type { PluginContext } from './context';
import { utcTime } from './guidance';
import { localeFor } from './locale';
import { NOTICE_PARAM, readNotice, type SavedNotice } from './notice-token';
import { RESTORE_FIELDS, RESTORE_PARAM, restoreParam } from './resend';
import { cacheNotes } from './history-page';
import { hostInactive, storedFormValues, tabView, type FormValues, type Notice, type TabState } from './tab-view';

export { domainLabel, storedFormValues, type FormValues, type Notice, type TabState } from './tab-view';

/**
 * The notice a save's redirect carries (signed, see notice-token.ts), in words. A save of an active
 * policy for a domain the panel marks inactive is not served: the notice says so instead of "Saved".
 */
function savedNotices(notice: SavedNotice, record: DomainRecord, t: Translator): Notice[] {
  const id = notice.id || t.t('notice.noIdYet');
  const notices: Notice[] = [
    notice.kind === 'unchanged'
      ? { kind: 'info', text: t.t('notice.unchanged', { id }) }
      : notice.kind === 'retired'
        ? { kind: 'success', text: t.t('notice.retired', { id, date: utcTime(notice.until ?? new Date(), t) }) }
        : hostInactive(record)
          ? { kind: 'warning', text: t.t('notice.savedHostInactive', { id }) }
          : { kind: 'success', text: t.t('notice.saved', { id }) },
  ];
  if (notice.skippedTesting) notices.push({ kind: 'warning', text: t.t('notice.skippedTesting') });
  return notices;
}

/**
 * What the tab's URL asks for besides the stored policy: the notice of a save just made (the
 * redirect after a POST), or values to put back into the form after an expired login. Both only
 * ever prefill or say something; nothing is saved by a GET.
 */
function stateFromQuery(ctx: PluginContext, req: Request, record: DomainRecord, t: Translator): TabState {
  const query = (req.query ?? {}) as Record<string, unknown>;
  const saved = readNotice(ctx.options.csrf.secret, ctx.options.csrf.sessionId(req), record.domain, query[NOTICE_PARAM], ctx.options.now());
  if (saved) {
    const hostInactiveSaid = saved.kind === 'saved' && hostInactive(record);
    return { notices: savedNotices(saved, record, t), afterSave: true, retiredJustNow: saved.kind === 'retired', hostInactiveSaid };
  }
  if (query[RESTORE_PARAM] === '1') {
    const value = (field: (typeof RESTORE_FIELDS)[number]) => {
      const v = query[restoreParam(field)];
      return typeof v === 'string' ? v.slice(0, 4096) : '';
    };
    const form: FormValues = { ...storedFormValues(record), mode: value('mode'), maxAge: value('maxAge'), mx: value('mx'), active: value('active') === '1' };
    return { form, notices: [{ kind: 'info', text: t.t('notice.restored') }] };
  }
  return {};
}

/** History entries read for the tab's notes on senders' caches. */
const CACHE_HISTORY = 500;

/** Renders the MTA-STS tab fragment for a domain, in the request's language. */
export async function renderTabFragment(ctx: PluginContext, req: Request, res: Response, record: DomainRecord, state: TabState = {}): Promise<string> {
  const locale = await localeFor(ctx.options.locale, req, res);
  const t = translator(locale);
  const shown = state.form || state.notices || state.dnsCheck ? state : { ...state, ...stateFromQuery(ctx, req, record, t) };
  const mxDns = shown.mxDns ?? (await ctx.service.checks.mxHosts(record.domain));
  const reporting =
    shown.reporting !== undefined
      ? shown.reporting
      : await ctx.service.reports.reporting(record).catch((err: unknown) => {
          // The tab stays usable when the report tables cannot be read (e.g. not migrated yet).
          ctx.logger.warn('could not read the TLS reporting settings', err);
          return null;
        });
  const notes =
    shown.cacheNotes ??
    (await ctx.service.policies
      .history(record.domain, { limit: CACHE_HISTORY, offset: 0 })
      .then((found) => cacheNotes(found?.entries ?? [], record.policy.mx, ctx.options.now(), t).filter((n) => n.kind !== 'plain'))
      .catch((err: unknown) => {
        // The tab stays usable when the history cannot be read.
        ctx.logger.warn('could not read the change history', err);
        return [];
      }));
  // What the DNS publisher last saw of the records: stored, one indexed read, never a DNS query.
  const dnsStates =
    shown.dnsStates ??
    (await ctx.service.overview.dnsStates([record.domain]).catch((err: unknown) => {
      ctx.logger.warn("could not read the DNS records' publishing states", err);
      return [];
    }));
  const mode = await ctx.service.modes.of(record.domain);
  const page = {
    adminPath: ctx.options.adminPath,
    mailHostname: ctx.options.mailHostname,
    delegation: mode.delegation,
    ...(ctx.options.delegation ? { publishing: mode.mode } : {}),
    scriptUrl: tabScriptUrl(ctx.options.adminPath, ctx.logger),
    csrfToken: ctx.csrf.token(req, res),
    now: ctx.options.now(),
  };
  return ctx.pages.fragment('tab', tabView(page, record, { ...shown, reporting, cacheNotes: notes, dnsStates }, t, mxDns));
}
