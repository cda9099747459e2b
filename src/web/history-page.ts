// The change history sub-page of the tab (`GET <adminPath>/:domain/history`): every change, newest
// first, paged; and above it what the history says about senders' caches (the largest max_age
// served per mode, when retiring is complete, until when an old MX list may be held).
import type { Router } from 'express';
import { translator, type MessageKey, type Translator } from '../i18n';
import { MODES, cacheWindow, toULabel, uncoveredByCached, type PastChange } from '../policy';
import type { HistoryEntry } from '../service';
import { requireAdmin } from './authorize';
import type { PluginContext } from './context';
import { findOrThrow } from './domain';
import { utcTime } from './guidance';
import { localeFor } from './locale';
import { wholeNumber } from './overview-query';

const PAGE = 25;
/** Entries read for the cache window: far more than any max_age window holds in practice. */
const WINDOW_ENTRIES = 500;

export function addHistoryRoutes(router: Router, ctx: PluginContext): void {
  router.get('/:domain/history', requireAdmin(ctx.options.authorize, 'read'), async (req, res) => {
    const record = await findOrThrow(ctx, req.params.domain);
    const t = translator(await localeFor(ctx.options.locale, req, res));
    const page = wholeNumber((req.query as Record<string, unknown>).page, 'page', 1, 1, 1_000_000);
    const found = await ctx.service.policies.history(record.domain, { limit: PAGE, offset: (page - 1) * PAGE });
    const window = await ctx.service.policies.history(record.domain, { limit: WINDOW_ENTRIES, offset: 0 });
    const total = found?.total ?? 0;
    const pages = Math.max(1, Math.ceil(total / PAGE));
    const base = `${ctx.options.adminPath}/${encodeURIComponent(record.domain)}`;
    const say = (key: MessageKey, params?: Record<string, string | number>) => t.say(key, params);
    const content = ctx.pages.fragment('history', {
      t: say,
      locale: t.locale,
      displayDomain: toULabel(record.domain),
      tabUrl: base,
      notes: cacheNotes(window?.entries ?? [], record.policy.mx, ctx.options.now(), t),
      rows: (found?.entries ?? []).map((entry) => historyRow(entry, t)),
      page,
      pages,
      previous: page > 1 ? `${base}/history?page=${page - 1}` : null,
      next: page < pages ? `${base}/history?page=${page + 1}` : null,
    });
    await ctx.pages.page(req, res, { title: t.t('history.title', { domain: toULabel(record.domain) }), domain: record.domain, content, status: 200 });
  });
}

/** The sentences the tab and the history page show about senders' caches. */
export function cacheNotes(entries: readonly HistoryEntry[], currentMx: readonly string[], now: Date, t: Translator): { kind: string; text: string }[] {
  const changes: readonly PastChange[] = entries;
  const window = cacheWindow(changes, now);
  const notes: { kind: string; text: string }[] = [];
  if (window.retiring && window.completeAt) {
    notes.push(
      window.completeAt > now
        ? { kind: 'warning', text: t.t('history.retiring', { time: utcTime(window.completeAt, t) }) }
        : { kind: 'info', text: t.t('history.retired', { time: utcTime(window.completeAt, t) }) },
    );
  }
  if (window.oldMxUntil && window.oldMxUntil > now) {
    notes.push({
      kind: 'info',
      text: t.t('history.oldMx', { mx: window.oldMx.map((mx) => mx.map(toULabel).join(', ')).join('; '), time: utcTime(window.oldMxUntil, t) }),
    });
    const uncovered = uncoveredByCached(
      changes,
      currentMx.filter((mx) => !mx.startsWith('*.')),
      now,
    );
    if (uncovered)
      notes.push({ kind: 'warning', text: t.t('history.uncovered', { hosts: t.list(uncovered.hosts.map(toULabel)), time: utcTime(uncovered.until, t) }) });
  }
  const currentSpan = window.spans.find((span) => span.until === null);
  const current = currentSpan?.policy;
  // Only once senders may hold a policy: this one replaced a served one (or was served before the
  // history began). Right after the very first save nothing was published or fetched yet.
  const servedBefore = currentSpan?.from === null || window.spans.some((span) => span !== currentSpan && span.policy.mode !== 'none');
  if (current && current.mode !== 'none' && servedBefore) {
    const until = new Date(now.getTime() + current.maxAge * 1000);
    notes.push({ kind: 'info', text: t.t('history.beforeMxChange', { duration: t.duration(current.maxAge), time: utcTime(until, t) }) });
  }
  for (const mode of MODES) {
    const largest = window.largest[mode];
    if (!largest) continue;
    const until = largest.stoppedAt === null ? t.t('history.stillServed') : t.t('history.stoppedAt', { time: utcTime(largest.stoppedAt, t) });
    notes.push({ kind: 'plain', text: t.t('history.largest', { mode, duration: t.duration(largest.maxAge), until }) });
  }
  return notes;
}

function policyText(p: HistoryEntry['after'] | null, t: Translator): string {
  if (p === null) return '-';
  return t.t('bulk.policy', {
    mode: p.mode,
    maxAge: p.maxAge,
    mx: p.mx.map(toULabel).join(', ') || '-',
    active: t.t(p.active ? 'bulk.active' : 'bulk.inactive'),
  });
}

function historyRow(entry: HistoryEntry, t: Translator) {
  const sourceKey = `history.source.${entry.source}` as MessageKey;
  return {
    when: utcTime(entry.changedAt, t),
    who: `${entry.actor ?? t.t('history.nobody')} (${t.say(sourceKey)})`,
    from: entry.origin ?? '-',
    before: policyText(entry.before, t),
    after: policyText(entry.after, t),
    ids: `${entry.before?.id ?? '-'} → ${entry.after.id ?? '-'}`,
  };
}
