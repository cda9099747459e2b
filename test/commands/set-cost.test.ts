// `mta-sts set` changes one domain: what it asks the database must not grow with the domains the
// panel has. The real command in a child process, its statements as Knex logs them (DEBUG=knex:query),
// on each database kind, before and after the table grows from 10 to 1,000 domains.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { DB_KINDS, type DbKind } from '../support/db';
import { cli, postfixAdminDb } from '../support/standalone';

interface Panel {
  url: string;
  knex: Knex;
  drop(): Promise<void>;
}

/** PostfixAdmin's two tables in a SQLite file of its own, with these domains. */
async function sqlitePanel(domains: string[]): Promise<Panel> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-set-cost-'));
  const file = join(dir, 'panel.sqlite');
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  await knex.schema.createTable('domain', (t) => {
    t.string('domain', 255).primary();
    t.boolean('active').notNullable().defaultTo(true);
  });
  await knex.schema.createTable('alias_domain', (t) => {
    t.string('alias_domain', 255).primary();
    t.string('target_domain', 255).notNullable();
    t.boolean('active').notNullable().defaultTo(true);
  });
  await knex('domain').insert(domains.map((domain) => ({ domain })));
  return {
    url: `sqlite:${file}`,
    knex,
    async drop() {
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const panelOf = (kind: DbKind, domains: string[]): Promise<Panel> => (kind === 'sqlite' ? sqlitePanel(domains) : postfixAdminDb(kind, domains));

const names = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `d${from + i}.example`);

/** The statements one `set` sends, in order, as Knex logs them (without its timestamps and transaction ids). */
async function statementsOfSet(base: string[], domain: string, mode: string): Promise<string[]> {
  const run = await cli([...base, 'set', domain, '--mode', mode], { env: { DEBUG: 'knex:query', DEBUG_COLORS: 'no' } });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`${domain.replace(/\./g, '\\.')}: saved`));
  return run.stderr
    .split('\n')
    .map((line) => /knex:query (.*?)(?: (?:undefined|trx\d+))?$/.exec(line)?.[1])
    .filter((sql): sql is string => sql !== undefined);
}

/** A read of the domain or alias table that is not narrowed to the key it was given: it reads every domain. */
function readsEveryDomain(sql: string): boolean {
  const table = /\bfrom\s+[`"]?(domain|alias_domain)[`"]?(?:\s|$)/i.exec(sql)?.[1];
  if (!/^\s*select\b/i.test(sql) || table === undefined) return false;
  const key = table === 'domain' ? 'domain' : 'alias_domain';
  // The key, bare or qualified by the store's alias of the domain table (`d`.`domain`).
  return !new RegExp(`\\bwhere\\s+(?:[\`"]?d[\`"]?\\.)?[\`"]?${key}[\`"]?\\s*(=|in\\b)`, 'i').test(sql);
}

/** Every domain gets a served policy, so that a read of the whole served set would have them all to read. */
async function servedPolicies(knex: Knex): Promise<void> {
  await knex('domain').update({
    mta_sts_active: true,
    mta_sts_mode: 'testing',
    mta_sts_mx: 'mail.example.org',
    mta_sts_max_age: 86400,
    mta_sts_id: '20261207000000',
  });
}

for (const kind of DB_KINDS) {
  describe(`mta-sts set on a panel with many domains (${kind})`, function () {
    this.timeout(120_000);
    let panel: Panel;
    let base: string[];

    before(async () => {
      panel = await panelOf(kind, names(0, 10));
      // An unreachable resolver: `set` asks DNS nothing, and a test never leaves loopback.
      base = ['--database', panel.url, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', '--dns-servers', '127.0.0.1:1'];
      const migrated = await cli([...base, 'migrate']);
      assert.equal(migrated.code, 0, migrated.stderr);
      await servedPolicies(panel.knex);
    });
    after(() => panel.drop());

    it('asks for the same statements with 10 or 1,000 domains, none of them over every domain', async () => {
      const few = await statementsOfSet(base, 'd3.example', 'enforce');
      await panel.knex.batchInsert(
        'domain',
        names(10, 1000).map((domain) => ({ domain })),
        200,
      );
      await servedPolicies(panel.knex);
      const many = await statementsOfSet(base, 'd4.example', 'enforce');

      assert.ok(few.length > 0, 'Knex logged no statement: the measurement itself is broken');
      assert.ok(
        few.some((sql) => /^update\s+[`"]?domain[`"]?\s/i.test(sql)),
        `the save itself is among the statements:\n${few.join('\n')}`,
      );
      assert.deepEqual(many.filter(readsEveryDomain), [], 'a statement of `set` reads every domain (or alias) instead of the one it changes');
      assert.equal(many.length, few.length, `10 domains:\n${few.join('\n')}\n1,000 domains:\n${many.join('\n')}`);
    });
  });
}
