// A mailcow database on the real MariaDB: mailcow's own definitions of `domain`, `alias_domain`
// (data/web/inc/init_db.inc.php) and, since mailcow 2025-09, `mta_sts` (one row per domain: `id`
// BIGINT holding a `YYYYMMDDHHMMSS` stamp, `version` lower-case "stsv1", `mx` comma-joined in a
// VARCHAR(255)); mailcow's reading of a row and the policy file its route renders from it, to
// compare with what the plugin writes and serves.
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';

const MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface MailcowDb {
  /** The URL `mta-sts --database` takes. */
  url: string;
  knex: Knex;
  drop(): Promise<void>;
}

const TABLES = [
  `CREATE TABLE \`domain\` (
    \`domain\` VARCHAR(255) NOT NULL,
    \`description\` VARCHAR(255),
    \`aliases\` INT(10) NOT NULL DEFAULT '0',
    \`mailboxes\` INT(10) NOT NULL DEFAULT '0',
    \`maxquota\` BIGINT(20) NOT NULL DEFAULT '0',
    \`quota\` BIGINT(20) NOT NULL DEFAULT '102400',
    \`relayhost\` VARCHAR(255) NOT NULL DEFAULT '0',
    \`backupmx\` TINYINT(1) NOT NULL DEFAULT '0',
    \`relay_all_recipients\` TINYINT(1) NOT NULL DEFAULT '0',
    \`created\` DATETIME(0) NOT NULL DEFAULT NOW(0),
    \`modified\` DATETIME ON UPDATE CURRENT_TIMESTAMP,
    \`active\` TINYINT(1) NOT NULL DEFAULT '1',
    PRIMARY KEY (\`domain\`)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC`,
  `CREATE TABLE \`alias_domain\` (
    \`alias_domain\` VARCHAR(255) NOT NULL,
    \`target_domain\` VARCHAR(255) NOT NULL,
    \`created\` DATETIME(0) NOT NULL DEFAULT NOW(0),
    \`modified\` DATETIME ON UPDATE CURRENT_TIMESTAMP,
    \`active\` TINYINT(1) NOT NULL DEFAULT '1',
    PRIMARY KEY (\`alias_domain\`),
    KEY \`active\` (\`active\`),
    KEY \`target_domain\` (\`target_domain\`)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC`,
  `CREATE TABLE \`mta_sts\` (
    \`id\` BIGINT NOT NULL,
    \`domain\` VARCHAR(255) NOT NULL,
    \`version\` VARCHAR(255) NOT NULL,
    \`mode\` VARCHAR(255) NOT NULL,
    \`mx\` VARCHAR(255) NOT NULL,
    \`max_age\` INT NOT NULL,
    \`active\` TINYINT(1) NOT NULL DEFAULT '1',
    PRIMARY KEY (\`domain\`)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC`,
];

/** A new database with mailcow's tables and these domains (all active). Drop it after the test. */
export async function mailcowDb(domains: string[], aliases: Array<{ alias: string; target: string; active?: boolean }> = []): Promise<MailcowDb> {
  const name = `mta_sts_mailcow_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'mysql2', connection: MYSQL });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const server = new URL(MYSQL);
  server.pathname = `/${name}`;
  const knex = knexFactory({ client: 'mysql2', connection: server.href, pool: { min: 0, max: 10 } });
  for (const sql of TABLES) await knex.raw(sql);
  if (domains.length > 0) await knex('domain').insert(domains.map((domain) => ({ domain, description: `mailcow ${domain}` })));
  if (aliases.length > 0)
    await knex('alias_domain').insert(aliases.map((a) => ({ alias_domain: a.alias, target_domain: a.target, active: a.active === false ? 0 : 1 })));
  return {
    url: server.href,
    knex,
    async drop() {
      await knex.destroy();
      const again = knexFactory({ client: 'mysql2', connection: MYSQL });
      await again.raw(`DROP DATABASE IF EXISTS ${name}`);
      await again.destroy();
    },
  };
}

/** A row as mailcow reads it (`SELECT * FROM mta_sts WHERE domain = ?`), null without one. */
export async function mailcowRow(db: MailcowDb, domain: string): Promise<Record<string, unknown> | null> {
  const [rows] = (await db.knex.raw('SELECT * FROM `mta_sts` WHERE `domain` = ?', [domain])) as [Array<Record<string, unknown>>];
  return rows[0] ?? null;
}

/**
 * The policy file mailcow's route renders from its row: nothing for an inactive row, else the
 * version (upper-cased "STSv1"), the mode, one `mx:` line per comma-separated entry, max_age.
 */
export function mailcowPolicyFile(row: Record<string, unknown> | null): string | null {
  if (!row || Number(row.active) !== 1) return null;
  const version = String(row.version) === 'stsv1' ? 'STSv1' : String(row.version);
  const mx = String(row.mx)
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return [`version: ${version}`, `mode: ${String(row.mode)}`, ...mx.map((entry) => `mx: ${entry}`), `max_age: ${String(row.max_age)}`].join('\n') + '\n';
}

/** The columns of a table, in order, with their types: to prove a panel's table unchanged. */
export async function columnsOf(db: MailcowDb, table: string): Promise<string[]> {
  const [rows] = (await db.knex.raw('SHOW COLUMNS FROM ??', [table])) as [Array<{ Field: string; Type: string }>];
  return rows.map((r) => `${r.Field} ${r.Type}`);
}
