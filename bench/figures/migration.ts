// Figure 5: migration time on MariaDB with a domain table of 100,000 rows: the plugin's
// migrate() (adds its 8 columns to the domain table and creates its own tables) and rollback()
// (undoes all of it), against adding one column with
// ALGORITHM=COPY, which is what a migration that copies the table would cost.
// Tables have unique names in the `test` database and are dropped at the end.
import { createMtaSts } from '../../src';
import { MAIL_HOSTNAME, MYSQL, uniqueSuffix } from '../lib/data';
import type { Report } from '../lib/report';
import knexFactory from 'knex';
import { median, nowMs, round } from '../lib/util';
import { sized } from '../lib/mode';

const ROWS = sized(100_000, 2000);
const ROUNDS = sized(3, 1);
const BATCH = 2000;

export async function figureMigration(ctx: { report: Report }): Promise<void> {
  const { report } = ctx;
  const suffix = uniqueSuffix();
  const table = `bench_domain_${suffix}`;
  const migrationsTable = `bench_mta_sts_migrations_${suffix}`;
  const knex = knexFactory({ client: 'mysql2', connection: { ...MYSQL, database: 'test' }, pool: { min: 0, max: 2 } });
  console.log(`\nFigure 5: migration on MariaDB, domain table of ${ROWS.toLocaleString('en')} rows, ${ROUNDS} rounds`);
  try {
    const [[{ version }]] = (await knex.raw('SELECT VERSION() AS version')) as [[{ version: string }]];
    report.data.machine.mariadb = version;
    // A host domain table shaped like mailcow's.
    await knex.schema.createTable(table, (t) => {
      t.string('domain', 255).primary();
      t.string('description', 255).notNullable().defaultTo('');
      t.integer('aliases').notNullable().defaultTo(400);
      t.integer('mailboxes').notNullable().defaultTo(10);
      t.bigInteger('defquota').notNullable().defaultTo(3072);
      t.bigInteger('maxquota').notNullable().defaultTo(10240);
      t.bigInteger('quota').notNullable().defaultTo(10240);
      t.string('relayhost', 255).notNullable().defaultTo('0');
      t.boolean('backupmx').notNullable().defaultTo(false);
      t.boolean('gal').notNullable().defaultTo(true);
      t.boolean('relay_all_recipients').notNullable().defaultTo(false);
      t.boolean('relay_unknown_only').notNullable().defaultTo(false);
      t.dateTime('created').notNullable().defaultTo(knex.fn.now());
      t.dateTime('modified').nullable();
      t.boolean('active').notNullable().defaultTo(true);
    });
    const t0 = nowMs();
    for (let i = 0; i < ROWS; i += BATCH) {
      const rows = [];
      for (let j = i; j < Math.min(ROWS, i + BATCH); j++)
        rows.push({ domain: `d${j}.example`, description: `Customer domain number ${j}`, mailboxes: 10 + (j % 50) });
      await knex(table).insert(rows);
    }
    console.log(`  ${ROWS.toLocaleString('en')} rows inserted in ${((nowMs() - t0) / 1000).toFixed(1)} s`);

    const mtaSts = createMtaSts({ knex, mailHostname: MAIL_HOSTNAME, domainTable: table, migrationsTable, aliasDomains: null });
    const rounds: Array<{ upSeconds: number; downSeconds: number }> = [];
    let migrations = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const a = nowMs();
      const applied = await mtaSts.migrate();
      const b = nowMs();
      const reverted = await mtaSts.rollback();
      const c = nowMs();
      // Every migration of the plugin in one batch (the domain table's 8 columns, then its own tables), all of it undone.
      if (applied.length === 0 || reverted.length !== applied.length)
        throw new Error(`migrate applied ${JSON.stringify(applied)}, rollback reverted ${JSON.stringify(reverted)}`);
      migrations = applied.length;
      rounds.push({ upSeconds: round((b - a) / 1000, 3), downSeconds: round((c - b) / 1000, 3) });
      console.log(
        `  round ${r + 1}: migrate up ${((b - a) / 1000).toFixed(3)} s, down ${((c - b) / 1000).toFixed(3)} s${r === 0 ? ' (the first also creates the migrations table)' : ''}`,
      );
    }
    const [{ count }] = await knex(table).count({ count: '*' });
    if (Number(count) !== ROWS) throw new Error(`the table holds ${count} rows after the rounds`);
    // The reference: one such column added the old way, by copying the table.
    const f0 = nowMs();
    await knex.raw('ALTER TABLE ?? ADD COLUMN bench_copy_probe INT NOT NULL DEFAULT 0, ALGORITHM=COPY', [table]);
    const copySeconds = (nowMs() - f0) / 1000;
    await knex.raw('ALTER TABLE ?? DROP COLUMN bench_copy_probe', [table]);
    console.log(`  reference: one column added with ALGORITHM=COPY (a table copy) ${copySeconds.toFixed(2)} s`);

    const up = median(rounds.map((r) => r.upSeconds));
    const down = median(rounds.map((r) => r.downSeconds));
    for (const [measure, value] of [
      [`migrate up (${migrations} migrations: 8 columns on the domain table, the plugin's tables)`, up],
      ['migrate down (all of them undone)', down],
    ] as const) {
      report.row({
        figure: '5 migration',
        measure: `MariaDB ${ROWS.toLocaleString('en')} rows: ${measure}`,
        value: `${value.toFixed(3)} s`,
        reference: `table copy ${copySeconds.toFixed(2)} s`,
        ratio: `${(value / copySeconds).toFixed(3)}x`,
        goal: '<= 2 s (no table copy)',
        met: value <= 2,
      });
    }
    report.figure('5-migration', { rows: ROWS, mariadb: version, rounds, upSeconds: up, downSeconds: down, tableCopySeconds: round(copySeconds, 3) });
  } finally {
    for (const name of [table, migrationsTable, `${migrationsTable}_lock`]) await knex.schema.dropTableIfExists(name);
    await knex.destroy();
  }
}
