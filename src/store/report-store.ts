// The plugin's own TLS report tables (migration 20261201000000): reporting settings per domain,
// the reports as received (gzip), and their parsed rows for the summaries. Knex builder only, the
// same queries on SQLite and MariaDB; the table names come from the configured prefix.
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { INTAKE_TOKEN_BYTES, intakeToken, type BoundedSummary } from '../reports';
import { BoundedDb, DEFAULT_DB_TIMEOUT_MS } from './bounded';
import { nullableText, text, type Row } from './rows';
import { readKnownReporters, saveKnownReporters, whereTrusted } from './report-trust';
import { readReadiness, readTotals, type ReadinessFacts, type ReportTotals, type TotalsPage } from './report-totals';
import { markWithoutFailures, pendingReports, replaceReportRows, type PendingReport } from './report-details';
import { insertReport, pruneReports, type DailyQuota, type InsertResult, type NewReport, type ReceivedVia, type StoreCap } from './report-writes';

export type { DailyQuota, InsertResult, NewReport, ReceivedVia, StoreCap } from './report-writes';

export interface ReportingSettings {
  domain: string;
  rua: string[];
  /** The intake token (128 bits, base64url): part of the published https rua. */
  token: string;
  /** Whether the rua was ever saved: false while the row holds only the token (rua NULL). */
  ruaSaved: boolean;
  updatedAt: string;
}

export interface StoredReportMeta {
  id: number;
  domain: string;
  organisation: string;
  reportId: string;
  contactInfo: string | null;
  start: string;
  end: string;
  receivedAt: string;
  receivedVia: ReceivedVia;
  dkim: string | null;
  dkimDomain: string | null;
  /** The DKIM signing domain when the signature passed and is aligned; null otherwise. */
  alignedDomain: string | null;
  success: number;
  failure: number;
  /** Distinct policies and failure groups of the report summed into aggregate rows beyond the per-report bounds. */
  folded: { policies: number; failures: number };
}

/** The SHA-256 (hex) a token is looked up by. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new intake token (the rule of src/tlsrpt/token.ts). */
export function newToken(): string {
  return intakeToken(randomBytes(INTAKE_TOKEN_BYTES));
}

