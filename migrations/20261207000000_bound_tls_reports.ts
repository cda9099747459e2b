// Self-contained on purpose (see the first migration): table, column and index names are literals
// here, frozen once run. Changes the plugin's OWN report tables (20261201000100) only:
// - duplicates are keyed per policy domain: the unique index on (organisation, report_id) let a
//   report posted for one domain in advance suppress another domain's real one with the same id;
//   it becomes (domain, organisation, report_id);
// - what a report stored beyond the per-report bounds is counted, not lost: `folded_policies` and
//   `folded_failures` on the report, `folded` on the aggregate row that stands for them;
// - `stored_rows` on the report and an index on (domain, received_at): a domain's daily quota is
//   one indexed sum, not a scan of its rows.
import type { Knex } from 'knex';

/** What this migration needs: the prefix of the plugin's own tables. */
export interface BoundReportsConfig {
  tablePrefix?: string;
}

function names(config: BoundReportsConfig) {
  const prefix = config.tablePrefix ?? 'mta_sts_';
  const reports = `${prefix}tlsrpt_reports`;
  return {
    reports,
    policies: `${prefix}tlsrpt_policies`,
    failures: `${prefix}tlsrpt_failures`,
    oldUnique: `${reports}_dedup`,
    newUnique: `${reports}_dedup_domain`,
    received: `${reports}_domain_received`,
  };
}

function clientOf(knex: Knex): string {
  return String((knex.client as { config: { client?: unknown } }).config.client);
}

function isMysql(knex: Knex): boolean {
  const client = clientOf(knex);
  return client === 'mysql2' || client === 'mysql';
}

async function hasIndex(knex: Knex, table: string, index: string): Promise<boolean> {
  const client = clientOf(knex);
  if (client === 'better-sqlite3' || client === 'sqlite3') {
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
export async function up(knex: Knex, config: BoundReportsConfig = {}): Promise<void> {
  const t = names(config);
  if (!(await knex.schema.hasTable(t.reports))) return;
  await onOneConnection(knex, async (conn) => {
    // The new unique index first: between the two statements a report is never unguarded.
    if (!(await hasIndex(conn, t.reports, t.newUnique))) {
      await conn.schema.alterTable(t.reports, (table) => table.unique(['domain', 'organisation', 'report_id'], { indexName: t.newUnique }));
    }
    if (await hasIndex(conn, t.reports, t.oldUnique)) {
      await conn.schema.alterTable(t.reports, (table) => table.dropUnique(['organisation', 'report_id'], t.oldUnique));
    }
    for (const column of ['folded_policies', 'folded_failures', 'stored_rows']) {
      if (!(await conn.schema.hasColumn(t.reports, column))) {
        await conn.schema.alterTable(t.reports, (table) => {
          table.bigInteger(column).notNullable().defaultTo(0);
        });
      }
    }
    for (const table of [t.policies, t.failures]) {
      if (!(await conn.schema.hasColumn(table, 'folded'))) {
        await conn.schema.alterTable(table, (builder) => {
          builder.bigInteger('folded').notNullable().defaultTo(0);
        });
      }
    }
    if (!(await hasIndex(conn, t.reports, t.received))) {
      await conn.schema.alterTable(t.reports, (table) => table.index(['domain', 'received_at'], t.received));
    }
  });
}

/**
 * Undoes exactly what `up` did. The old index allowed one report per (organisation, report_id)
 * over all domains: when two domains now hold the same one, it cannot come back, and `down` says
 * so instead of deleting a report.
 */
export async function down(knex: Knex, config: BoundReportsConfig = {}): Promise<void> {
  const t = names(config);
  if (!(await knex.schema.hasTable(t.reports))) return;
  await onOneConnection(knex, async (conn) => {
    if (await hasIndex(conn, t.reports, t.received)) {
      await conn.schema.alterTable(t.reports, (table) => table.dropIndex(['domain', 'received_at'], t.received));
    }
    await dropColumns(conn, t.reports, ['folded_policies', 'folded_failures', 'stored_rows']);
    await dropColumns(conn, t.policies, ['folded']);
    await dropColumns(conn, t.failures, ['folded']);
    if (!(await hasIndex(conn, t.reports, t.oldUnique))) {
      const clash = (await conn(t.reports)
        .select('organisation', 'report_id')
        .count({ n: '*' })
        .groupBy('organisation', 'report_id')
        .havingRaw('count(*) > 1')
        .first()) as { organisation?: unknown; report_id?: unknown } | undefined;
      if (clash) {
        throw new Error(
          `cannot roll back 20261207000000_bound_tls_reports: report ${String(clash.report_id)} of ${String(clash.organisation)} is stored for more than one domain, which the older schema cannot hold; delete one first`,
        );
      }
      await conn.schema.alterTable(t.reports, (table) => table.unique(['organisation', 'report_id'], { indexName: t.oldUnique }));
    }
    if (await hasIndex(conn, t.reports, t.newUnique)) {
      await conn.schema.alterTable(t.reports, (table) => table.dropUnique(['domain', 'organisation', 'report_id'], t.newUnique));
    }
  });
}

async function dropColumns(knex: Knex, table: string, columns: string[]): Promise<void> {
  const client = clientOf(knex);
  for (const column of columns) {
    if (!(await knex.schema.hasColumn(table, column))) continue;
    // Raw SQL on SQLite: Knex's dropColumn rebuilds the whole table there; SQLite 3.35+ drops in place.
    if (client === 'better-sqlite3' || client === 'sqlite3') await knex.raw('ALTER TABLE ?? DROP COLUMN ??', [table, column]);
    else await knex.schema.alterTable(table, (builder) => builder.dropColumn(column));
  }
}
