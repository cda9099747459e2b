// Writing the TLS report tables: a report and its rows once per (domain, organisation, report-id)
// within the domain's daily quota, and pruning by age and by the global cap, oldest first. Knex
// builder only, the same queries on SQLite, MariaDB and PostgreSQL.
import type { Knex } from 'knex';
import { DEADLINE_CODE, type BoundedDb } from './bounded';
import { dialectOf } from './dialect';
import type { Row } from './rows';
import type { BoundedSummary, DailyQuota, StoreCap, TlsReport } from '../reports';

export interface ReportTables {
  reports: string;
  policies: string;
  failures: string;
}

export type ReceivedVia = 'https' | 'mail';

export interface NewReport {
  domain: string;
  report: TlsReport;
  /** The rows to store, already bounded (`boundSummary`). */
  summary: BoundedSummary;
  /** The report's JSON as received, gzip-compressed. */
  gzip: Buffer;
  via: ReceivedVia;
  /** DKIM result of a mailed report ('pass', 'fail', 'none' for unsigned, ...); null over HTTPS. */
  dkim: string | null;
  dkimDomain: string | null;
  /** The DKIM signing domain when the signature passed and is aligned (src/reports/trust.ts); null otherwise. */
  alignedDomain?: string | null;
  receivedAt: Date;
}

export type { DailyQuota, StoreCap };

export type InsertResult = { status: 'created' | 'duplicate'; id: number } | { status: 'over-quota'; quota: 'reports' | 'rows'; limit: number };

