// TLS reporting use cases (RFC 8460): the rua setting and intake token, taking reports in (HTTPS
// or mail), and what they add up to. The routers, the tab and the factory call only this.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { translate } from '../i18n';
import type { Logger } from '../logger';
import type { DomainRecord } from '../policy';
import type { ReportLimits } from '../options/report-limits';
import { isDatabaseUnavailable } from '../store/errors';
import type { ReceivedVia, ReportStore, ReportingSettings } from '../store/report-store';
import type { TotalsPage } from '../store/report-totals';
import {
  REPORT_COLUMNS,
  STS_POLICY_RESULT_TYPES,
  alignedSigner,
  parseKnownReporters,
  type ReporterNameProblem,
  boundSummary,
  findReportPart,
  isIntakeToken,
  parseReport,
  parseRuaInput,
  policyFingerprint,
  summarizeReport,
  tlsRptRecord,
  type ReportProblem,
  type RuaProblemCode,
} from '../reports';

export { MAX_KNOWN_REPORTERS, MAX_REPORTER_NAME, MAX_RUA, type ReporterNameProblem, type RuaProblemCode } from '../reports';
export { MAX_LIMIT, MAX_PAGE, type TotalsPage } from '../store/report-totals';
import { verifyDkim, type DkimOutcome, type TxtResolver } from './dkim';
import { gunzipLimited } from './inflate';
import { DetailsRefill } from './report-refill';
import { DAY_MS, describeSummary, utcDay, type ReportsSummary } from './report-summary';

export { utcDay, type ReportsSummary } from './report-summary';

const gzip = promisify(gzipCallback);

/** Reports whose failure rows are refilled per pruning run at most (see DetailsRefill). */
const DETAILS_PER_PRUNE = 2000;

/** RFC 8460 section 3 intake limits. */
export const INTAKE_LIMITS = {
  /** A compressed (or plain JSON) body as posted. */
  compressed: 1024 * 1024,
  /** The report's JSON after decompression ("a commonly observed receiver limit is ten megabytes"). */
  decompressed: 10 * 1024 * 1024,
  /** A whole report mail (a plain JSON part may be 10 MiB, base64 adds a third). */
  message: 16 * 1024 * 1024,
} as const;

export type IngestRefusal =
  | 'unknown-token'
  | 'too-large'
  | 'bad-gzip'
  | 'bad-encoding'
  | 'invalid-report'
  | 'date-range'
  | 'over-quota'
  | 'unstorable'
  | 'wrong-domain'
  | 'unknown-domain'
  | 'mail.noHeader'
  | 'mail.noReport'
  | 'mail.tooComplex'
  | 'mail.headerTooLong';

export type IngestResult =
  | { status: 'created' | 'duplicate'; id: number; domain: string; organisation: string; reportId: string; dkim: DkimOutcome | null }
  | { status: 'refused'; code: IngestRefusal; message: string; problems?: ReportProblem[] };

const REFUSALS: Record<IngestRefusal, string> = {
  'unknown-token': 'Not found.',
  'too-large': 'The report is too large: at most 1 MiB compressed and 10 MiB of JSON.',
  'bad-gzip': 'The body is not valid gzip (truncated or corrupt).',
  'bad-encoding': 'The report is not UTF-8 text.',
  'invalid-report': 'The report is not an RFC 8460 report.',
  'date-range': 'The report is dated outside what this panel takes: from 2018 to one day after now (UTC).',
  'over-quota': "The report's domain has stored its quota of reports for today (UTC); send it again tomorrow.",
  unstorable: 'The database refused to store the report; the administrator finds the reason in the log.',
  'wrong-domain': 'The report is about a policy domain that this address does not receive reports for.',
  'unknown-domain': 'The report is about a domain this panel does not manage.',
  'mail.noHeader': 'The message has no MIME header.',
  'mail.noReport': 'The message has no application/tlsrpt+gzip or application/tlsrpt+json part.',
  'mail.tooComplex': 'The message nests too many MIME parts.',
  'mail.headerTooLong': 'A MIME header of the message is too long: at most 64 KiB of headers per part, 16 KiB per field, 1 KiB per parameter.',
};

/** What the tab and the API show about a domain's reporting. */
export interface ReportingView {
  /** The rua as saved; empty before the first save and after it was cleared. */
  rua: string[];
  /**
   * The intake URL with the domain's token, for the rua: there as soon as the policy is active (or
   * report addresses were saved); null for a domain without an active policy and without a token.
   */
  reportingUri: string | null;
  /**
   * Before report addresses were ever saved: the panel's own, to publish as they are (the mailbox's
   * `mailto:` when `reports.mailAddress` is set, then the intake URL); null once saved.
   */
  suggestedRua: string[] | null;
  /** The `_smtp._tls.<domain>` TXT value for the saved rua, or for the suggested one before any save; null when neither. */
  record: string | null;
}

