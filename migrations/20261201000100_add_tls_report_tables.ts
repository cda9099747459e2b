// Self-contained on purpose (see the first migration): table and column names are literals here,
// never imported from src/. Adds the plugin's OWN tables for TLS reports (RFC 8460); the host's
// tables are not touched. Every table name starts with the configured prefix (default `mta_sts_`),
// so that a host can keep them apart from its own and tests can run side by side.
import type { Knex } from 'knex';

/** What this migration needs: the prefix of the plugin's own tables. */
export interface ReportTablesConfig {
  tablePrefix?: string;
}

const SUFFIXES = ['tlsrpt_settings', 'tlsrpt_reports', 'tlsrpt_policies', 'tlsrpt_failures', 'tlsrpt_policy_ids'] as const;

function names(config: ReportTablesConfig) {
  const prefix = config.tablePrefix ?? 'mta_sts_';
  return {
    settings: `${prefix}tlsrpt_settings`,
    reports: `${prefix}tlsrpt_reports`,
    policies: `${prefix}tlsrpt_policies`,
    failures: `${prefix}tlsrpt_failures`,
    policyIds: `${prefix}tlsrpt_policy_ids`,
  };
}

function isMysql(knex: Knex): boolean {
  const client = String((knex.client as { config: { client?: unknown } }).config.client);
  return client === 'mysql2' || client === 'mysql';
}

/**
 * Creates each table unless it exists (a partly applied run can run again). Dates are ISO 8601
 * UTC strings, as in the policy columns: they read back the same whatever the connection's time
 * zone, and compare correctly as text. Counts are BIGINT: a sender's day can exceed 2^31 sessions
 * only in theory, but a sum over a year of big senders should not overflow.
 */
export async function up(knex: Knex, config: ReportTablesConfig = {}): Promise<void> {
  if (!isMysql(knex)) return createTables(knex, config);
  // MariaDB adds the indexes of a new table with ALTER TABLE statements, which a session with
  // alter_algorithm=INSTANT (a host guarding its big tables against copies) refuses. These tables
  // are new and empty, so nothing is copied: the session's setting is lifted while they are
  // created, on one connection, and restored after.
  const run = async (conn: Knex) => {
    // mysql2 answers [rows, fields] (Knex types it `any`).
    const [rows] = (await conn.raw("SHOW SESSION VARIABLES LIKE 'alter_algorithm'")) as [Array<{ Value?: string }>];
    const previous = rows[0]?.Value;
    const lift = previous !== undefined && previous.toUpperCase() !== 'DEFAULT';
    if (lift) await conn.raw("SET SESSION alter_algorithm = 'DEFAULT'");
    try {
      await createTables(conn, config);
    } finally {
      if (lift) await conn.raw('SET SESSION alter_algorithm = ?', [previous]);
    }
  };
  return (knex as Knex & { isTransaction?: boolean }).isTransaction ? run(knex) : knex.transaction(run);
}

async function createTables(knex: Knex, config: ReportTablesConfig): Promise<void> {
  const t = names(config);
  if (!(await knex.schema.hasTable(t.settings))) {
    await knex.schema.createTable(t.settings, (table) => {
      table.string('domain', 255).primary();
      // JSON array of the rua URIs the admin configured (mailto: and https:).
      table.text('rua').nullable();
      // SHA-256 (hex) of the intake token: the intake looks tokens up by this, unique.
      table.string('token_hash', 64).notNullable().unique();
      // The token itself, because it must be shown: it is part of the published rua URL.
      table.string('token', 64).notNullable();
      table.string('updated_at', 24).notNullable();
    });
  }
  if (!(await knex.schema.hasTable(t.reports))) {
    await knex.schema.createTable(t.reports, (table) => {
      table.increments('id').primary();
      table.string('domain', 255).notNullable();
      table.string('organisation', 255).notNullable();
      table.string('report_id', 255).notNullable();
      table.string('contact_info', 255).nullable();
      table.string('start_at', 24).notNullable();
      table.string('end_at', 24).notNullable();
      table.string('received_at', 24).notNullable();
      // 'https' or 'mail'.
      table.string('received_via', 8).notNullable();
      // DKIM of a mailed report: 'pass', 'fail', 'none' (unsigned), 'temperror', 'neutral'...; null over HTTPS.
      table.string('dkim', 16).nullable();
      table.string('dkim_domain', 255).nullable();
      table.bigInteger('success').notNullable().defaultTo(0);
      table.bigInteger('failure').notNullable().defaultTo(0);
      // The report exactly as received (its JSON), gzip-compressed: up to 10 MiB before compression.
      if (isMysql(knex)) table.specificType('report_gz', 'MEDIUMBLOB').notNullable();
      else table.binary('report_gz').notNullable();
      // A sender sends the same report again (retries, HTTPS and mail): stored once.
      table.unique(['organisation', 'report_id'], { indexName: `${t.reports}_dedup` });
      table.index(['domain', 'start_at'], `${t.reports}_domain_start`);
      table.index(['end_at'], `${t.reports}_end`);
    });
  }
  if (!(await knex.schema.hasTable(t.policies))) {
    await knex.schema.createTable(t.policies, (table) => {
      table.increments('id').primary();
      table.integer('report').unsigned().notNullable();
      table.string('domain', 255).notNullable();
      // The report's first day (YYYY-MM-DD, UTC): the chart's x axis.
      table.string('day', 10).notNullable();
      table.string('policy_type', 32).notNullable();
      // `mode|max_age|mx,...` of an applied STS policy, or null.
      table.text('fingerprint').nullable();
      table.text('mx').nullable();
      table.bigInteger('success').notNullable().defaultTo(0);
      table.bigInteger('failure').notNullable().defaultTo(0);
      table.index(['domain', 'day'], `${t.policies}_domain_day`);
      table.index(['report'], `${t.policies}_report`);
    });
  }
  if (!(await knex.schema.hasTable(t.failures))) {
    await knex.schema.createTable(t.failures, (table) => {
      table.increments('id').primary();
      table.integer('report').unsigned().notNullable();
      table.integer('policy').unsigned().notNullable();
      table.string('domain', 255).notNullable();
      table.string('day', 10).notNullable();
      table.string('result_type', 64).notNullable();
      table.string('receiving_mx_hostname', 255).nullable();
      table.string('receiving_ip', 64).nullable();
      table.bigInteger('sessions').notNullable().defaultTo(0);
      table.index(['domain', 'day'], `${t.failures}_domain_day`);
      table.index(['report'], `${t.failures}_report`);
    });
  }
  if (!(await knex.schema.hasTable(t.policyIds))) {
    await knex.schema.createTable(t.policyIds, (table) => {
      table.increments('id').primary();
      table.string('domain', 255).notNullable();
      table.string('policy_id', 32).notNullable();
      table.text('fingerprint').notNullable();
      // When this policy started being served (the save that gave it its id).
      table.string('served_from', 24).notNullable();
      table.index(['domain', 'served_from'], `${t.policyIds}_domain`);
    });
  }
}

/** Drops exactly the tables `up` creates. */
export async function down(knex: Knex, config: ReportTablesConfig = {}): Promise<void> {
  const prefix = config.tablePrefix ?? 'mta_sts_';
  for (const suffix of [...SUFFIXES].reverse()) await knex.schema.dropTableIfExists(`${prefix}${suffix}`);
}
