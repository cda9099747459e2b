// Types and small helpers shared by the verdict modules. Pure: no sockets, no clock, no language.
// A verdict says what it found as a machine code with its facts, and its sentences as Text (data
// naming catalogue keys, src/text); the edge that shows a verdict says it in a language
// (src/render/check.ts). Nothing here, nor anywhere in check/, imports i18n.
import { joined, list, msg, original, type Text } from '../../text';
import { servedMode, type StoredPolicy } from '../../policy';
import type { ProbeFailure } from '../../probes';
import type { LookupResult, RecordType } from '../../dns';
import type { CheckCode, CheckName, CheckParams, Finding } from './codes';
import type { CheckStatus } from './status';

export { CHECK_CODES, CHECK_NAMES, type CheckCode, type CheckName, type CheckParams, type Finding } from './codes';
export { joined, list, msg, plural, sentences, type Text } from '../../text';

export { worst, type CheckStatus } from './status';

/**
 * One check's verdict: code and facts, and what DNS (or the server) should hold, what it holds and
 * what to do. As the check gives it, the three texts are Text (not yet in a language); said in a
 * language (`Verdict<string>`, alias `Check`) it is what a DNS Check result lists to people and
 * tools. One type: a said verdict is a verdict whose texts are plain strings. Tools rely on `name`
 * and `code`.
 */
export interface Verdict<T extends Text = Text> {
  name: CheckName;
  status: CheckStatus;
  code: CheckCode;
  params?: CheckParams;
  expected: T;
  found: T;
  message: T;
}

/** A verdict said in a language. */
export type Check = Verdict<string>;

/** Certificates expiring sooner than this get a warning (what common validators use). */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

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

/**
 * The lookup as a person reads it: the records one a line (or `separator` apart), "nothing (...)",
 * or the failure.
 */
export function foundText<T extends RecordType>(
  result: LookupResult<T>,
  show: (records: Extract<LookupResult<T>, { ok: true }>['records']) => Text[],
  separator = '\n',
): Text {
  const via: Text[] = result.cnames.length > 0 ? [msg('dns.found.viaCname', { chain: result.cnames.join(' -> ') })] : [];
  if (result.ok) {
    const records = show(result.records);
    // Today's layout: the CNAME line, then the records; no records still leaves the line break.
    return joined(via.length > 0 ? [...via, joined(records, separator)] : records, separator);
  }
  if (result.failure === 'nxdomain') return joined([...via, msg('dns.found.nxdomain')], separator);
  if (result.failure === 'nodata') return joined([...via, msg('dns.found.nodata', { type: result.type })], separator);
  return lookupFailureText(result);
}

/**
 * Why a lookup failed, in words. English is the resolver's own message (it names the exact
 * timeout); other languages say the same from the failure kind, server and question.
 */
export function lookupFailureText<T extends RecordType>(result: LookupResult<T>): Text {
  if (result.ok) return '';
  return original(result.message, lookupFailureWords(result));
}

function lookupFailureWords<T extends RecordType>(result: Extract<LookupResult<T>, { ok: false }>): Text {
  const server = result.server ?? '?';
  const target = result.cnames[result.cnames.length - 1];
  const where: Text = target === undefined ? result.name : msg('dns.lookup.where', { target, name: result.name });
  switch (result.failure) {
    case 'nxdomain':
      return msg('dns.lookup.nxdomain', { where });
    case 'nodata':
      return msg('dns.lookup.nodata', { where, type: result.type });
    case 'timeout':
      return msg('dns.lookup.timeout', { server });
    case 'servfail':
      return msg('dns.lookup.servfail', { server, name: result.name, type: result.type });
    case 'refused':
      return msg('dns.lookup.refused', { server, name: result.name, type: result.type });
    case 'malformed':
      return msg('dns.lookup.malformed', { server });
    default:
      return msg('dns.lookup.error', { name: result.name, type: result.type, detail: result.message });
  }
}

const STAGES = {
  dns: msg('dns.probe.stage.dns'),
  address: msg('dns.probe.stage.address'),
  connect: msg('dns.probe.stage.connect'),
  tls: msg('dns.probe.stage.tls'),
  certificate: msg('dns.probe.stage.certificate'),
  protocol: msg('dns.probe.stage.protocol'),
  timeout: msg('dns.probe.stage.timeout'),
  internal: msg('dns.probe.stage.internal'),
} as const satisfies Record<ProbeFailure['stage'], Text>;

/**
 * Why a network probe failed. English is the probe's own message; other languages name the
 * stage in their words, with the probe's message (technical, English) as the detail.
 */
export function probeFailureText(failure: ProbeFailure | undefined): Text {
  if (failure === undefined) return msg('dns.probe.failed');
  // Said from the code in every language: it must read the same in the tab as in the API.
  if (failure.code === 'not-public') return msg('dns.probe.notPublic', { address: failure.address ?? '?' });
  const stage = (STAGES as Record<string, Text>)[failure.stage] ?? STAGES.internal;
  return original(failure.message, msg('dns.probe.failure', { stage, detail: failure.message }));
}

/** The message for a lookup that failed without an answer, e.g. a timeout or SERVFAIL. */
export function lookupFailedMessage<T extends RecordType>(result: LookupResult<T>, what: Text): Text {
  return msg('dns.lookupFailed', { what, reason: lookupFailureText(result) });
}

/** Whole days from `now` until `iso`, rounded down; negative once past. */
export function daysUntil(iso: string, now: Date): number {
  return Math.floor((Date.parse(iso) - now.getTime()) / DAY_MS);
}

export function day(iso: string): string {
  return iso.slice(0, 10);
}

/** A verdict of check `name`: its finding becomes the code `<name>.<finding>`. */
export function verdict<N extends CheckName>(
  name: N,
  finding: Finding<N>,
  status: CheckStatus,
  expected: Text,
  found: Text,
  message: Text,
  params?: CheckParams,
): Verdict {
  const code = `${name}.${finding}` as CheckCode;
  return params === undefined ? { name, status, code, expected, found, message } : { name, status, code, params, expected, found, message };
}

/** Stands in for a check whose code threw: the result stays complete and says what happened. */
export function failedCheck(name: CheckName, err: unknown): Verdict {
  const reason = err instanceof Error ? err.message : String(err);
  return verdict(name, 'internal', 'error', msg('dns.failed.expected'), msg('dns.failed.found', { reason }), msg('dns.failed.message'), { reason });
}

/** How many names a "not checked" note lists before it says how many more there are. */
const LISTED_UNCHECKED = 5;

/** The note for MX hosts past the bound of a check; empty when every host was checked. */
export function notCheckedNote(key: 'dns.mxTls.notChecked' | 'dns.dane.notChecked', checked: number, unchecked: readonly string[] | undefined): Text | null {
  if (unchecked === undefined || unchecked.length === 0) return null;
  const shown = unchecked.slice(0, LISTED_UNCHECKED);
  const hosts: Text = unchecked.length > shown.length ? `${shown.join(', ')}, ...` : list(shown);
  return msg(key, { checked, total: checked + unchecked.length, rest: unchecked.length, hosts });
}