export type ConfigureResult =
  | { status: 'not-found' }
  | { status: 'invalid'; errors: Array<{ field: 'rua'; code: RuaProblemCode; params: Record<string, string | number>; message: string }> }
  | { status: 'saved'; reporting: ReportingView };

/**
 * `organisations`: those with a trusted report in the last 14 days (src/store/report-trust.ts),
 * the only ones that count; `reported`: all that reported, trusted or not.
 */
export type Readiness =
  | { ready: true; organisations: number; reported: number }
  | {
      ready: false;
      organisations: number;
      reported: number;
      reasons: Array<
        { code: 'not-testing' } | { code: 'few-organisations'; organisations: number } | { code: 'sts-failures'; sessions: number; resultTypes: string[] }
      >;
    };

export interface ReportServiceDeps {
  store: ReportStore;
  find(name: string): Promise<DomainRecord | null>;
  resolver: TxtResolver;
  logger: Logger;
  now: () => Date;
  intakeUrl: string;
  /** The address report mails reach (the fetched mailbox's), suggested as `mailto:`; null when not set. */
  mailAddress: string | null;
  retentionDays: number;
  limits: ReportLimits;
}

export class ReportService {
  /** The end of the last queued `step`, its outcome ignored. */
  private steps: Promise<unknown> = Promise.resolve();
  private readonly refill: DetailsRefill;
  constructor(private readonly deps: ReportServiceDeps) {
    this.refill = new DetailsRefill(deps.store, deps.limits, deps.logger, (work) => this.step(work));
  }

  /**
   * One CPU-bound step of reading a report (decode, parse, summarize, bound), after those queued
   * before it, in a turn of the event loop of its own: ten reports of 25,000 failure details
   * (0.3 s of a core each) held the policy file for 2.8 s back to back; now one step at most.
   */
  private step<T>(work: () => T): Promise<T> {
    const run = this.steps.then(() => nextTurn()).then(work);
    this.steps = run.catch(() => undefined);
    return run;
  }

  private view(settings: ReportingSettings | null): ReportingView {
    const reportingUri = settings ? `${this.deps.intakeUrl}/${settings.token}` : null;
    const rua = settings?.rua ?? [];
    const suggestedRua = reportingUri && !settings?.ruaSaved ? [...(this.deps.mailAddress ? [`mailto:${this.deps.mailAddress}`] : []), reportingUri] : null;
    const shown = suggestedRua ?? rua;
    return { rua, reportingUri, suggestedRua, record: shown.length > 0 ? tlsRptRecord(shown) : null };
  }

  /**
   * A domain's reporting, for the tab, the API and the command. A domain whose policy is active
   * (any mode: `none` is how a policy is retired, and reports keep showing what senders do until
   * it is gone) gets its intake token here when it has none, so that its report address is there
   * before any save; two first reads at once end with one token (see ReportStore.ensureToken).
   */
  async reporting(record: DomainRecord): Promise<ReportingView> {
    const { store } = this.deps;
    return this.view(record.policy.active ? await store.ensureToken(record.domain, this.deps.now()) : await store.settings(record.domain));
  }

  /**
   * The `_smtp._tls` TXT value that DNS publishing writes: the saved report addresses only, never
   * the panel's suggestion (a record already published by hand stays as it is until addresses are
   * saved here); null while none are saved, or after an empty list was. Creates no token.
   */
  async publishedRecord(domain: string): Promise<string | null> {
    const settings = await this.deps.store.settings(domain);
    return settings?.ruaSaved && settings.rua.length > 0 ? tlsRptRecord(settings.rua) : null;
  }

  /** Validates and stores the rua list (form text or JSON array); the first save creates the intake token. */
  async configure(name: string, input: unknown): Promise<ConfigureResult> {
    const record = await this.deps.find(name);
    if (!record) return { status: 'not-found' };
    const parsed = parseRuaInput(input);
    if (!parsed.ok) {
      return {
        status: 'invalid',
        errors: [{ field: 'rua', code: parsed.code, params: parsed.params, message: translate('en', parsed.code, parsed.params as never) }],
      };
    }
    return { status: 'saved', reporting: this.view(await this.deps.store.saveRua(record.domain, parsed.rua, this.deps.now())) };
  }

  /** A new intake token: the old URL answers 404 from now on. Null for an unknown domain. */
  async regenerateToken(name: string): Promise<ReportingView | null> {
    const record = await this.deps.find(name);
    if (!record) return null;
    return this.view(await this.deps.store.regenerateToken(record.domain, this.deps.now()));
  }

