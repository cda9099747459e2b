// TLS reports (RFC 8460 section 4): pure parsing, no I/O. Tolerant of what real senders send
// (null contact-info, missing policy-string, mx-host as a string, both spellings of mx-host and
// additional-information, unknown result types, failure details without a count), strict about
// types and sizes, so a stored report is always well-formed and a hostile one costs bounded work.
import { jsonDepthExceeds, valueDepthExceeds } from './json-depth';

/**
 * The sizes of the report tables' columns that hold values of a report (the migrations create them
 * with these numbers as literals, frozen; test/store/report-columns.test.ts reads each column back
 * from SQLite, MariaDB and PostgreSQL and fails when one is smaller). The parser's limits below
 * and the storage bounds (./bounds.ts) are these, so that what parses can always be stored.
 */
export const REPORT_COLUMNS = {
  /**
   * organisation, report_id, contact_info, domain, dkim_domain; of the failures receiving_mx_hostname,
   * and (20261210000000) organisation and receiving_mx_helo: VARCHAR(255).
   */
  name: 255,
  /** policy_type: VARCHAR(32). */
  policyType: 32,
  /** result_type, receiving_ip and (20261210000000) sending_mta_ip: VARCHAR(64). */
  resultType: 64,
  ip: 64,
  /** failure_reason_code and additional_information (20261210000000): VARCHAR(2048). */
  detailText: 2048,
  /** fingerprint and mx: TEXT, which holds 65,535 bytes on MariaDB: 16,383 characters of up to 4 bytes. */
  text: 16_383,
} as const;

/** Limits a report must keep; beyond them it is refused with a problem, never truncated silently. */
export const REPORT_LIMITS = {
  /** JSON nesting: a report needs 5 levels (report, policies, entry, policy, mx-host). */
  depth: 8,
  /** Characters of the JSON text (the decompressed size limit of the intake). */
  textLength: 10 * 1024 * 1024,
  policies: 1000,
  failureDetails: 1000,
  policyStrings: 200,
  mxHosts: 100,
  /** Characters of a name-like string (organisation, report id, contact, host, HELO). */
  shortString: REPORT_COLUMNS.name,
  /** Characters of a policy-type and of a result-type. */
  policyType: REPORT_COLUMNS.policyType,
  resultType: REPORT_COLUMNS.resultType,
  /** Characters of a free text (policy-string line, failure-reason-code, additional-information). */
  longString: REPORT_COLUMNS.detailText,
} as const;

/**
 * Report dates a sender can mean: none before 2018 (RFC 8460 is of September 2018) and none ending
 * more than a day (clock skew) after now. Checked only when `parseReport` is given the time.
 */
export const REPORT_DATES = { earliest: '2018-01-01T00:00:00.000Z', skewMs: 86_400_000 } as const;

/** Machine codes of what makes a report unacceptable; `field` is the JSON path (e.g. `policies[0].summary`). */
export type ReportProblemCode =
  | 'report.json' // not JSON at all
  | 'report.depth' // nested deeper than REPORT_LIMITS.depth
  | 'report.size' // text longer than REPORT_LIMITS.textLength
  | 'report.missing' // a required field is absent
  | 'report.type' // a field has the wrong JSON type
  | 'report.length' // a string is empty or too long
  | 'report.count' // a count is not a non-negative safe integer
  | 'report.date' // not an RFC 3339 date-time
  | 'report.dateOrder' // end before start
  | 'report.dateRange' // before REPORT_DATES.earliest, or ending more than a day after now
  | 'report.tooMany' // an array longer than its limit
  | 'report.ip' // not an IPv4 or IPv6 address
  | 'report.domain'; // not a domain name

export interface ReportProblem {
  code: ReportProblemCode;
  field: string;
}

export interface FailureDetail {
  /** The RFC 8460 section 4.3 result type, or whatever newer type the sender used. */
  resultType: string;
  sendingMtaIp: string | null;
  receivingMxHostname: string | null;
  receivingMxHelo: string | null;
  receivingIp: string | null;
  /** Null when the sender did not say (some omit `failed-session-count`). */
  sessions: number | null;
  additionalInformation: string | null;
  failureReasonCode: string | null;
}

