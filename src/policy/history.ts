// What a domain's change history says about senders' caches (RFC 8461 sections 5.1 and 8.3): a
// sender may keep a policy it fetched for max_age seconds after it last saw it served, so a policy
// replaced at time T may still be applied until T + its max_age. Pure: a function over entries.
import { uncoveredHosts } from './mx';
import { MODES, type Mode } from './types';

/** A policy as the history keeps it (the fields this needs). */
export interface PastPolicy {
  active: boolean;
  mode: Mode;
  maxAge: number;
  mx: readonly string[];
  id: string | null;
}

/** One change: when, and the policy before (null when none was stored) and after. */
export interface PastChange {
  changedAt: string;
  before: PastPolicy | null;
  after: PastPolicy;
}

/** A time a policy was served: from (null before the history began) until (null: still served). */
export interface ServedSpan {
  policy: PastPolicy;
  from: Date | null;
  until: Date | null;
  /** Until when a sender may still apply it: until + max_age; null while it is served. */
  cachedUntil: Date | null;
}

export interface CacheWindow {
  spans: ServedSpan[];
  /** Per mode, the largest max_age served in it and when the last policy with it stopped being served (null: served now). */
  largest: Record<Mode, { maxAge: number; stoppedAt: Date | null } | null>;
  /**
   * Retiring: no testing or enforce policy is served now, but one was. `completeAt` is the earliest
   * time every sender has dropped it, when the DNS records may go; null when it never was (nothing
   * to wait for) or one is served now (not retiring).
   */
  retiring: boolean;
  completeAt: Date | null;
  /** Until when senders may hold a testing/enforce MX list other than the current one; null when none. */
  oldMxUntil: Date | null;
  /** Those older MX lists still held at `now`, distinct. */
  oldMx: string[][];
}

const served = (p: PastPolicy | null): p is PastPolicy => p !== null && p.active && p.id !== null;
const applies = (p: PastPolicy) => p.mode !== 'none';
const sameMx = (a: readonly string[], b: readonly string[]) => [...a].sort().join(',') === [...b].sort().join(',');
const later = (a: Date | null, b: Date) => (a === null || b > a ? b : a);

/** The served spans, oldest first, from changes in any order. */
export function servedSpans(changes: readonly PastChange[]): ServedSpan[] {
  const ordered = [...changes].sort((a, b) => (a.changedAt < b.changedAt ? -1 : a.changedAt > b.changedAt ? 1 : 0));
  const spans: ServedSpan[] = [];
  const close = (at: Date) => {
    const open = spans[spans.length - 1];
    if (open && open.until === null) {
      open.until = at;
      open.cachedUntil = new Date(at.getTime() + open.policy.maxAge * 1000);
    }
  };
  ordered.forEach((change, i) => {
    const at = new Date(change.changedAt);
    if (Number.isNaN(at.getTime())) return;
    // What was served before the history began is known from the first change's "before".
    if (i === 0 && served(change.before)) spans.push({ policy: change.before, from: null, until: null, cachedUntil: null });
    const open = spans[spans.length - 1];
    // An import that keeps the id (or a change senders cannot see) continues the same policy.
    if (open && open.until === null && served(change.after) && open.policy.id === change.after.id) {
      open.policy = change.after;
      return;
    }
    close(at);
    if (served(change.after)) spans.push({ policy: change.after, from: at, until: null, cachedUntil: null });
  });
  return spans;
}

/** What senders may still hold, computed from the history at `now`. */
export function cacheWindow(changes: readonly PastChange[], now: Date): CacheWindow {
  const spans = servedSpans(changes);
  const largest = Object.fromEntries(MODES.map((mode) => [mode, null])) as CacheWindow['largest'];
  for (const span of spans) {
    const best = largest[span.policy.mode];
    if (best === null || span.policy.maxAge > best.maxAge || (span.policy.maxAge === best.maxAge && best.stoppedAt !== null)) {
      largest[span.policy.mode] = { maxAge: span.policy.maxAge, stoppedAt: span.until };
    }
  }
  const current = spans.find((span) => span.until === null)?.policy ?? null;
  const applying = spans.filter((span) => applies(span.policy));
  const retiring = applying.length > 0 && (current === null || !applies(current));
  let completeAt: Date | null = null;
  if (retiring) for (const span of applying) completeAt = later(completeAt, span.cachedUntil as Date);
  let oldMxUntil: Date | null = null;
  const oldMx: string[][] = [];
  for (const span of applying) {
    if (span.cachedUntil === null || (current !== null && sameMx(span.policy.mx, current.mx))) continue;
    oldMxUntil = later(oldMxUntil, span.cachedUntil);
    if (span.cachedUntil > now && !oldMx.some((mx) => sameMx(mx, span.policy.mx))) oldMx.push([...span.policy.mx]);
  }
  return { spans, largest, retiring, completeAt, oldMxUntil, oldMx };
}

/**
 * The MX hosts that policies still cached at `now` in testing or enforce do not cover, and until
 * when: a sender holding such a policy in enforce refuses to deliver to those hosts. With
 * `replacing`, the policy served now counts as cached too (it becomes an old one once replaced).
 */
export function uncoveredByCached(
  changes: readonly PastChange[],
  hosts: readonly string[],
  now: Date,
  replacing = false,
): { hosts: string[]; until: Date } | null {
  let until: Date | null = null;
  const missing = new Set<string>();
  for (const span of servedSpans(changes)) {
    if (!applies(span.policy)) continue;
    const end = span.cachedUntil ?? (replacing ? new Date(now.getTime() + span.policy.maxAge * 1000) : null);
    if (end === null || end <= now) continue;
    const uncovered = uncoveredHosts(hosts, span.policy.mx);
    if (uncovered.length === 0) continue;
    uncovered.forEach((host) => missing.add(host));
    until = later(until, end);
  }
  return until === null ? null : { hosts: [...missing], until };
}