  /** The domain whose current intake token this is, or null: checked before a body is read. */
  intakeDomain(token: string): Promise<string | null> {
    return isIntakeToken(token) ? this.deps.store.domainOfToken(token) : Promise.resolve(null);
  }

  /**
   * A report posted to the intake URL (RFC 8460 section 3): gzip or plain JSON. `domain` is the
   * token's domain when the caller has just looked it up (the router does, before reading the body).
   */
  async ingestHttps(token: string, body: Buffer, compressed: boolean, domain?: string): Promise<IngestResult> {
    const owner = domain ?? (await this.intakeDomain(token));
    if (owner === null) return refuse('unknown-token');
    return this.ingest(owner, body, compressed, 'https', null);
  }

  /**
   * A report mail (RFC 8460 section 5.3), raw as received. Its DKIM signature is verified and the
   * result stored with it; an unsigned or failing report is kept, marked so. The domain is the
   * report's policy domain, which must be one of the panel's.
   */
  async ingestMessage(raw: Buffer | string): Promise<IngestResult> {
    const message = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (message.length > INTAKE_LIMITS.message) return refuse('too-large');
    const part = findReportPart(message);
    if (!part.ok) return refuse(part.code);
    const dkim = await verifyDkim(message, this.deps.resolver, this.deps.logger);
    return this.ingest(null, part.body, part.gzip, 'mail', dkim);
  }

  private async ingest(tokenDomain: string | null, body: Buffer, compressed: boolean, via: ReceivedVia, dkim: DkimOutcome | null): Promise<IngestResult> {
    if (body.length > (compressed ? INTAKE_LIMITS.compressed : INTAKE_LIMITS.decompressed)) return refuse('too-large');
    let json = body;
    if (compressed) {
      const inflated = await gunzipLimited(body, INTAKE_LIMITS.decompressed);
      if (!inflated.ok) return refuse(inflated.code);
      json = inflated.data;
    }
    const text = await this.step(() => {
      try {
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(json);
      } catch {
        return null;
      }
    });
    if (text === null) return refuse('bad-encoding');
    const parsed = await this.step(() => parseReport(text, { now: this.deps.now() }));
    if (!parsed.ok) {
      const dates = parsed.problems.every((p) => p.code === 'report.dateRange');
      return { ...refuse(dates ? 'date-range' : 'invalid-report'), problems: parsed.problems };
    }
    const { report } = parsed;
    let domain = tokenDomain;
    if (domain === null) {
      const first = report.policies[0]?.domain;
      const record = first ? await this.deps.find(first) : null;
      if (!record) return refuse('unknown-domain');
      domain = record.domain;
    }
    const owner = domain;
    if (!report.policies.every((p) => p.domain === owner || p.domain.endsWith(`.${owner}`))) return refuse('wrong-domain');
    const summary = await this.step(() => summarizeReport(report));
    const input = {
      domain,
      report,
      summary: await this.step(() => boundSummary(summary, this.deps.limits.storage)),
      // The posted gzip as it came; plain JSON is compressed for storage.
      gzip: compressed ? body : await gzip(json),
      via,
      dkim: dkim?.result ?? null,
      // From the signature's d= tag: a name of the column's size, or none.
      dkimDomain: dkim?.domain && dkim.domain.length <= REPORT_COLUMNS.name && !dkim.domain.includes('\0') ? dkim.domain : null,
      // Whether this report counts for readiness and alerts (src/reports/trust.ts).
      alignedDomain: dkim?.domain && dkim.domain.length <= REPORT_COLUMNS.name && !dkim.domain.includes('\0') ? alignedSigner(dkim, report.contactInfo) : null,
      receivedAt: this.deps.now(),
    };
    const about = `report ${JSON.stringify(report.reportId)} of ${JSON.stringify(report.organisation)} for ${domain}`;
    let stored;
    try {
      stored = await this.deps.store.insert(input, this.deps.limits.daily);
    } catch (err) {
      // The database is away or busy (thrown on: the caller retries), or it refused this one report.
      if (isDatabaseUnavailable(err) || !(await this.deps.store.reachable())) throw err;
      this.deps.logger.error(`the database refused to store the TLS ${about}`, err);
      return refuse('unstorable');
    }
    if (stored.status === 'over-quota') {
      this.deps.logger.warn(`TLS ${about} not stored: ${domain} has stored its ${stored.limit} ${stored.quota} for today (UTC)`);
      return refuse('over-quota');
    }
    return { status: stored.status, id: stored.id, domain, organisation: report.organisation, reportId: report.reportId, dkim };
  }

