// What the tab tells a person while they edit, to prevent the common mistakes: MX entries that
// do not match the domain's real MX hosts, enforce without testing first, a maximum age so short
// that senders forget the policy, and switching MTA-STS off in a way that leaves senders
// enforcing a cached policy. Pure functions, except `lookupMxForTab`, which asks DNS.
// The tab's script (client/tab.mts) repeats the live parts in the browser with the same rules and
// the same catalogue texts.
import { lookupFailureText, mxHosts, staleEntries, uncoveredHosts, type Resolver } from '../dns';
import { within } from '../deadline';
import type { Translator } from '../i18n';
import { DEFAULT_MAX_AGE, MAX_AGE_LIMIT, normalizeMxPattern, type Mode, type StoredPolicy } from '../policy';

/** The domain's MX hosts as the tab shows them, or why there are none to show. */
export type MxDns =
  | { state: 'hosts'; hosts: string[] }
  | { state: 'none' }
  | { state: 'null-mx' }
  | { state: 'failed'; reason: string }
  | { state: 'slow' };

/**
 * How long the tab waits for the MX lookup before it is shown without it. A healthy resolver
 * answers in milliseconds; a dead one must not hold up the page for its full timeout and retries.
 */
export const TAB_MX_WAIT_MS = 1500;

/** The domain's MX hosts from the plugin's resolver, waiting at most `waitMs`. Never rejects. */
export async function lookupMxForTab(resolver: Resolver, domain: string, t: Translator, waitMs = TAB_MX_WAIT_MS): Promise<MxDns> {
  const lookup = Promise.resolve()
    .then(() => resolver.lookup(domain, 'MX'))
    .then((mx): MxDns => {
      const hosts = mxHosts(mx);
      if (hosts.length > 0) return { state: 'hosts', hosts };
      if (mx.ok) return { state: 'null-mx' };
      if (mx.failure === 'nxdomain' || mx.failure === 'nodata') return { state: 'none' };
      return { state: 'failed', reason: lookupFailureText(mx, t) };
    })
    .catch((err: unknown): MxDns => ({ state: 'failed', reason: err instanceof Error ? err.message : String(err) }));
  return within(lookup, Math.min(waitMs, Math.max(resolver.timeoutMs, 1)), (): MxDns => ({ state: 'slow' }));
}

/**
 * The MX entries as typed, read leniently: the valid ones as A-label patterns. Invalid entries
 * are the validator's business (it names them on save); here they simply match nothing.
 */
export function typedPatterns(mx: string): string[] {
  const patterns: string[] = [];
  for (const entry of mx.split(/[\s,]+/)) {
    const pattern = entry === '' ? null : normalizeMxPattern(entry);
    if (pattern !== null && !patterns.includes(pattern)) patterns.push(pattern);
  }
  return patterns;
}

export interface MxAdvice {
  /** Entries that match none of the MX hosts in DNS. */
  stale: string[];
  /** MX hosts in DNS that no entry matches. */
  uncovered: string[];
  /** What the uncovered hosts mean in the mode chosen: refused (enforce), reported (testing), or nothing. */
  consequence: 'refused' | 'reported' | null;
}

/** The MX entries against the MX hosts in DNS, as the DNS Check's `mx` check would see them. */
export function mxAdvice(mx: string, mode: string, hosts: readonly string[]): MxAdvice {
  const patterns = typedPatterns(mx);
  // Nothing typed yet: the suggestion says what to enter; there is nothing to flag.
  if (patterns.length === 0) return { stale: [], uncovered: [], consequence: null };
  const uncovered = uncoveredHosts(hosts, patterns);
  const consequence = uncovered.length === 0 ? null : mode === 'enforce' ? 'refused' : mode === 'testing' ? 'reported' : null;
  return { stale: staleEntries(patterns, hosts), uncovered, consequence };
}

export interface MaxAgeAdvice { equals: string; warning: string }

/** "= 1 week" beside the seconds, and a warning below one day (or above the RFC maximum). */
export function maxAgeAdvice(text: string, t: Translator): MaxAgeAdvice {
  const trimmed = text.trim();
  if (!/^\d{1,12}$/.test(trimmed)) return { equals: '', warning: '' };
  const seconds = Number(trimmed);
  const equals = t.t('tab.maxAge.equals', { duration: t.duration(seconds) });
  if (seconds > MAX_AGE_LIMIT) return { equals, warning: t.t('tab.maxAge.tooLong') };
  return { equals, warning: seconds < DEFAULT_MAX_AGE ? t.t('tab.maxAge.short') : '' };
}

/** What senders apply today: an inactive policy is not served, so it counts as none. */
export function servedMode(policy: Pick<StoredPolicy, 'active' | 'mode'>): Mode {
  return policy.active ? policy.mode : 'none';
}

/** Choosing enforce for a policy that is not at least in testing today skips the guide's Step 4. */
export function skipsTesting(stored: Pick<StoredPolicy, 'active' | 'mode'>, chosenMode: string): boolean {
  return chosenMode === 'enforce' && servedMode(stored) === 'none';
}

/**
 * A policy senders may have cached in testing or enforce: switching it off must go through
 * mode none (RFC 8461 section 8.3), or senders keep applying the cached copy until it expires.
 */
export function needsRetiring(stored: Pick<StoredPolicy, 'active' | 'mode' | 'id'>): boolean {
  return stored.active && stored.mode !== 'none' && stored.id !== null;
}

/** The Maximum Age a retired policy (mode none) is served with: RFC 8461's "small", one day at most. */
export function retiredMaxAge(current: number): number {
  return Math.min(current, DEFAULT_MAX_AGE);
}

/** When senders have dropped every copy of the current policy: now plus its Maximum Age. */
export function expiresBy(now: Date, maxAgeSeconds: number): Date {
  return new Date(now.getTime() + maxAgeSeconds * 1000);
}

/** "2026-11-28 12:00 UTC" (English) or "2026-11-28, 12:00 UTC" (German): unambiguous everywhere. */
export function utcTime(value: Date | string, t: Translator): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  const iso = date.toISOString();
  return t.t('time.utc', { date: iso.slice(0, 10), time: iso.slice(11, 16) });
}
