import assert from 'node:assert/strict';
import knexFactory, { Knex } from 'knex';
import { createMtaSts } from '../../src';
import { COLUMNS } from '../../src/store/columns';
import { TestDb, createTestDb } from '../support/db';
import { mariadbTarget } from '../support/mariadb';

// The plugin's migration on a real-sized host table: 100,000 mailcow-like domain rows on MariaDB,
// migrated up, down and up again. Host rows and columns must come through untouched, and no step
// may copy or rebuild the table: every ALTER runs in a session where MariaDB refuses anything but
// ALGORITHM=INSTANT, and the table keeps its InnoDB table id (a copy or rebuild would give a new
// one). Timings are printed for the record, never asserted.

const ROWS = 100_000;
const BATCH = 2_000;
const ALL_COLUMNS = Object.values(COLUMNS);
const HOST_COLUMNS = [
  'domain',
  'description',
  'aliases',
  'mailboxes',
  'maxquota',
  'quota',
  'relayhost',
  'backupmx',
  'gal',
  'relay_all_recipients',
  'created',
  'modified',
  'active',
];

describe('reliability: migrating a 100,000-row host table (MariaDB)', function () {
  this.timeout(300_000);
  let db: TestDb;
  /** A Knex whose every connection refuses ALTERs that are not instant. */
  let instant: Knex;
  let scratch: string;

  before(async () => {
    db = await createTestDb('mariadb');
    scratch = `${db.domainTable}_scratch`;
    const target = mariadbTarget();
    instant = knexFactory({
      client: 'mysql2',
      connection: { host: target.host, port: target.port, user: target.user, password: target.password, database: target.database },
      pool: {
        min: 0,
        max: 2,
        afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) => {
          conn.query("SET SESSION alter_algorithm = 'INSTANT'", (err) => done(err, conn));
        },
      },
    });
    await db.knex.raw(
      `CREATE TABLE ?? (
      domain VARCHAR(255) NOT NULL,
      description VARCHAR(255) NULL,
      aliases INT(10) NOT NULL DEFAULT 400,
      mailboxes INT(10) NOT NULL DEFAULT 10,
      maxquota BIGINT(20) NOT NULL DEFAULT 10240,
      quota BIGINT(20) NULL,
      relayhost VARCHAR(255) NOT NULL DEFAULT '0',
      backupmx TINYINT(1) NOT NULL DEFAULT 0,
      gal TINYINT(1) NOT NULL DEFAULT 1,
      relay_all_recipients TINYINT(1) NOT NULL DEFAULT 0,
      created DATETIME(0) NOT NULL DEFAULT '2020-01-01 00:00:00',
      modified DATETIME(0) NULL,
      active TINYINT(1) NOT NULL DEFAULT 1,
      PRIMARY KEY (domain),
      KEY idx_active (active),
      KEY idx_created (created)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      [db.domainTable],
    );
    const started = Date.now();
    for (let from = 0; from < ROWS; from += BATCH) {
      const rows = Array.from({ length: BATCH }, (_, k) => {
        const i = from + k;
        return {
          domain: `d${String(i).padStart(6, '0')}.example`,
          description: i % 7 === 0 ? null : `Kunde ${i} – Größe ${i % 97} "quoted" <b>`,
          aliases: 400 + (i % 13),
          mailboxes: 10 + (i % 50),
          maxquota: 10240 * (1 + (i % 5)),
          quota: i % 3 === 0 ? null : i * 1024,
          relayhost: String(i % 4),
          backupmx: i % 2,
          gal: (i + 1) % 2,
          relay_all_recipients: i % 11 === 0 ? 1 : 0,
          created: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString().slice(0, 19).replace('T', ' '),
          modified: i % 5 === 0 ? null : new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString().slice(0, 19).replace('T', ' '),
          active: i % 10 === 0 ? 0 : 1,
        };
      });
      await db.knex(db.domainTable).insert(rows);
    }
    console.log(`      (inserted ${ROWS} host rows in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });
  after(async () => {
    await db?.knex.schema.dropTableIfExists(scratch);
    await instant?.destroy();
    await db?.destroy();
  });

  /** An aggregate over exactly the host's columns: changes if any host value of any row does. */
  async function hostChecksum(): Promise<string> {
    // Each value as text, NULL apart from any text, separated by a unit separator.
    const cell = HOST_COLUMNS.map((c) => `IFNULL(CONCAT('v', CAST(\`${c}\` AS CHAR)), 'NULL')`).join(', CHAR(31), ');
    const [rows] = await db.knex.raw(
      `SELECT COUNT(*) AS n, SUM(CRC32(x)) AS crc, BIT_XOR(CAST(CONV(SUBSTRING(MD5(x), 1, 15), 16, 10) AS UNSIGNED)) AS md5x
      FROM (SELECT CONCAT(${cell}) AS x FROM ??) AS t`,
      [db.domainTable],
    );
    return JSON.stringify(rows[0]);
  }

  async function checksumTable(): Promise<string> {
    const [rows] = await db.knex.raw('CHECKSUM TABLE ??', [db.domainTable]);
    return String(rows[0].Checksum);
  }

  async function columns(): Promise<Array<Record<string, unknown>>> {
    const [rows] = await db.knex.raw(
      `SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, EXTRA
      FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [db.domainTable],
    );
    return rows;
  }

  async function indexes(): Promise<unknown[]> {
    const [rows] = await db.knex.raw('SHOW INDEX FROM ??', [db.domainTable]);
    return rows.map((r: Record<string, unknown>) => ({ key: r.Key_name, seq: r.Seq_in_index, column: r.Column_name, unique: r.Non_unique }));
  }

  async function tableId(): Promise<number> {
    const [rows] = await db.knex.raw('SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES WHERE NAME = CONCAT(DATABASE(), ?)', [`/${db.domainTable}`]);
    assert.equal(rows.length, 1, 'found the table in InnoDB');
    return Number(rows[0].TABLE_ID);
  }

  async function timed(what: string, step: () => Promise<string[]>): Promise<string[]> {
    const started = process.hrtime.bigint();
    const names = await step();
    console.log(`      (${what} on ${ROWS} rows: ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(3)} s)`);
    return names;
  }

  it('refuses a non-instant ALTER in the guarded session (so the guard below means something)', async () => {
    await db.knex.schema.createTable(scratch, (t) => {
      t.integer('id').primary();
      t.string('v', 10);
    });
    await assert.rejects(instant.raw('ALTER TABLE ?? ADD INDEX idx_v (v)', [scratch]), /ALGORITHM=INSTANT is not supported/);
    await assert.rejects(instant.raw('ALTER TABLE ?? MODIFY v VARCHAR(5)', [scratch]), /ALGORITHM=INSTANT is not supported/);
  });

  it('migrates up, down and up instantly, keeping every host row, column and index as it was', async () => {
    const plugin = createMtaSts({
      knex: instant,
      mailHostname: 'mail.example.org',
      domainTable: db.domainTable,
      migrationsTable: db.migrationsTable,
      tablePrefix: db.tablePrefix,
    });
    const host = { checksum: await hostChecksum(), table: await checksumTable(), columns: await columns(), indexes: await indexes(), id: await tableId() };
    assert.match(host.checksum, new RegExp(`"n":${ROWS}\\b`));

    // The later migrations create the plugin's own tables (new, empty: nothing to copy).
    const ALL_MIGRATIONS = [
      '20261128000000_add_mta_sts_columns.js',
      '20261201000000_add_mta_sts_history.js',
      '20261201000100_add_tls_report_tables.js',
      // This one and 20261207000100: recorded only, their tables moved to the server's chain.
      '20261201000200_add_server_accounts.js',
      '20261201000300_add_acme_tables.js',
      '20261201000400_add_mta_sts_overview_tables.js',
      '20261201000500_add_mta_sts_checks.js',
      '20261207000000_bound_tls_reports.js',
      '20261207000100_add_server_login_failures.js',
      '20261208000000_add_mta_sts_leases.js',
      '20261208000100_one_check_table.js',
      '20261209000000_add_mta_sts_dns_states.js',
      '20261210000000_add_tls_failure_details.js',
      '20261210000100_add_tls_known_reporters.js',
    ];
    assert.deepEqual(await timed('up', () => plugin.migrate()), ALL_MIGRATIONS);
    const up = await columns();
    assert.deepEqual(up.slice(0, HOST_COLUMNS.length), host.columns, 'the host columns, unchanged and first');
    assert.deepEqual(
      up.slice(HOST_COLUMNS.length).map((c) => c.COLUMN_NAME),
      [...ALL_COLUMNS],
      'then the plugin columns',
    );
    assert.equal(await hostChecksum(), host.checksum, 'every host value of every row, unchanged');
    assert.deepEqual(await indexes(), host.indexes);
    assert.equal(await tableId(), host.id, 'not copied or rebuilt');
    const defaults = await db
      .knex(db.domainTable)
      .select(...ALL_COLUMNS)
      .where('domain', 'd099999.example')
      .first();
    assert.equal(Number(defaults.mta_sts_active), 0, 'existing rows read the defaults');
    assert.equal(defaults.mta_sts_mode, 'none');

    assert.deepEqual([...(await timed('down', () => plugin.rollback()))].sort(), ALL_MIGRATIONS);
    assert.deepEqual(await columns(), host.columns, "the plugin's columns are gone, the host's as they were");
    assert.equal(await hostChecksum(), host.checksum);
    assert.equal(await checksumTable(), host.table, 'CHECKSUM TABLE as before the plugin');
    assert.deepEqual(await indexes(), host.indexes);
    assert.equal(await tableId(), host.id, 'not copied or rebuilt');

    assert.deepEqual(await timed('up again', () => plugin.migrate()), ALL_MIGRATIONS);
    assert.deepEqual((await columns()).slice(0, HOST_COLUMNS.length), host.columns);
    assert.equal(await hostChecksum(), host.checksum);
    assert.deepEqual(await indexes(), host.indexes);
    assert.equal(await tableId(), host.id, 'not copied or rebuilt');
  });
});
