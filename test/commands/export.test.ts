import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { cli, postfixAdminDb, type PanelDb } from '../support/standalone';

interface Exported {
  exportedAt: string;
  count: number;
  domains: Array<{
    domain: string;
    policy: { mode: string; maxAge: number; id: string | null; served: boolean };
    servedIds: Array<{ id: string; servedFrom: string }>;
    lastCheck: unknown;
    history: Array<{
      changedAt: string;
      actor: string | null;
      source: string;
      origin: string | null;
      oldId: string | null;
      newId: string | null;
      safeRemovalAt: string | null;
      before: { mode: string; maxAge: number } | null;
      after: { mode: string };
    }>;
  }>;
}

/** A PostfixAdmin-shaped panel on SQLite (the servers get a database of their own from postfixAdminDb). */
async function sqlitePanel(domains: string[]): Promise<PanelDb> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-export-'));
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
    kind: 'sqlite',
    url: `sqlite:${file}`,
    knex,
    async drop() {
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  } as unknown as PanelDb;
}

const DOMAINS = ['b.example', 'a.example', 'c.example'];

// SQLite and MariaDB (the history and policy-id queries are plain Knex; PostgreSQL passed them too).
for (const kind of ['sqlite', 'mariadb'] as const) {
  describe(`mta-sts export --history (${kind})`, function () {
    this.timeout(120_000);
    let db: PanelDb;
    let out: string;
    const run = (...args: string[]) => cli(['--database', db.url, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', ...args]);
    const ok = async (...args: string[]) => {
      const result = await run(...args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      return result;
    };

    before(async () => {
      db = kind === 'sqlite' ? await sqlitePanel(DOMAINS) : await postfixAdminDb(kind, DOMAINS);
      out = mkdtempSync(join(tmpdir(), 'mta-sts-export-out-'));
      await ok('migrate');
      await ok('set', 'a.example', '--mode', 'testing', '--mx', 'mail.example.org', '--max-age', '604800', '--active', 'yes');
      await ok('set', 'a.example', '--mode', 'enforce');
      await ok('retire', 'a.example');
      await ok('set', 'b.example', '--mode', 'testing', '--mx', 'mail.example.org', '--active', 'yes');
    });
    after(async () => {
      await db?.drop();
      rmSync(out, { recursive: true, force: true });
    });

    it('writes one JSON document: every domain in name order with its policy, served ids, last check and changes', async () => {
      const result = await ok('export', '--history');
      const doc = JSON.parse(result.stdout) as Exported;
      assert.equal(doc.count, 3);
      assert.deepEqual(
        doc.domains.map((d) => d.domain),
        ['a.example', 'b.example', 'c.example'],
      );
      assert.match(result.stderr, /exported the history of 3 domains/);
      const [a, b, c] = doc.domains;
      assert.deepEqual(
        a.history.map((h) => [h.before?.mode ?? null, h.after.mode]),
        [
          ['enforce', 'none'],
          ['testing', 'enforce'],
          ['none', 'testing'],
        ],
        'newest first (the first save starts from the inactive default)',
      );
      for (const change of a.history) {
        assert.equal(change.source, 'cli');
        assert.match(change.actor ?? '', /@cli$/, 'who: the system user');
        assert.equal(change.origin, null, 'from the command line');
        assert.notEqual(change.newId, change.oldId, 'each change here made a new id');
      }
      const [retirement, ...earlier] = a.history;
      // The retirement: safe to remove the record once the week-long enforce policy has expired everywhere.
      assert.equal(retirement.safeRemovalAt, new Date(Date.parse(retirement.changedAt) + 604800 * 1000).toISOString());
      assert.ok(earlier.every((h) => h.safeRemovalAt === null));
      assert.equal(a.policy.mode, 'none');
      assert.equal(a.policy.id, retirement.newId);
      assert.deepEqual(
        a.servedIds.map((s) => s.id),
        [...a.history].reverse().map((h) => h.newId),
        'every id served, oldest first',
      );
      assert.equal(a.lastCheck, null, 'never checked');
      assert.equal(b.history.length, 1);
      assert.deepEqual(c.history, []);
      assert.deepEqual(c.servedIds, []);
      assert.equal(c.policy.served, false);

      // Read in batches of one domain, the document is the same.
      const batched = JSON.parse((await ok('export', '--history', '--batch', '1')).stdout) as Exported;
      assert.deepEqual(batched.domains, doc.domains);
    });

    it('writes the JSON document to --output, and a CSV bundle to an --output directory', async () => {
      const file = join(out, 'history.json');
      const json = await ok('export', '--history', '--output', file);
      assert.equal(json.stdout, '');
      assert.equal((JSON.parse(readFileSync(file, 'utf8')) as Exported).count, 3);

      const dir = join(out, 'bundle');
      await ok('export', '--history', '--format', 'csv', '--output', dir, '--batch', '2');
      assert.deepEqual(readdirSync(dir).sort(), ['domains.csv', 'history.csv', 'served-ids.csv'], 'no .partial file left');
      const lines = (name: string) => readFileSync(join(dir, name), 'utf8').trimEnd().split('\r\n');
      const domains = lines('domains.csv');
      assert.equal(domains[0], 'domain,active,mode,max_age,mx,id,updated_at,revision,served,checked_at,verdict,errors,warnings,checked_id');
      assert.deepEqual(
        domains.slice(1).map((l) => l.split(',').slice(0, 3)),
        [
          ['a.example', 'true', 'none'],
          ['b.example', 'true', 'testing'],
          ['c.example', 'false', 'none'],
        ],
      );
      const history = lines('history.csv');
      assert.equal(history.length, 1 + 4, 'a header and the four changes');
      assert.match(history[1], /^a\.example,[^,]+,[^,]*@cli,cli,,[^,]+,[^,]+,\d{4}-\d\d-\d\dT[^,]+,true,enforce,604800,mail\.example\.org,true,none,/);
      assert.equal(lines('served-ids.csv').length, 1 + 4);
    });
  });
}

describe('mta-sts export: usage', function () {
  this.timeout(60_000);
  it('refuses a missing --history, an unknown format, CSV without a directory and a bad batch (exit 2, nothing written)', async () => {
    for (const [args, message] of [
      [['export'], /name what to export: --history/],
      [['export', '--history', '--format', 'xml'], /--format must be json or csv/],
      [['export', '--history', '--format', 'csv'], /name a directory with --output/],
      [['export', '--history', '--batch', '0'], /--batch must be a whole number from 1 to 10000/],
    ] as const) {
      const result = await cli(['--database', 'sqlite:/nonexistent/panel.sqlite', ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    }
  });
});
