// What the scheduled checks alert on, read from the DNS Check's machine codes (never its
// sentences, which change with the wording and the language), and when an alert is due.
import type { CheckCode, DnsCheckResult } from '../check';

/** The conditions an alert is about, in the order alerts are sent. */
export const CONDITIONS = [
  'policy-unreachable',
  'id-mismatch',
  'mx-uncovered',
  'certificate-expiring',
  'tls-failures-rising',
  'tls-failures-above-baseline',
  'dns-not-published',
] as const;
export type Condition = (typeof CONDITIONS)[number];

/** One condition found: the codes (or, for the reports, the figures) behind it. */
export interface Finding {
  codes: CheckCode[];
  failures?: { day: string; count: number; baseline: number };
  /** For tls-failures-above-baseline: the day's failed sessions, the median day before, the factor and minimum applied. */
  spike?: Spike;
  /** For dns-not-published: the records the publisher could not make match, with their state and since when. */
  records?: Array<{ name: string; state: string; since: string }>;
}

const BY_CODE: ReadonlyArray<[Condition, (code: CheckCode, status: string) => boolean]> = [
  // An error of the policy check (the stored policy cannot be read, is not served) or of the HTTPS
  // fetch (connection, certificate, status, media type...): senders cannot get the policy.
  ['policy-unreachable', (code, status) => status === 'error' && (code.startsWith('policy.') || code.startsWith('https.'))],
  ['id-mismatch', (code) => code === 'sts-txt.other-id'],
  ['mx-uncovered', (code) => code === 'mx.uncovered'],
  ['certificate-expiring', (code) => code === 'https.expiring' || code === 'mx-tls.expiring'],
];

/** The conditions a DNS Check result shows, with the codes that show each. */
export function conditionsOf(result: DnsCheckResult): Map<Condition, Finding> {
  const found = new Map<Condition, Finding>();
  for (const check of result.checks) {
    for (const [condition, matches] of BY_CODE) {
      if (!matches(check.code, check.status)) continue;
      const finding = found.get(condition) ?? { codes: [] };
      if (!finding.codes.includes(check.code)) finding.codes.push(check.code);
      found.set(condition, finding);
    }
  }
  return found;
}

/** Days of reports before `day` that make the baseline of "rising". */
export const BASELINE_DAYS = 7;

/**
 * TLS report failures are rising when the last complete day (`day`, UTC) has more failed sessions
 * than any of the BASELINE_DAYS days before it: a domain that always has a few failures (one
 * badly configured sender) is not news every day, a new failure source is.
 */
export function failuresRising(perDay: ReadonlyMap<string, number> | undefined, day: string): Finding['failures'] | null {
  const count = perDay?.get(day) ?? 0;
  if (count === 0) return null;
  let baseline = 0;
  for (let i = 1; i <= BASELINE_DAYS; i++) baseline = Math.max(baseline, perDay?.get(dayBefore(day, i)) ?? 0);
  return count > baseline ? { day, count, baseline } : null;
}

/** The rule of "above baseline" when the options set none (`alerts.baseline`). */
export const DEFAULT_BASELINE_RULE = { factor: 3, minimum: 10 } as const;

/** Days before `day` whose median is the baseline of "above baseline". */
export const MEDIAN_DAYS = 14;

/** What "above baseline" found: the day, its failed sessions, the median of the MEDIAN_DAYS before, the rule's figures. */
export interface Spike {
  day: string;
  count: number;
  median: number;
  factor: number;
  minimum: number;
}

/**
 * A domain's failed sessions on the last complete day (`day`, UTC) are far above its own baseline:
 * at least `factor` times the median of the MEDIAN_DAYS days before (a day without trusted
 * reports counts 0), and at least `minimum`. The median, not the mean or the highest day, so that
 * one bad day in the fortnight does not hide the next, and a domain that always fails a little
 * is not news.
 */
export function failuresAboveBaseline(perDay: ReadonlyMap<string, number> | undefined, day: string, rule: { factor: number; minimum: number }): Spike | null {
  const count = perDay?.get(day) ?? 0;
  if (count < rule.minimum) return null;
  const before = Array.from({ length: MEDIAN_DAYS }, (_v, i) => perDay?.get(dayBefore(day, i + 1)) ?? 0).sort((a, b) => a - b);
  const mid = MEDIAN_DAYS / 2;
  const median = MEDIAN_DAYS % 2 === 0 ? (before[mid - 1] + before[mid]) / 2 : before[Math.floor(mid)];
  return count >= rule.factor * median ? { day, count, median, factor: rule.factor, minimum: rule.minimum } : null;
}

/** The UTC day `days` before `day` (YYYY-MM-DD). */
export function dayBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

/** How long a published record may stay pending or different before it is an alert: the publisher retried, and a repair had time to. */
export const DNS_DEADLINE_MS = 10 * 60_000;

/**
 * A record the product publishes that the publisher last saw pending or different, and has seen so
 * since longer than DNS_DEADLINE_MS: read from its stored states, never from DNS.
 */
export function dnsNotPublished(states: ReadonlyArray<{ name: string; state: string; since: string }>, now: Date): Finding['records'] | null {
  const limit = now.getTime() - DNS_DEADLINE_MS;
  const stuck = states.filter((s) => s.state !== 'published' && Date.parse(s.since) <= limit).map(({ name, state, since }) => ({ name, state, since }));
  return stuck.length > 0 ? stuck : null;
}
