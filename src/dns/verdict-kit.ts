// Types and small helpers shared by the verdict modules. Pure: no sockets, no clock.
import type { Mode, StoredPolicy } from '../policy';
import type { LookupResult, RecordType } from './resolver';

export type CheckStatus = 'ok' | 'warning' | 'error' | 'info';
/** The checks in the order a result lists them. Tools rely on these names. */
export const CHECK_NAMES = ['sts-txt', 'sts-host', 'mx', 'tlsrpt', 'policy', 'dane', 'https', 'mx-tls'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];
export interface Check { name: CheckName; status: CheckStatus; expected: string; found: string; message: string }

/** Certificates expiring sooner than this get a warning (what common validators use). */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

const RANK: Record<CheckStatus, number> = { ok: 0, info: 1, warning: 2, error: 3 };

/** The most severe of several statuses; `ok` when there are none. */
export function worst(...statuses: CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok');
}

/**
 * What a sender does with a problem that only matters under a policy: refuse delivery in
 * `enforce`, report it in `testing`, nothing in `none`. An inactive policy is not served, so
 * senders without a cached copy behave as for `none`.
 */
export function severityFor(policy: Pick<StoredPolicy, 'active' | 'mode'>): CheckStatus {
  const mode = effectiveMode(policy);
  return mode === 'enforce' ? 'error' : mode === 'testing' ? 'warning' : 'info';
}

export function effectiveMode(policy: Pick<StoredPolicy, 'active' | 'mode'>): Mode {
  return policy.active ? policy.mode : 'none';
}

export function normalizeHost(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** NXDOMAIN and NODATA are answers ("nothing there"); every other failure means we do not know. */
export function isMissing<T extends RecordType>(result: LookupResult<T>): boolean {
  return !result.ok && (result.failure === 'nxdomain' || result.failure === 'nodata');
}

/** The lookup as a person reads it: the records one a line, "nothing (...)", or the failure. */
export function foundText<T extends RecordType>(
  result: LookupResult<T>,
  show: (records: Extract<LookupResult<T>, { ok: true }>['records']) => string[],
): string {
  const via = result.cnames.length > 0 ? `(via CNAME ${result.cnames.join(' -> ')})\n` : '';
  if (result.ok) return via + show(result.records as Extract<LookupResult<T>, { ok: true }>['records']).join('\n');
  if (result.failure === 'nxdomain') return `${via}nothing (NXDOMAIN)`;
  if (result.failure === 'nodata') return `${via}nothing (no ${result.type} records)`;
  return result.message;
}

/** The message for a lookup that failed without an answer, e.g. a timeout or SERVFAIL. */
export function lookupFailedMessage<T extends RecordType>(result: LookupResult<T>, what: string): string {
  const reason = result.ok ? '' : result.message;
  return `Could not check ${what}: the DNS lookup failed (${reason}). Run the check again; if this persists, the domain's name servers or the resolvers this panel uses are not answering properly.`;
}

export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Whole days from `now` until `iso`, rounded down; negative once past. */
export function daysUntil(iso: string, now: Date): number {
  return Math.floor((Date.parse(iso) - now.getTime()) / DAY_MS);
}

export function day(iso: string): string {
  return iso.slice(0, 10);
}

/** Joins message sentences, skipping empty ones. */
export function sentences(...parts: Array<string | false | null | undefined>): string {
  return parts.filter((part): part is string => typeof part === 'string' && part !== '').join(' ');
}

export function check(name: CheckName, status: CheckStatus, expected: string, found: string, message: string): Check {
  return { name, status, expected, found, message };
}

/** Stands in for a check whose code threw: the result stays complete and says what happened. */
export function failedCheck(name: CheckName, err: unknown): Check {
  const reason = err instanceof Error ? err.message : String(err);
  return check(name, 'error', 'unknown: the check did not complete', `internal error: ${reason}`,
    'This check failed unexpectedly. Run the DNS check again; if it keeps failing, report it together with the error shown.');
}
