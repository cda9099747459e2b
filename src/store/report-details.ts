// Refilling the failure rows of reports stored before migration 20261210000000, which kept only
// the result type, receiving MX host, receiving IP and sessions of a failure detail. Each such
// report still has its JSON as received (`report_gz`); the service parses it again and its rows are
// replaced here, one report per transaction. Knex builder only, the same on every database.
import type { Knex } from 'knex';
import type { BoundedSummary } from '../reports';
import { text, type Row } from './rows';
import { insertRows, type ReportTables } from './report-writes';

/** A stored report whose failure rows lack the fields of migration 20261210000000. */
export interface PendingReport {
  id: number;
  domain: string;
  organisation: string;
  start: string;
  gzip: Buffer;
}

/**
 * Marks the reports without a failure row and without failed sessions (of `domain`, or all) as
 * refilled: they have nothing to refill. One statement, for what would otherwise be most reports.
 */
export async function markWithoutFailures(knex: Knex, tables: ReportTables, domain: string | null): Promise<void> {
  await knex(tables.reports)
    .where('failure_details', 0)
    .where('failure', 0)
    .modify((q) => {
      if (domain !== null) q.where('domain', domain);
    })
    .whereNotExists(
      knex(tables.failures)
        .select(knex.raw('1'))
        .whereRaw('?? = ??', [`${tables.failures}.report`, `${tables.reports}.id`]),
    )
    .update({ failure_details: 1 });
}

/** Up to `limit` reports still to refill (of `domain`, or all), oldest first. */
export async function pendingReports(knex: Knex, tables: ReportTables, domain: string | null, limit: number): Promise<PendingReport[]> {
  const rows: Row[] = await knex<Row>(tables.reports)
    .where('failure_details', 0)
    .modify((q) => {
      if (domain !== null) q.where('domain', domain);
    })
    .orderBy('id')
    .limit(limit)
    .select('id', 'domain', 'organisation', 'start_at', 'report_gz');
  return rows.map((row) => ({
    id: Number(row.id),
    domain: text(row.domain),
    organisation: text(row.organisation),
    start: text(row.start_at),
    gzip: Buffer.from(row.report_gz as Uint8Array),
  }));
}

/**
 * Replaces the policy and failure rows of `report` by those of `summary` (the report parsed again)
 * and marks it refilled, in one transaction. The mark is set first and only where it was not:
 * when another request or instance refilled the report first, or pruning deleted it meanwhile,
 * nothing is changed (answers false), so no row is ever written twice.
 * `summary` null: the stored JSON no longer parses (never expected): the report is marked and its
 * rows kept as they are, so that it is not tried again at every read.
 */
export async function replaceReportRows(knex: Knex, tables: ReportTables, report: PendingReport, summary: BoundedSummary | null): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const changes =
      summary === null
        ? {}
        : {
            stored_rows: summary.policies.length + summary.failures.length,
            folded_policies: summary.foldedPolicies,
            folded_failures: summary.foldedFailures,
          };
    const claimed = await trx(tables.reports)
      .where({ id: report.id, failure_details: 0 })
      .update({ failure_details: 1, ...changes });
    if (Number(claimed) !== 1 || summary === null) return Number(claimed) === 1;
    await trx(tables.failures).where('report', report.id).delete();
    await trx(tables.policies).where('report', report.id).delete();
    await insertRows(knex, trx, tables, { id: report.id, domain: report.domain, day: report.start.slice(0, 10), organisation: report.organisation }, summary);
    return true;
  });
}