export interface ReportPolicy {
  /** `sts`, `tlsa`, `no-policy-found`, or a newer type as sent. */
  type: string;
  /** The applied policy's lines (`[]` when the sender omitted them). */
  strings: string[];
  /** The policy domain, lower case, A-label, no trailing dot. */
  domain: string;
  /** MX host patterns, lower case (a single string from the sender becomes one entry). */
  mx: string[];
  success: number;
  failure: number;
  failures: FailureDetail[];
}

export interface TlsReport {
  organisation: string;
  contactInfo: string | null;
  reportId: string;
  /** ISO 8601 UTC (`toISOString`) of the date range. */
  start: string;
  end: string;
  policies: ReportPolicy[];
}

export type ReportParse = { ok: true; report: TlsReport } | { ok: false; problems: ReportProblem[] };

/** Result types that mean the MTA-STS policy itself could not be used (what blocks enforce). */
export const STS_POLICY_RESULT_TYPES: ReadonlySet<string> = new Set(['sts-policy-fetch-error', 'sts-policy-invalid', 'sts-webpki-invalid']);

const MAX_PROBLEMS = 20;

/**
 * Parses a report's JSON text (or an already parsed value). Never throws. Given `now`, a date
 * range outside REPORT_DATES is refused (`report.dateRange`).
 */
export function parseReport(input: unknown, options: { now?: Date } = {}): ReportParse {
  let value: unknown = input;
  if (typeof input === 'string') {
    if (input.length > REPORT_LIMITS.textLength) return { ok: false, problems: [{ code: 'report.size', field: '' }] };
    if (jsonDepthExceeds(input, REPORT_LIMITS.depth)) return { ok: false, problems: [{ code: 'report.depth', field: '' }] };
    try {
      value = JSON.parse(input);
    } catch {
      return { ok: false, problems: [{ code: 'report.json', field: '' }] };
    }
  } else if (valueDepthExceeds(input, REPORT_LIMITS.depth)) {
    return { ok: false, problems: [{ code: 'report.depth', field: '' }] };
  }
  const reader = new Reader(options.now ?? null);
  const report = reader.report(value);
  return report && reader.problems.length === 0 ? { ok: true, report } : { ok: false, problems: reader.problems.slice(0, MAX_PROBLEMS) };
}

type Json = Record<string, unknown>;

/** Collects problems while reading; every getter answers a usable value so reading goes on. */
class Reader {
  readonly problems: ReportProblem[] = [];

  constructor(private readonly now: Date | null) {}