  /**
   * Sums for [from, to] (YYYY-MM-DD, UTC, both included), every day listed, and page `at` of the
   * organisations, failure groups and policies; null for an unknown domain.
   */
  async summary(name: string, from: string, to: string, at: TotalsPage): Promise<ReportsSummary | null> {
    const record = await this.deps.find(name);
    if (!record) return null;
    // Reports stored before the failure rows kept every field are refilled on the first read.
    await this.refill.domain(record.domain);
    const totals = await this.deps.store.totals(record.domain, from, to, at);
    return describeSummary(record, { from, to, at }, totals, await this.deps.store.policyIds(record.domain));
  }

  /**
   * "Ready for enforce": the policy is in testing, and the last 14 days have trusted reports from at
   * least two organisations and no failure in them that enforce would turn into refused mail (any
   * failure under an applied STS policy, or an STS policy failure). Otherwise, what stands in the
   * way. Reports that are not trusted (src/store/report-trust.ts) neither make it ready nor stop it:
   * anyone may post one.
   */
  async readiness(record: DomainRecord): Promise<Readiness> {
    const today = this.deps.now();
    const facts = await this.deps.store.readiness(record.domain, utcDay(new Date(today.getTime() - 13 * DAY_MS)), utcDay(today), [...STS_POLICY_RESULT_TYPES]);
    const reasons: Extract<Readiness, { ready: false }>['reasons'] = [];
    if (!(record.policy.active && record.policy.mode === 'testing')) reasons.push({ code: 'not-testing' });
    const { organisations, reported, blocking } = facts;
    if (organisations < 2) reasons.push({ code: 'few-organisations', organisations });
    if (blocking.sessions > 0 || blocking.resultTypes.length > 0) {
      reasons.push({ code: 'sts-failures', sessions: blocking.sessions, resultTypes: blocking.resultTypes });
    }
    return reasons.length === 0 ? { ready: true, organisations, reported } : { ready: false, organisations, reported, reasons };
  }

  /** The panel's known reporters (organisation names), in order. */
  knownReporters(): Promise<string[]> {
    return this.deps.store.knownReporters();
  }

  /**
   * Replaces the known reporters with `input` (an array of names, or form text of one per line):
   * at most MAX_KNOWN_REPORTERS names of 1 to MAX_REPORTER_NAME characters without control
   * characters. `invalid` names the field (`names[i]`) and the rule.
   */
  async saveKnownReporters(input: unknown): Promise<{ status: 'saved'; names: string[] } | { status: 'invalid'; field: string; code: ReporterNameProblem }> {
    const parsed = parseKnownReporters(input);
    if (!parsed.ok) return { status: 'invalid', field: `names[${parsed.index}]`, code: parsed.code };
    await this.deps.store.saveKnownReporters(parsed.names, this.deps.now());
    return { status: 'saved', names: await this.deps.store.knownReporters() };
  }

  /** The stored report(s) of a domain with this sender report-id, parsed back from the stored gzip. */
  async report(name: string, reportId: string): Promise<Array<Record<string, unknown>> | null> {
    const record = await this.deps.find(name);
    if (!record) return null;
    const rows = await this.deps.store.byReportId(record.domain, reportId);
    const out: Array<Record<string, unknown>> = [];
    for (const { gzip: stored, ...meta } of rows) {
      const inflated = await gunzipLimited(stored, INTAKE_LIMITS.decompressed);
      let report: unknown;
      try {
        // Stored only after it parsed, so this parses; a damaged row shows as null, not as an error.
        report = inflated.ok ? JSON.parse(inflated.data.toString('utf8')) : null;
      } catch {
        report = null;
      }
      out.push({ ...meta, report });
    }
    return out;
  }

  /** Remembers a saved policy's id and text, so reports (which carry the text) map back to the id. */
  async rememberPolicy(record: DomainRecord): Promise<void> {
    if (!record.policy.id) return;
    await this.deps.store.recordPolicyId(record.domain, record.policy.id, policyFingerprint(record.policy), this.deps.now());
  }

  /**
   * Deletes reports older than the retention (`reports.retentionDays`), then the oldest beyond
   * `reports.maxReports`/`maxRows`. Returns how many. Before, refills the failure rows of up to
   * DETAILS_PER_PRUNE reports stored before migration 20261210000000 (the server prunes at start).
   */
  async prune(): Promise<number> {
    await this.refill.fill(null, DETAILS_PER_PRUNE);
    return this.deps.store.prune(new Date(this.deps.now().getTime() - this.deps.retentionDays * DAY_MS), this.deps.limits.cap);
  }

  /** See DetailsRefill.fill: the failure rows of reports stored before 20261210000000 given every field. */
  fillFailureDetails(domain: string | null, max: number): Promise<number> {
    return this.refill.fill(domain, max);
  }
}

function refuse(code: IngestRefusal): Extract<IngestResult, { status: 'refused' }> {
  return { status: 'refused', code, message: REFUSALS[code] };
}
