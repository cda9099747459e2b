// What the tab tells a person while they edit, to prevent the common mistakes: MX entries that
// do not match the domain's real MX hosts, enforce without testing first, and a maximum age so
// short that senders forget the policy. Pure functions: the MX hosts come from the service, the
// rules (coverage, retiring) from src/policy.
// The tab's script (client/tab.mts) repeats the live parts in the browser with the same rules and
// the same catalogue texts.
import type { Translator } from '../i18n';
import { DEFAULT_MAX_AGE, MAX_AGE_LIMIT, normalizeMxPattern, servedMode, staleEntries, uncoveredHosts, type StoredPolicy } from '../policy';

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

export interface MaxAgeAdvice {
  equals: string;
  warning: string;
}

/**
 * "= 1 week" beside the seconds, and a warning below one day; above the RFC maximum only the
 * warning (a duration of a value the policy cannot hold would be noise), and nothing for text.
 */
export function maxAgeAdvice(text: string, t: Translator): MaxAgeAdvice {
  const trimmed = text.trim();
  if (!/^\d{1,12}$/.test(trimmed)) return { equals: '', warning: '' };
  const seconds = Number(trimmed);
  if (seconds > MAX_AGE_LIMIT) return { equals: '', warning: t.t('tab.maxAge.tooLong') };
  const equals = t.t('tab.maxAge.equals', { duration: t.duration(seconds) });
  return { equals, warning: seconds < DEFAULT_MAX_AGE ? t.t('tab.maxAge.short') : '' };
}

/** Choosing enforce for a policy that is not at least in testing today skips the guide's Step 4. */
export function skipsTesting(stored: Pick<StoredPolicy, 'active' | 'mode'>, chosenMode: string): boolean {
  return chosenMode === 'enforce' && servedMode(stored) === 'none';
}

/** "2026-11-28 12:00 UTC" (English) or "2026-11-28, 12:00 UTC" (German): unambiguous everywhere. */
export function utcTime(value: Date | string, t: Translator): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  const iso = date.toISOString();
  return t.t('time.utc', { date: iso.slice(0, 10), time: iso.slice(11, 16) });
}
