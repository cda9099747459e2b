// Self-contained on purpose (see the first migration): table and column names are literals here,
// frozen once run. One table for the last DNS Check of each domain, where there were two:
// - `last_checks` (20261201000400): every check's summary (verdict, counts, policy id), written by
//   every check (the tab, the API, the CLI, the scheduler) and read by the overview in SQL;
// - `check_results` (20261201000500): the scheduler's own copy of the same checks, with their
//   worst status, codes and whole result as JSON, read by nothing.
// `last_checks` is kept and gains `worst`, `codes` and `result`; every `check_results` row is
// copied into it before that table is dropped. `down` recreates `check_results` and copies back.
import type { Knex } from 'knex';

/** What this migration needs: the prefix of the plugin's own tables. */
export interface OneCheckTableConfig {
  tablePrefix?: string;
}

const ADDED = ['worst', 'codes', 'result'] as const;
/** Rows per statement while copying: far below every dialect's limit on bound parameters. */
const BATCH = 200;

function names(config: OneCheckTableConfig) {
  const prefix = config.tablePrefix ?? 'mta_sts_';
  return { lastChecks: `${prefix}last_checks`, results: `${prefix}check_results` };
}

function isMysql(knex: Knex): boolean {
  const client = (knex.client as { config: { client?: unknown } }).config.client;
  return client === 'mysql2' || client === 'mysql';
}

/**
 * MariaDB changes a table with ALTER TABLE, which a session with alter_algorithm=INSTANT (a host
 * guarding its big tables against copies) may refuse. These are the plugin's own small tables,
 * never the host's: the session's setting is lifted for them, on one connection, and restored after.
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

/** A cell as text, whichever form the driver answers it in. */
function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : '';
}

/** The parsed result, or null when it is not the JSON object a check stored. */
function parsed(result: string): { checkedAt?: unknown; id?: unknown; checks?: unknown } | null {
  try {
    const value = JSON.parse(result) as unknown;
    return value !== null && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

/** A summary row for a domain only the scheduler's table knew: verdict and counts from its result. */
function summaryOf(row: Record<string, unknown>): Record<string, unknown> {
  const worst = str(row.worst);
  const checks = parsed(str(row.result))?.checks;
  const statuses = Array.isArray(checks) ? checks.map((c) => str((c as { status?: unknown } | null)?.status)) : [];
  const id = parsed(str(row.result))?.id;
  return {
    domain: row.domain,
    checked_at: row.checked_at,
    verdict: worst === 'error' ? 'error' : worst === 'warning' ? 'warning' : 'ok',
    errors: statuses.filter((s) => s === 'error').length,
    warnings: statuses.filter((s) => s === 'warning').length,
    policy_id: typeof id === 'string' && id.length <= 32 ? id : null,
  };
}

/** Every row of `table` in domain order, `BATCH` at a time (keyset pagination). */
async function eachBatch(
  knex: Knex,
  table: string,
  where: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
  work: (rows: Array<Record<string, unknown>>) => Promise<void>,
) {
  for (let after: string | null = null; ;) {
    let query = where(knex(table).select('*')).orderBy('domain').limit(BATCH);
    if (after !== null) query = query.andWhere('domain', '>', after);
    const rows = (await query) as Array<Record<string, unknown>>;
    if (rows.length > 0) await work(rows);
    if (rows.length < BATCH) return;
    after = str(rows[rows.length - 1].domain);
  }
}

/** Guarded step by step, so that a partly applied run can run again. */
export async function up(knex: Knex, config: OneCheckTableConfig = {}): Promise<void> {
  const t = names(config);
  if (!(await knex.schema.hasTable(t.lastChecks))) return;
  await onOneConnection(knex, async (conn) => {
    for (const column of ADDED) {
      if (await conn.schema.hasColumn(t.lastChecks, column)) continue;
      await conn.schema.alterTable(t.lastChecks, (table) => {
        if (column === 'worst') table.string(column, 8).nullable();
        else table.text(column).nullable();
      });
    }
    if (!(await conn.schema.hasTable(t.results))) return;
    // A domain both tables know keeps its summary (the overview shows what it showed), with the
    // scheduler's whole result beside it (the result carries its own time). One statement, however many rows.
    const from = (column: string) => conn.raw('(SELECT ?? FROM ?? WHERE ?? = ??)', [`r.${column}`, `${t.results} as r`, 'r.domain', `${t.lastChecks}.domain`]);
    await conn(t.lastChecks)
      .whereIn('domain', conn(t.results).select('domain'))
      .update({ worst: from('worst'), codes: from('codes'), result: from('result') });
    // A domain only the scheduler's table knows (its check was not recorded): a summary from its result.
    await eachBatch(
      conn,
      t.results,
      (q) => q.whereNotIn('domain', conn(t.lastChecks).select('domain')),
      async (rows) => {
        const summaries = rows.map((row) => ({ ...summaryOf(row), worst: row.worst, codes: row.codes, result: row.result }));
        await conn(t.lastChecks).insert(summaries).onConflict('domain').ignore();
      },
    );
    await conn.schema.dropTable(t.results);
  });
}

/**
 * Undoes `up`: `check_results` again, with a row for each domain whose whole result is kept (its
 * time read from the result, as the scheduler wrote it), then the added columns dropped. A summary
 * row `up` added for a domain only `check_results` knew stays in `last_checks`.
 */
export async function down(knex: Knex, config: OneCheckTableConfig = {}): Promise<void> {
  const t = names(config);
  if (!(await knex.schema.hasTable(t.lastChecks))) return;
  await onOneConnection(knex, async (conn) => {
    const present: string[] = [];
    for (const column of ADDED) if (await conn.schema.hasColumn(t.lastChecks, column)) present.push(column);
    if (present.length < ADDED.length) {
      if (present.length > 0) await conn.schema.alterTable(t.lastChecks, (table) => table.dropColumns(...present));
      return;
    }
    if (!(await conn.schema.hasTable(t.results))) {
      // As 20261201000500 created it.
      await conn.schema.createTable(t.results, (table) => {
        table.string('domain', 255).notNullable().primary();
        table.string('checked_at', 24).notNullable();
        table.string('worst', 8).notNullable();
        table.text('codes').notNullable();
        table.text('result').notNullable();
      });
    }
    await eachBatch(
      conn,
      t.lastChecks,
      (q) => q.whereNotNull('result'),
      async (rows) => {
        const back = rows.map((row) => {
          const at = parsed(str(row.result))?.checkedAt;
          return {
            domain: row.domain,
            checked_at: typeof at === 'string' && at.length <= 24 ? at : row.checked_at,
            worst: row.worst ?? row.verdict,
            codes: row.codes ?? '',
            result: row.result,
          };
        });
        await conn(t.results).insert(back).onConflict('domain').ignore();
      },
    );
    await conn.schema.alterTable(t.lastChecks, (table) => table.dropColumns(...ADDED));
  });
}