/** The database's number (mysql2 answers SUM() as a decimal string) as a JS number. */
function num(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

export class ReportStore {
  readonly tables: { settings: string; reports: string; policies: string; failures: string; policyIds: string; known: string };
  /**
   * The deadline of the public intake's statements (the token lookup, the quota check and the
   * insert): without one, a database whose packets were dropped held each sender's request and a
   * connection of the pool until TCP gave up (minutes). See BoundedDb.
   */
  private readonly db: BoundedDb;

  constructor(
    readonly knex: Knex,
    prefix: string,
    /** `timeoutMs`: the deadline of those statements (`database.timeoutMs`). */
    options: { timeoutMs?: number } = {},
  ) {
    this.db = new BoundedDb(knex, options.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS);
    this.tables = {
      settings: `${prefix}tlsrpt_settings`,
      reports: `${prefix}tlsrpt_reports`,
      policies: `${prefix}tlsrpt_policies`,
      failures: `${prefix}tlsrpt_failures`,
      policyIds: `${prefix}tlsrpt_policy_ids`,
      known: `${prefix}tlsrpt_known_reporters`,
    };
  }

  async settings(domain: string): Promise<ReportingSettings | null> {
    const row: Row | undefined = await this.knex<Row>(this.tables.settings).where('domain', domain).first();
    return row ? settingsOf(row) : null;
  }

  /** The domain whose intake token this is, or null. */
  async domainOfToken(token: string): Promise<string | null> {
    const query = this.knex<Row>(this.tables.settings).where('token_hash', tokenHash(token)).first('domain');
    const row = (await this.db.run(async (connection) => await query.connection(connection))) as Row | undefined;
    return row ? text(row.domain) : null;
  }

  /**
   * The domain's settings, created with a new intake token when it has none (the rua then unset,
   * NULL, until first saved). Race-safe: the insert does nothing when another request inserted the
   * row first (the domain is the key), and both read the one row that won.
   */
  async ensureToken(domain: string, now: Date): Promise<ReportingSettings> {
    const existing = await this.settings(domain);
    if (existing) return existing;
    const token = newToken();
    await this.knex(this.tables.settings)
      .insert({ domain, rua: null, token, token_hash: tokenHash(token), updated_at: now.toISOString() })
      .onConflict('domain')
      .ignore();
    return settingsOf(await savedRow(this.knex, this.tables.settings, domain));
  }

  /** Stores the rua list; creates the intake token when the domain has none yet. */
  async saveRua(domain: string, rua: string[], now: Date): Promise<ReportingSettings> {
    await this.ensureToken(domain, now);
    await this.knex(this.tables.settings)
      .where('domain', domain)
      .update({ rua: JSON.stringify(rua), updated_at: now.toISOString() });
    return settingsOf(await savedRow(this.knex, this.tables.settings, domain));
  }

  /** A new token; the old one stops working at once. Creates the settings row when there is none. */
  async regenerateToken(domain: string, now: Date): Promise<ReportingSettings> {
    await this.ensureToken(domain, now);
    const token = newToken();
    await this.knex(this.tables.settings)
      .where('domain', domain)
      .update({ token, token_hash: tokenHash(token), updated_at: now.toISOString() });
    return settingsOf(await savedRow(this.knex, this.tables.settings, domain));
  }

  /** Stores a report and its rows once per (domain, organisation, report-id), within `quota` (see insertReport). */
  insert(input: NewReport, quota: DailyQuota | null = null): Promise<InsertResult> {
    return insertReport(this.db, this.tables, input, quota);
  }

  /** Whether the reports table answers: tells a report the database refuses from a database away. */
  async reachable(): Promise<boolean> {
    return this.db
      .run(async (connection) => {
        await this.knex(this.tables.reports).first('id').connection(connection);
      })
      .then(
        () => true,
        () => false,
      );
  }

  /** A domain's stored reports with this sender report-id (one per organisation at most). */
  async byReportId(domain: string, reportId: string): Promise<Array<StoredReportMeta & { gzip: Buffer }>> {
    const rows: Row[] = await this.knex<Row>(this.tables.reports).where({ domain, report_id: reportId }).orderBy('id').limit(20);
    return rows.map((row: Row) => ({ ...metaOf(row), gzip: Buffer.from(row.report_gz as Uint8Array) }));
  }

  /**
   * Failed sessions of trusted reports (./report-trust.ts) per domain and day within [from, to]
   * (YYYY-MM-DD, UTC), for many domains in one query: the scheduled checks read a whole batch of
   * domains at once. Domains and days without trusted reports are absent.
   */
  async failuresByDay(domains: readonly string[], from: string, to: string): Promise<Map<string, Map<string, number>>> {
    const out = new Map<string, Map<string, number>>();
    if (domains.length === 0) return out;
    const known = await readKnownReporters(this.knex, this.tables);
    const rows: Array<Record<string, unknown>> = await this.knex(`${this.tables.policies} as s`)
      .join(`${this.tables.reports} as r`, 'r.id', 's.report')
      .whereIn('s.domain', [...domains])
      .whereBetween('s.day', [from, to])
      .modify(whereTrusted(this.knex, this.tables, 'r', known))
      .select('s.domain as domain', 's.day as day')
      .sum({ failure: 's.failure' })
      .groupBy('s.domain', 's.day');
    for (const row of rows) {
      if (typeof row.domain !== 'string' || typeof row.day !== 'string') continue;
      const days = out.get(row.domain) ?? new Map<string, number>();
      days.set(row.day, num(row.failure));
      out.set(row.domain, days);
    }
    return out;
  }

  /** Sums for the reports of `domain` whose first day is within [from, to] (YYYY-MM-DD, UTC): the days and one page of each list. */
  totals(domain: string, from: string, to: string, at: TotalsPage): Promise<ReportTotals> {
    return readTotals(this.knex, this.tables, domain, from, to, at);
  }

  /** Organisations and the failures enforce would refuse within [from, to], for "ready for enforce". */
  readiness(domain: string, from: string, to: string, stsResultTypes: readonly string[]): Promise<ReadinessFacts> {
    return readReadiness(this.knex, this.tables, domain, from, to, stsResultTypes);
  }

  /** Report totals per domain since `from` (ISO time), for one overview page: one grouped query. */
  async recentTotals(domains: readonly string[], from: string): Promise<Map<string, { reports: number; success: number; failure: number; lastDay: string }>> {
    const rows = await this.knex(this.tables.reports)
      .whereIn('domain', [...domains])
      .where('start_at', '>=', from)
      .select('domain')
      .count({ reports: '*' })
      .sum({ success: 'success', failure: 'failure' })
      .max({ last: 'start_at' })
      .groupBy('domain');
    const totals = new Map<string, { reports: number; success: number; failure: number; lastDay: string }>();
    for (const r of rows as Array<Record<string, unknown>>) {
      totals.set(String(r.domain), { reports: num(r.reports), success: num(r.success), failure: num(r.failure), lastDay: String(r.last).slice(0, 10) });
    }
    return totals;
  }

  /** The panel's known reporters: organisations whose reports count whatever way they came. */
  knownReporters(): Promise<string[]> {
    return readKnownReporters(this.knex, this.tables);
  }

  /** Replaces the known reporters (validated by parseKnownReporters). */
  saveKnownReporters(names: readonly string[], now: Date): Promise<void> {
    return saveKnownReporters(this.knex, this.tables, names, now);
  }

  /** Remembers which policy id a fingerprint was served under, from when (one row per change). */
  async recordPolicyId(domain: string, policyId: string, fingerprint: string, servedFrom: Date): Promise<void> {
    const last: Row | undefined = await this.knex<Row>(this.tables.policyIds)
      .where('domain', domain)
      .orderBy('served_from', 'desc')
      .orderBy('id', 'desc')
      .first();
    if (last && last.policy_id === policyId) return;
    await this.knex(this.tables.policyIds).insert({ domain, policy_id: policyId, fingerprint, served_from: servedFrom.toISOString() });
  }

  /** The domain's policy ids, oldest first, with their fingerprints and when each started being served. */
  async policyIds(domain: string): Promise<Array<{ id: string; fingerprint: string; servedFrom: string }>> {
    const rows: Row[] = await this.knex<Row>(this.tables.policyIds).where('domain', domain).orderBy('served_from').orderBy('id').limit(1000);
    return rows.map((r: Row) => ({ id: text(r.policy_id), fingerprint: text(r.fingerprint), servedFrom: text(r.served_from) }));
  }

  /** The policy ids of many domains (an export's batch), oldest first per domain. */
  async policyIdsOf(domains: readonly string[]): Promise<Map<string, Array<{ id: string; servedFrom: string; fingerprint: string }>>> {
    const out = new Map<string, Array<{ id: string; servedFrom: string; fingerprint: string }>>();
    if (domains.length === 0) return out;
    const rows: Row[] = await this.knex<Row>(this.tables.policyIds)
      .whereIn('domain', [...domains])
      .orderBy('served_from')
      .orderBy('id');
    for (const r of rows) {
      const list = out.get(text(r.domain)) ?? [];
      list.push({ id: text(r.policy_id), servedFrom: text(r.served_from), fingerprint: text(r.fingerprint) });
      out.set(text(r.domain), list);
    }
    return out;
  }

  /**
   * Up to `limit` reports (of `domain`, or of all) stored before their failure rows kept every field
   * of a detail (migration 20261210000000), oldest first; those without failures are marked done first.
   */
  async pendingDetails(domain: string | null, limit: number): Promise<PendingReport[]> {
    await markWithoutFailures(this.knex, this.tables, domain);
    return pendingReports(this.knex, this.tables, domain, limit);
  }

  /** Replaces a pending report's rows by those of its JSON parsed again (see replaceReportRows); false when another did it first. */
  refillDetails(report: PendingReport, summary: BoundedSummary | null): Promise<boolean> {
    return replaceReportRows(this.knex, this.tables, report, summary);
  }

  /** Deletes reports that ended before `before`, then the oldest beyond `cap`, with their rows. Returns how many. */
  prune(before: Date, cap: StoreCap | null = null): Promise<number> {
    return pruneReports(this.knex, this.tables, before, cap);
  }
}

/** The settings row just written (it cannot be missing: the write made it, or another's). */
async function savedRow(knex: Knex, table: string, domain: string): Promise<Row> {
  const row = await knex<Row>(table).where('domain', domain).first();
  if (!row) throw new Error(`the TLS reporting settings of ${domain} were not found right after they were written`);
  return row;
}

function settingsOf(row: Row): ReportingSettings {
  let rua: string[] = [];
  try {
    const parsed = JSON.parse(text(row.rua) || '[]') as unknown;
    if (Array.isArray(parsed)) rua = parsed.filter((u): u is string => typeof u === 'string');
  } catch {
    rua = [];
  }
  return { domain: text(row.domain), rua, token: text(row.token), ruaSaved: row.rua !== null && row.rua !== undefined, updatedAt: text(row.updated_at) };
}

export function metaOf(row: Row): StoredReportMeta {
  return {
    id: Number(row.id),
    domain: text(row.domain),
    organisation: text(row.organisation),
    reportId: text(row.report_id),
    contactInfo: nullableText(row.contact_info),
    start: text(row.start_at),
    end: text(row.end_at),
    receivedAt: text(row.received_at),
    receivedVia: row.received_via === 'mail' ? 'mail' : 'https',
    dkim: nullableText(row.dkim),
    dkimDomain: nullableText(row.dkim_domain),
    alignedDomain: nullableText(row.aligned_domain),
    success: num(row.success),
    failure: num(row.failure),
    folded: { policies: num(row.folded_policies), failures: num(row.folded_failures) },
  };
}
