// Self-contained on purpose (see the first migration): names are literals here, frozen once run.
import type { Knex } from 'knex';

/** What the migration needs from the host: its domain table, and the prefix of the plugin's own tables. */
export interface MigrationConfig {
  table: string;
  keyColumn?: string;
  tablePrefix?: string;
}

const DEFAULT_CONFIG: MigrationConfig = { table: 'domain' };

const historyTable = (config: MigrationConfig) => `${config.tablePrefix ?? 'mta_sts_'}history`;

/**
 * A cell of the host's table as text ('' for null): drivers answer strings, numbers or Buffers
 * depending on the database; anything else is refused rather than stored as "[object Object]".
 * Local on purpose: a migration imports nothing from src/, so that it stays as it ran.
 */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  throw new TypeError(`a cell of the domain table holds ${Object.prototype.toString.call(value)} where text was expected`);
}

/**
 * The plugin's own table of every policy change: who changed what, from which values to which,
 * and the id before and after. It outlives the host's table: a panel whose schema upgrade drops
 * columns it does not know (mailcow does) loses the policies in the domain table, never these.
 * Existing policies are recorded once, so that from now on every served policy is in here.
 */
export async function up(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  const table = historyTable(config);
  if (!(await knex.schema.hasTable(table))) {
    await knex.schema.createTable(table, (t) => {
      t.increments('id').primary();
      // The host table's key of the row, exactly as stored (A-label or U-label).
      t.string('domain', 255).notNullable();
      // ISO 8601 UTC, as the policy columns keep their time (drivers read DATETIME in local time).
      t.string('changed_at', 24).notNullable();
      t.string('actor', 255).nullable();
      t.string('source', 16).notNullable();
      t.string('origin', 64).nullable();
      // The policy before and after as JSON: active, version, mode, maxAge, mx, id, revision.
      t.text('before').nullable();
      t.text('after').notNullable();
      t.string('old_id', 32).nullable();
      t.string('new_id', 32).nullable();
    });
    const index = `${table}_domain_id`;
    const client = (knex.client as { config: { client?: unknown } }).config.client; // Knex types it `any`
    if (client === 'mysql2' || client === 'mysql') {
      // Explicitly in place: a host may run its sessions with alter_algorithm=INSTANT to be sure no
      // migration copies its tables; indexing this new, empty table copies nothing either way.
      await knex.raw('ALTER TABLE ?? ADD INDEX ?? (??, ??), ALGORITHM=INPLACE', [table, index, 'domain', 'id']);
    } else {
      await knex.schema.alterTable(table, (t) => t.index(['domain', 'id'], index));
    }
  }
  const [{ count }] = await knex(table).count({ count: '*' });
  if (Number(count) > 0 || !(await knex.schema.hasColumn(config.table, 'mta_sts_id'))) return;
  const rows: Array<Record<string, unknown>> = await knex<Record<string, unknown>>(config.table)
    .select(
      { domain: config.keyColumn ?? 'domain' },
      'mta_sts_active',
      'mta_sts_version',
      'mta_sts_mode',
      'mta_sts_max_age',
      'mta_sts_mx',
      'mta_sts_id',
      'mta_sts_updated_at',
      'mta_sts_revision',
    )
    .whereNotNull('mta_sts_id');
  const now = new Date().toISOString();
  for (let i = 0; i < rows.length; i += 200) {
    await knex(table).insert(
      rows.slice(i, i + 200).map((row) => ({
        domain: text(row.domain),
        changed_at: row.mta_sts_updated_at == null ? now : text(row.mta_sts_updated_at),
        actor: null,
        source: 'migration',
        origin: null,
        before: null,
        after: JSON.stringify({
          active: row.mta_sts_active === true || Number(row.mta_sts_active) === 1,
          version: text(row.mta_sts_version),
          mode: text(row.mta_sts_mode),
          maxAge: Number(row.mta_sts_max_age),
          mx: text(row.mta_sts_mx).split(',').filter(Boolean),
          id: text(row.mta_sts_id),
          updatedAt: row.mta_sts_updated_at == null ? null : text(row.mta_sts_updated_at),
          revision: Number(row.mta_sts_revision) || 0,
        }),
        old_id: null,
        new_id: text(row.mta_sts_id),
      })),
    );
  }
}

export async function down(knex: Knex, config: MigrationConfig = DEFAULT_CONFIG): Promise<void> {
  await knex.schema.dropTableIfExists(historyTable(config));
}