/** The database's number (mysql2 answers SUM() as a decimal string) as a JS number. */
function num(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Statements of a report's insert per deadline (`database.timeoutMs`): the insert makes one per
 * policy row and one per 50 failure rows, so at the largest bounds a report may be configured to
 * (1,000 policies, 100,000 failure groups: 3,003 statements; 2,003 when a statement took 100 rows
 * of 9 columns) it took 2.5 s on SQLite, 4.1 s on MariaDB and 5.6 s on PostgreSQL on the shared
 * 2-core test machine: past one 5 s deadline, and then refused again at every retry, never stored.
 * With the default bounds (100 and 500: 113 statements, 0.15 s) the deadline is the plain one.
 */
const STATEMENTS_PER_DEADLINE = 500;

/**
 * Stores a report and its rows once: a report whose domain, organisation and report-id are
 * already stored is a duplicate (answered by the unique index, also when two arrive at once). A
 * new report beyond the domain's quota for the day is not stored: `over-quota` says which.
 * The transaction, quota check included, runs within `db`'s deadline (one per STATEMENTS_PER_DEADLINE):
 * the intake is public, and a database whose packets are dropped must cost a sender a 503, not a
 * connection held for minutes.
 */
export async function insertReport(db: BoundedDb, tables: ReportTables, input: NewReport, quota: DailyQuota | null): Promise<InsertResult> {
  const { knex } = db;
  const { report, summary } = input;
  const statements = 3 + summary.policies.length + Math.ceil(summary.failures.length / 50);
  const timeoutMs = db.timeoutMs * Math.ceil(statements / STATEMENTS_PER_DEADLINE);
  try {
    return await db.run((connection) => knex.transaction((trx) => insertIn(knex, trx, tables, input, quota), { connection }), timeoutMs);
  } catch (err) {
    // Stored before, or just now by a request racing this one: the unique index refused it. Not
    // asked when the database did not answer in time: that would only double the wait.
    if ((err as { code?: unknown } | null)?.code === DEADLINE_CODE) throw err;
    const raced = await db.run((connection) => findId(knex, tables, input.domain, report.organisation, report.reportId, connection)).catch(() => null);
    if (raced !== null) return { status: 'duplicate', id: raced };
    throw err;
  }
}

/** insertReport's transaction. */
async function insertIn(knex: Knex, trx: Knex.Transaction, tables: ReportTables, input: NewReport, quota: DailyQuota | null): Promise<InsertResult> {
  const { report, summary } = input;
  const day = report.start.slice(0, 10);
  const rows = summary.policies.length + summary.failures.length;
  if (quota !== null) {
    const over = await overQuota(trx, tables, input, rows, quota);
    if (over !== null) {
      const stored = await findId(trx, tables, input.domain, report.organisation, report.reportId);
      return stored === null ? over : { status: 'duplicate', id: stored };
    }
  }
  const id = await insertId(
    knex,
    trx(tables.reports).insert({
      domain: input.domain,
      organisation: report.organisation,
      report_id: report.reportId,
      contact_info: report.contactInfo,
      start_at: report.start,
      end_at: report.end,
      received_at: input.receivedAt.toISOString(),
      received_via: input.via,
      dkim: input.dkim,
      dkim_domain: input.dkimDomain,
      aligned_domain: input.alignedDomain ?? null,
      success: summary.success,
      failure: summary.failure,
      report_gz: input.gzip,
      folded_policies: summary.foldedPolicies,
      folded_failures: summary.foldedFailures,
      stored_rows: rows,
      // Its failure rows hold every field of the details (migration 20261210000000).
      failure_details: 1,
    }),
  );
  await insertRows(knex, trx, tables, { id, domain: input.domain, day, organisation: report.organisation }, summary);
  return { status: 'created', id };
}

/** The report a policy's and failure's rows belong to: its id, domain, first day and organisation. */
interface RowsOf {
  id: number;
  domain: string;
  day: string;
  organisation: string;
}

/** Inserts a report's policy rows and its failure rows (every field of a detail), in `trx`. */
export async function insertRows(knex: Knex, trx: Knex.Transaction, tables: ReportTables, of: RowsOf, summary: BoundedSummary): Promise<void> {
  const policyIds: number[] = [];
  for (const p of summary.policies) {
    const policyId = await insertId(
      knex,
      trx(tables.policies).insert({
        report: of.id,
        domain: of.domain,
        day: of.day,
        policy_type: p.type,
        fingerprint: p.fingerprint,
        mx: p.mx.join(','),
        success: p.success,
        failure: p.failure,
        folded: p.folded,
      }),
    );
    policyIds.push(policyId);
  }
  const failures = summary.failures.map((f) => ({
    report: of.id,
    policy: policyIds[f.policy],
    domain: of.domain,
    day: of.day,
    organisation: of.organisation,
    result_type: f.resultType,
    sending_mta_ip: f.sendingMtaIp,
    receiving_mx_hostname: f.receivingMxHostname,
    receiving_mx_helo: f.receivingMxHelo,
    receiving_ip: f.receivingIp,
    failure_reason_code: f.failureReasonCode,
    additional_information: f.additionalInformation,
    sessions: f.sessions,
    folded: f.folded,
  }));
  // Batches: SQLite allows at most 999 bound values per statement in older builds (14 a row).
  for (let i = 0; i < failures.length; i += 50) await trx(tables.failures).insert(failures.slice(i, i + 50));
}

/** Over the domain's quota for the UTC day of `receivedAt` with this report's `rows`, or null. */
async function overQuota(trx: Knex, tables: ReportTables, input: NewReport, rows: number, quota: DailyQuota): Promise<InsertResult | null> {
  const since = `${input.receivedAt.toISOString().slice(0, 10)}T00:00:00.000Z`;
  const used: Row | undefined = await trx<Row>(tables.reports)
    .where('domain', input.domain)
    .where('received_at', '>=', since)
    .count({ reports: '*' })
    .sum({ rows: 'stored_rows' })
    .first();
  if (num(used?.reports) + 1 > quota.reports) return { status: 'over-quota', quota: 'reports', limit: quota.reports };
  if (num(used?.rows) + rows > quota.rows) return { status: 'over-quota', quota: 'rows', limit: quota.rows };
  return null;
}

/** The id of a stored report, or null; on `connection` when given (else `knex` is a transaction). */
async function findId(knex: Knex, tables: ReportTables, domain: string, organisation: string, reportId: string, connection?: unknown): Promise<number | null> {
  const query = knex<Row>(tables.reports).where({ domain, organisation, report_id: reportId }).first('id');
  const row = (await (connection === undefined ? query : query.connection(connection))) as Row | undefined;
  return row ? Number(row.id) : null;
}

/**
 * Deletes reports that ended before `before`, then, while all domains together hold more than
 * `cap` reports or rows, the oldest reports (by the end of their date range); each with its rows,
 * in batches of at most 500 so that a large backlog never holds a long lock. Returns how many
 * reports were deleted.
 */
export async function pruneReports(knex: Knex, tables: ReportTables, before: Date, cap: StoreCap | null): Promise<number> {
  const cutoff = before.toISOString();
  let deleted = 0;
  for (;;) {
    const ids = (await knex(tables.reports).where('end_at', '<', cutoff).orderBy('id').limit(500).pluck('id')).map(Number);
    if (ids.length === 0) break;
    await deleteReports(knex, tables, ids);
    deleted += ids.length;
  }
  if (cap === null) return deleted;
  // Counted once, then kept up to date from what each batch deleted (a report's stored_rows); counted
  // again only when that says the cap is met: COUNT(*) over millions of rows is not free.
  let [reports, rows] = await counts(knex, tables);
  for (;;) {
    if (reports <= cap.reports && rows <= cap.rows) {
      [reports, rows] = await counts(knex, tables);
      if (reports <= cap.reports && rows <= cap.rows) return deleted;
    }
    const excessReports = reports - cap.reports;
    const excessRows = rows - cap.rows;
    const oldest: Row[] = await knex<Row>(tables.reports)
      .orderBy('end_at')
      .orderBy('id')
      .limit(Math.min(500, Math.max(excessReports, 1)) + (excessRows > 0 ? 500 : 0))
      .select('id', 'stored_rows');
    // Reports stored before the stored_rows column existed read 0: their rows are counted here.
    const legacy = await rowsOf(
      knex,
      tables,
      oldest.filter((row) => num(row.stored_rows) === 0).map((row) => Number(row.id)),
    );
    const ids: number[] = [];
    let rowsFreed = 0;
    for (const row of oldest) {
      if (ids.length >= 500 || (ids.length >= excessReports && rowsFreed >= excessRows)) break;
      ids.push(Number(row.id));
      rowsFreed += num(row.stored_rows) || (legacy.get(Number(row.id)) ?? 0);
    }
    if (ids.length === 0) return deleted;
    await deleteReports(knex, tables, ids);
    deleted += ids.length;
    reports -= ids.length;
    rows -= rowsFreed;
  }
}

/** The policy and failure rows of each of these reports (by id; absent: none). */
async function rowsOf(knex: Knex, tables: ReportTables, ids: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (ids.length === 0) return out;
  for (const table of [tables.policies, tables.failures]) {
    const counted: Row[] = await knex<Row>(table).whereIn('report', ids).select('report').count({ n: '*' }).groupBy('report');
    for (const row of counted) out.set(Number(row.report), (out.get(Number(row.report)) ?? 0) + num(row.n));
  }
  return out;
}

/** All reports, and all their policy and failure rows. */
async function counts(knex: Knex, tables: ReportTables): Promise<[number, number]> {
  const [reports, policies, failures] = await Promise.all([count(knex, tables.reports), count(knex, tables.policies), count(knex, tables.failures)]);
  return [reports, policies + failures];
}

async function deleteReports(knex: Knex, tables: ReportTables, ids: number[]): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx(tables.failures).whereIn('report', ids).delete();
    await trx(tables.policies).whereIn('report', ids).delete();
    await trx(tables.reports).whereIn('id', ids).delete();
  });
}

async function count(knex: Knex, table: string): Promise<number> {
  const row: Row | undefined = await knex<Row>(table).count({ n: '*' }).first();
  return num(row?.n);
}

/**
 * The id of the row an insert made, as each driver gives it: MariaDB and SQLite answer the new
 * auto-increment id; PostgreSQL answers nothing without RETURNING (which MariaDB does not know).
 */
async function insertId(knex: Knex, insert: Knex.QueryBuilder): Promise<number> {
  const rows = (dialectOf(knex) === 'postgres' ? await insert.returning('id') : await insert) as unknown[];
  const first = rows[0];
  return Number(typeof first === 'object' && first !== null ? (first as { id: unknown }).id : first);
}
