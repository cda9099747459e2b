// Types and small helpers shared by the verdict modules. Pure: no sockets, no clock.
// Every verdict takes an optional Translator as its last argument: English by default (what the
// JSON API and callers that pass none get), or the reader's language for the tab.
import { ENGLISH, type Translator } from '../../i18n';
import { servedMode, type StoredPolicy } from '../../policy';
import type { ProbeFailure } from '../../probes';
import type { LookupResult, RecordType } from '../../dns';

export type { Translator } from '../../i18n';
export { ENGLISH } from '../../i18n';

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
  const mode = servedMode(policy);
  return mode === 'enforce' ? 'error' : mode === 'testing' ? 'warning' : 'info';
}

/** NXDOMAIN and NODATA are answers ("nothing there"); every other failure means we do not know. */
export function isMissing<T extends RecordType>(result: LookupResult<T>): boolean {
  return !result.ok && (result.failure === 'nxdomain' || result.failure === 'nodata');
}

/** The lookup as a person reads it: the records one a line, "nothing (...)", or the failure. */
export function foundText<T extends RecordType>(
  result: LookupResult<T>,
  show: (records: Extract<LookupResult<T>, { ok: true }>['records']) => string[],
  t: Translator = ENGLISH,
): string {
  const via = result.cnames.length > 0 ? `${t.t('dns.found.viaCname', { chain: result.cnames.join(' -> ') })}\n` : '';
  if (result.ok) return via + show(result.records).join('\n');
  if (result.failure === 'nxdomain') return `${via}${t.t('dns.found.nxdomain')}`;
  if (result.failure === 'nodata') return `${via}${t.t('dns.found.nodata', { type: result.type })}`;
  return lookupFailureText(result, t);
}

/**
 * Why a lookup failed, in words. English is the resolver's own message (it names the exact
 * timeout); other languages say the same from the failure kind, server and question.
 */
export function lookupFailureText<T extends RecordType>(result: LookupResult<T>, t: Translator = ENGLISH): string {
  if (result.ok) return '';
  if (t.locale === 'en') return result.message;
  const server = result.server ?? '?';
  const target = result.cnames[result.cnames.length - 1];
  const where = target === undefined ? result.name : t.t('dns.lookup.where', { target, name: result.name });
  switch (result.failure) {
    case 'nxdomain': return t.t('dns.lookup.nxdomain', { where });
    case 'nodata': return t.t('dns.lookup.nodata', { where, type: result.type });
    case 'timeout': return t.t('dns.lookup.timeout', { server });
    case 'servfail': return t.t('dns.lookup.servfail', { server, name: result.name, type: result.type });
    case 'refused': return t.t('dns.lookup.refused', { server, name: result.name, type: result.type });
    case 'malformed': return t.t('dns.lookup.malformed', { server });
    default: return t.t('dns.lookup.error', { name: result.name, type: result.type, detail: result.message });
  }
}

/**
 * Why a network probe failed. English is the probe's own message; other languages name the
 * stage in their words, with the probe's message (technical, English) as the detail.
 */
export function probeFailureText(failure: ProbeFailure | undefined, t: Translator = ENGLISH): string {
  if (failure === undefined) return t.t('dns.probe.failed');
  if (t.locale === 'en') return failure.message;
  const stage = {
    dns: t.t('dns.probe.stage.dns'),
    connect: t.t('dns.probe.stage.connect'),
    tls: t.t('dns.probe.stage.tls'),
    certificate: t.t('dns.probe.stage.certificate'),
    protocol: t.t('dns.probe.stage.protocol'),
    timeout: t.t('dns.probe.stage.timeout'),
    internal: t.t('dns.probe.stage.internal'),
  }[failure.stage] ?? t.t('dns.probe.stage.internal');
  return t.t('dns.probe.failure', { stage, detail: failure.message });
}

/** The message for a lookup that failed without an answer, e.g. a timeout or SERVFAIL. */
export function lookupFailedMessage<T extends RecordType>(result: LookupResult<T>, what: string, t: Translator = ENGLISH): string {
  return t.t('dns.lookupFailed', { what, reason: lookupFailureText(result, t) });
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
export function failedCheck(name: CheckName, err: unknown, t: Translator = ENGLISH): Check {
  const reason = err instanceof Error ? err.message : String(err);
  return check(name, 'error', t.t('dns.failed.expected'), t.t('dns.failed.found', { reason }), t.t('dns.failed.message'));
}
