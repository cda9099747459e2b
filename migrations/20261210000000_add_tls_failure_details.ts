// Self-contained on purpose (see the first migration): table, column and index names are literals
// here, frozen once run. Changes the plugin's OWN report tables (20261201000100) only.
// - The failure rows keep every field of an RFC 8460 failure detail (section 4.4): besides the
//   result type, receiving MX host, receiving IP and sessions they had, the sending MTA's IP, the
//   receiving MX's HELO, the failure reason code and the additional information; and the
//   reporting organisation, so that failures group by sender without a join. The sizes are the
//   parser's limits (REPORT_COLUMNS in src/reports/report.ts): 255, 64 and 2048 characters.
// - `failure_details` on a report: 1 when its failure rows hold those fields. Reports stored before
//   this migration read 0; the service refills their rows from the report as received
//   (`report_gz`), which only the parser can read: a frozen copy of the parser here would be a
//   second parser to keep right, and walking every stored report would hold the upgrade for as
//   long as that takes (see ReportService.fillFailureDetails).
import type { Knex } from 'knex';

/** What this migration needs: the prefix of the plugin's own tables. */
export interface FailureDetailsConfig {
  tablePrefix?: string;
}

function names(config: FailureDetailsConfig) {
  const prefix = config.tablePrefix ?? 'mta_sts_';
  const reports = `${prefix}tlsrpt_reports`;
  return { reports, failures: `${prefix}tlsrpt_failures`, pending: `${reports}_details` };
}

/** The new failure columns and their sizes in characters. */
const COLUMNS: ReadonlyArray<[string, number]> = [
  ['organisation', 255],
  ['sending_mta_ip', 64],
  ['receiving_mx_helo', 255],
  ['failure_reason_code', 2048],
  ['additional_information', 2048],
];

function clientOf(knex: Knex): string {
  return String((knex.client as { config: { client?: unknown } }).config.client);
}

function isMysql(knex: Knex): boolean {
  const client = clientOf(knex);
  return client === 'mysql2' || client === 'mysql';
}

function isSqlite(knex: Knex): boolean {
  const client = clientOf(knex);
  return client === 'better-sqlite3' || client === 'sqlite3';
}

async function hasIndex(knex: Knex, table: string, index: string): Promise<boolean> {
  if (isSqlite(knex)) {
    const rows = (await knex.raw("SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?", [index])) as unknown[];
    return rows.length > 0;
  }
  if (isMysql(knex)) {
    // mysql2 answers [rows, fields] (Knex types it `any`).
    const [rows] = (await knex.raw('SHOW INDEX FROM ?? WHERE Key_name = ?', [table, index])) as [unknown[]];
    return rows.length > 0;
  }
  const result = await knex.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?', [index]);
  return result.rows.length > 0;
}

/**
 * MariaDB builds an index with ALTER TABLE, which a session with alter_algorithm=INSTANT (a host
 * guarding its big tables against copies) refuses. These are the plugin's own tables, never the
 * host's: the session's setting is lifted for them, on one connection, and restored after.
 */
async function onOneConnection(knex: Knex, work: (conn: Knex) => Promise<void>): Promise<void> {
  if (!isMysql(knex)) return work(knex);
  const run = async (conn: Knex) => {
    const [rows] = (await conn.raw("SHOW SESSION VARIABLES LIKE 'alter_algorithm'")) as [Array<{ Value?: string }>];
    const previous = rows[0]?.Value;
    const lift = previous !== undefined && previous.toUpperCase() !== 'DEFAULT';
    if (lift) await conn.raw("SET SESSION alter_algorithm = 'DEFAULT'");
    try {
      await work(conn);
    } finally {
      if (lift) await conn.raw('SET SESSION alter_algorithm = ?', [previous]);
    }
  };
  return (knex as Knex & { isTransaction?: boolean }).isTransaction ? run(knex) : knex.transaction(run);
}

/** Guarded step by step, so that a partly applied run can run again. */
export async function up(knex: Knex, config: FailureDetailsConfig = {}): Promise<void> {
  const t = names(config);
  if (!(await knex.schema.hasTable(t.reports)) || !(await knex.schema.hasTable(t.failures))) return;
  await onOneConnection(knex, async (conn) => {
    for (const [column, length] of COLUMNS) {
      if (!(await conn.schema.hasColumn(t.failures, column))) {
        await conn.schema.alterTable(t.failures, (table) => {
          table.string(column, length).nullable();
        });
      }
    }
    if (!(await conn.schema.hasColumn(t.reports, 'failure_details'))) {
      await conn.schema.alterTable(t.reports, (table) => {
        table.integer('failure_details').notNullable().defaultTo(0);
      });
    }
    // The reports still to refill, found by one index seek (none, once they are done).
    if (!(await hasIndex(conn, t.reports, t.pending))) {
      await conn.schema.alterTable(t.reports, (table) => table.index(['failure_details', 'domain'], t.pending));
    }
  });
}

/** Undoes exactly what `up` did (the refilled rows keep their other columns). */
export async function down(knex: Knex, config: FailureDetailsConfig = {}): Promise<void> {
  const t = names(config);
  if (!(await knex.schema.hasTable(t.reports)) || !(await knex.schema.hasTable(t.failures))) return;
  await onOneConnection(knex, async (conn) => {
    if (await hasIndex(conn, t.reports, t.pending)) {
      await conn.schema.alterTable(t.reports, (table) => table.dropIndex(['failure_details', 'domain'], t.pending));
    }
    await dropColumns(conn, t.reports, ['failure_details']);
    await dropColumns(
      conn,
      t.failures,
      COLUMNS.map(([column]) => column),
    );
  });
}

async function dropColumns(knex: Knex, table: string, columns: string[]): Promise<void> {
  for (const column of columns) {
    if (!(await knex.schema.hasColumn(table, column))) continue;
    // Raw SQL on SQLite: Knex's dropColumn rebuilds the whole table there; SQLite 3.35+ drops in place.
    if (isSqlite(knex)) await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [table, column]);
    else await knex.schema.alterTable(table, (builder) => builder.dropColumn(column));
  }
}