  private problem(code: ReportProblemCode, field: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ code, field });
  }

  report(value: unknown): TlsReport | null {
    if (!isObject(value)) {
      this.problem('report.type', '');
      return null;
    }
    const range = this.object(value, 'date-range', 'date-range');
    const start = this.date(range, 'start-datetime', 'date-range.start-datetime');
    const end = this.date(range, 'end-datetime', 'date-range.end-datetime');
    if (start && end && end < start) this.problem('report.dateOrder', 'date-range');
    if (this.now !== null) {
      if (start && start.toISOString() < REPORT_DATES.earliest) this.problem('report.dateRange', 'date-range.start-datetime');
      if (end && end.getTime() > this.now.getTime() + REPORT_DATES.skewMs) this.problem('report.dateRange', 'date-range.end-datetime');
    }
    const policies = this.array(value, 'policies', 'policies', REPORT_LIMITS.policies, true).map((entry, i) => this.policy(entry, `policies[${i}]`));
    return {
      organisation: this.string(value, 'organization-name', 'organization-name', REPORT_LIMITS.shortString, true) ?? '',
      contactInfo: this.string(value, 'contact-info', 'contact-info', REPORT_LIMITS.shortString, false),
      reportId: this.string(value, 'report-id', 'report-id', REPORT_LIMITS.shortString, true) ?? '',
      start: start?.toISOString() ?? '',
      end: end?.toISOString() ?? '',
      policies,
    };
  }

  private policy(entry: unknown, path: string): ReportPolicy {
    if (!isObject(entry)) this.problem('report.type', path);
    const item = isObject(entry) ? entry : {};
    const policy = this.object(item, 'policy', `${path}.policy`);
    const summary = this.object(item, 'summary', `${path}.summary`);
    const strings = this.array(policy, 'policy-string', `${path}.policy.policy-string`, REPORT_LIMITS.policyStrings, false).map(
      (s, i) => this.text(s, `${path}.policy.policy-string[${i}]`, REPORT_LIMITS.longString) ?? '',
    );
    // RFC 8460's JSON (section 4.3, the example of 4.8) spells it `mx-host`, its prose (4.4) and
    // some senders `mx-host-pattern`: both are read, and the patterns of both kept.
    const mx = [...this.mxHosts(policy, 'mx-host', path), ...this.mxHosts(policy, 'mx-host-pattern', path)];
    return {
      type: this.string(policy, 'policy-type', `${path}.policy.policy-type`, REPORT_LIMITS.policyType, true) ?? '',
      strings,
      domain: this.domain(policy, 'policy-domain', `${path}.policy.policy-domain`),
      mx: [...new Set(mx.filter((host) => host !== '').map(lowerHost))],
      success: this.count(summary, 'total-successful-session-count', `${path}.summary.total-successful-session-count`, true) ?? 0,
      failure: this.count(summary, 'total-failure-session-count', `${path}.summary.total-failure-session-count`, true) ?? 0,
      failures: this.array(item, 'failure-details', `${path}.failure-details`, REPORT_LIMITS.failureDetails, false).map((detail, i) =>
        this.failure(detail, `${path}.failure-details[${i}]`),
      ),
    };
  }

  private failure(detail: unknown, path: string): FailureDetail {
    if (!isObject(detail)) this.problem('report.type', path);
    const d = isObject(detail) ? detail : {};
    const host = this.string(d, 'receiving-mx-hostname', `${path}.receiving-mx-hostname`, REPORT_LIMITS.shortString, false);
    return {
      resultType: this.string(d, 'result-type', `${path}.result-type`, REPORT_LIMITS.resultType, true) ?? '',
      sendingMtaIp: this.ip(d, 'sending-mta-ip', `${path}.sending-mta-ip`),
      receivingMxHostname: host === null ? null : lowerHost(host),
      receivingMxHelo: this.string(d, 'receiving-mx-helo', `${path}.receiving-mx-helo`, REPORT_LIMITS.shortString, false),
      receivingIp: this.ip(d, 'receiving-ip', `${path}.receiving-ip`),
      sessions: this.count(d, 'failed-session-count', `${path}.failed-session-count`, false),
      additionalInformation: this.additionalInformation(d, path),
      failureReasonCode: this.string(d, 'failure-reason-code', `${path}.failure-reason-code`, REPORT_LIMITS.longString, false),
    };
  }

  /** The MX patterns under one spelling: an array, or a single string as some senders send. */
  private mxHosts(policy: Json, key: string, path: string): string[] {
    const value = policy[key];
    if (typeof value === 'string') return [this.text(value, `${path}.policy.${key}`, REPORT_LIMITS.shortString) ?? ''];
    return this.array(policy, key, `${path}.policy.${key}`, REPORT_LIMITS.mxHosts, false).map(
      (s, i) => this.text(s, `${path}.policy.${key}[${i}]`, REPORT_LIMITS.shortString) ?? '',
    );
  }

  /**
   * RFC 8460's JSON (section 4.3, 4.8) names the field `additional-information`, its prose (4.4)
   * and some senders `additional-info-uri`. Either is read; a detail with both keeps both, the first then
   * the second after a space, within the one limit (a report beyond it is refused, naming the field).
   */
  private additionalInformation(d: Json, path: string): string | null {
    const first = this.string(d, 'additional-information', `${path}.additional-information`, REPORT_LIMITS.longString, false);
    const second = this.string(d, 'additional-info-uri', `${path}.additional-info-uri`, REPORT_LIMITS.longString, false);
    if (first === null || second === null || first === second) return first ?? second;
    const both = `${first} ${second}`;
    if (both.length > REPORT_LIMITS.longString) {
      this.problem('report.length', `${path}.additional-info-uri`);
      return null;
    }
    return both;
  }

  private object(parent: Json, key: string, path: string): Json {
    const value = parent[key];
    if (value === undefined || value === null) this.problem('report.missing', path);
    else if (!isObject(value)) this.problem('report.type', path);
    return isObject(value) ? value : {};
  }

  /** An array; absent or null is `[]` when optional. */
  private array(parent: Json, key: string, path: string, limit: number, required: boolean): unknown[] {
    const value = parent[key];
    if (value === undefined || value === null) {
      if (required) this.problem('report.missing', path);
      return [];
    }
    if (!Array.isArray(value)) {
      this.problem('report.type', path);
      return [];
    }
    if (value.length > limit) {
      this.problem('report.tooMany', path);
      return [];
    }
    // Array.from: a hole in an array built in code (never in JSON text) reads as undefined, not skipped.
    return Array.from(value as unknown[]);
  }

  /** A string field; absent, null or (when optional) empty is null. */
  private string(parent: Json, key: string, path: string, max: number, required: boolean): string | null {
    const value = parent[key];
    if (value === undefined || value === null || (!required && value === '')) {
      if (required) this.problem('report.missing', path);
      return null;
    }
    return this.text(value, path, max);
  }

  private text(raw: unknown, path: string, max: number): string | null {
    if (typeof raw !== 'string') {
      this.problem('report.type', path);
      return null;
    }
    // NUL means nothing in a report, and PostgreSQL refuses it in text: dropped from every string.
    const value = raw.includes('\0') ? raw.replaceAll('\0', '') : raw;
    if (value.length === 0 || value.length > max) {
      this.problem('report.length', path);
      return null;
    }
    return value;
  }

  private count(parent: Json, key: string, path: string, required: boolean): number | null {
    const value = parent[key];
    if (value === undefined || value === null) {
      if (required) this.problem('report.missing', path);
      return null;
    }
    if (typeof value !== 'number') {
      this.problem('report.type', path);
      return null;
    }
    if (!Number.isSafeInteger(value) || value < 0) {
      this.problem('report.count', path);
      return null;
    }
    return value;
  }

  private date(parent: Json, key: string, path: string): Date | null {
    const text = this.string(parent, key, path, 64, true);
    if (text === null) return null;
    const date = parseRfc3339(text);
    if (!date) this.problem('report.date', path);
    return date;
  }

  private domain(parent: Json, key: string, path: string): string {
    const text = this.string(parent, key, path, 254, true);
    if (text === null) return '';
    const domain = lowerHost(text);
    if (!/^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$/.test(domain)) {
      this.problem('report.domain', path);
      return '';
    }
    return domain;
  }

  private ip(parent: Json, key: string, path: string): string | null {
    const text = this.string(parent, key, path, REPORT_COLUMNS.ip, false);
    if (text === null) return null;
    if (!isIpAddress(text)) {
      this.problem('report.ip', path);
      return null;
    }
    return text.toLowerCase();
  }
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function lowerHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** IPv4 in dot-decimal, or IPv6 (RFC 4291 text forms, an embedded IPv4 tail allowed). */
export function isIpAddress(text: string): boolean {
  if (IPV4.test(text)) return true;
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text)) return false;
  let body = text;
  const groups = 8;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.')) {
    if (!IPV4.test(body.slice(lastColon + 1))) return false;
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const parts = (half: string) => (half === '' ? [] : half.split(':'));
  const head = parts(halves[0]);
  const tail = halves.length === 2 ? parts(halves[1]) : [];
  if (![...head, ...tail].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const used = head.length + tail.length;
  return halves.length === 2 ? used < groups : used === groups;
}

/** RFC 3339 section 5.6 date-time with real calendar values, or null. */
export function parseRfc3339(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) return null;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return null;
  // A leap second reads as the next second: JavaScript dates have none.
  const iso = `${text.slice(0, 10)}T${text
    .slice(11)
    .replace(/:60(?=[.Zz+-])/, ':59')
    .toUpperCase()}`;
  const date = new Date(Date.parse(iso) + (second === 60 ? 1000 : 0));
  return Number.isNaN(date.getTime()) ? null : date;
}
