import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import request from 'supertest';
import { presetSchema } from '../../src/config/presets';
import { storageOptions } from '../../src/options/storage';
import { createPanel } from '../../src/server/app';
import { columnsOf, mailcowDb, mailcowPolicyFile, mailcowRow, type MailcowDb } from '../support/mailcow';
import { TestServer, createServer, textOf } from '../support/server';
import { cli } from '../support/standalone';

const API = '/api/v1/mta-sts';
const DOMAINS = ['example.com', 'example.net', 'example.org', 'quiet.example'];
const ALIASES = [
  { alias: 'alias.example', target: 'example.com' },
  { alias: 'off-alias.example', target: 'example.com', active: false },
];

/** The lines of a policy file, whatever its line ends and order. */
const lines = (text: string | null) => (text ?? '').split(/\r?\n/).filter(Boolean).sort();

/** MX entries that are valid one by one and more than 255 characters joined with commas. */
const LONG_MX = Array.from({ length: 6 }, (_, i) => `mx${i}.${'a'.repeat(40)}.example.com`);

/** mailcow writes `date('YmdHis')`: a stamp of this minute or so. */
function assertStampNear(id: unknown): void {
  assert.match(String(id), /^\d{14}$/);
  const stamp = String(id);
  const at = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(8, 10), +stamp.slice(10, 12), +stamp.slice(12, 14));
  assert.ok(Math.abs(Date.now() - at) < 120_000, `id ${stamp} names the time of the save`);
}

describe("--preset mailcow: the policies are mailcow's own mta_sts rows", function () {
  this.timeout(60_000);
  let mc: MailcowDb;
  let server: TestServer;
  let domainColumns: string[];

  beforeEach(async () => {
    mc = await mailcowDb(DOMAINS, ALIASES);
    domainColumns = await columnsOf(mc, 'domain');
    // mailcow's tab saved one domain before the plugin came.
    await mc
      .knex('mta_sts')
      .insert({ id: 20250901120000, domain: 'example.org', version: 'stsv1', mode: 'testing', mx: 'mail.example.org', max_age: 86400, active: 1 });
    server = await createServer({
      db: 'mariadb',
      domains: [],
      aliases: [],
      plugin: { ...storageOptions(mc.knex, presetSchema('mailcow'), 'mta_sts_t_'), migrationsTable: 'mta_sts_t_migrations', cache: { ttlMs: 200 } },
    });
  });
  afterEach(async () => {
    await server?.close();
    await mc?.drop();
  });

  it("a save through the tab is written as mailcow's UI writes it, and mailcow's route would serve what the plugin serves", async () => {
    const res = await server.submitTab('example.com', { mode: 'enforce', maxAge: '604800', mx: 'mail.example.com, mx2.example.com', active: '1' });
    assert.equal(res.status, 200, res.text);
    const row = await mailcowRow(mc, 'example.com');
    assert.ok(row, 'the tab wrote a row into mta_sts');
    assertStampNear(row.id);
    assert.deepEqual(
      { version: row.version, mode: row.mode, mx: row.mx, max_age: row.max_age, active: row.active },
      { version: 'stsv1', mode: 'enforce', mx: 'mail.example.com,mx2.example.com', max_age: 604800, active: 1 },
    );
    const served = await server.policy('mta-sts.example.com');
    assert.equal(served.status, 200);
    assert.deepEqual(lines(served.text), lines(mailcowPolicyFile(row)));
    // The id the tab tells the user to publish is mailcow's id, which its DNS view shows too.
    const api = await server.request().get(`${API}/example.com`);
    assert.equal(api.body.id, String(row.id));
    assert.deepEqual(await columnsOf(mc, 'domain'), domainColumns, "mailcow's domain table has no new column");
  });

  it('a save through the API updates the row mailcow wrote, with a new id; what mailcow saved is read as it is', async () => {
    const before = await server.request().get(`${API}/example.org`);
    assert.deepEqual([before.body.mode, before.body.mx, before.body.id, before.body.active], ['testing', ['mail.example.org'], '20250901120000', true]);
    const put = await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org', '*.mx.example.org'], maxAge: 1209600, active: true });
    assert.equal(put.status, 200, put.text);
    const row = await mailcowRow(mc, 'example.org');
    assert.ok(row);
    assertStampNear(row.id);
    assert.notEqual(String(row.id), '20250901120000');
    assert.deepEqual([row.version, row.mode, row.mx, row.max_age, row.active], ['stsv1', 'enforce', 'mail.example.org,*.mx.example.org', 1209600, 1]);
    assert.equal((await mc.knex('mta_sts').count({ n: '*' }))[0].n, 1, 'one row per domain');
    const served = await server.policy('mta-sts.example.org');
    assert.deepEqual(lines(served.text), lines(mailcowPolicyFile(row)));
  });

  it("an edit in mailcow's own tab is what the plugin shows and serves", async () => {
    assert.equal((await server.policy('mta-sts.example.org')).status, 200);
    await mc
      .knex('mta_sts')
      .where('domain', 'example.org')
      .update({ id: 20250902080000, mode: 'enforce', mx: 'mx1.example.org,mx2.example.org', max_age: 604800 });
    const api = await server.request().get(`${API}/example.org`);
    assert.deepEqual([api.body.mode, api.body.mx, api.body.maxAge, api.body.id], ['enforce', ['mx1.example.org', 'mx2.example.org'], 604800, '20250902080000']);
    // The served set notices the changed row on its next poll (a fingerprint of mta_sts).
    let served = '';
    for (let i = 0; i < 100 && !served.includes('mx2.example.org'); i += 1) {
      served = (await server.policy('mta-sts.example.org')).text;
      if (!served.includes('mx2.example.org')) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(lines(served), lines(mailcowPolicyFile(await mailcowRow(mc, 'example.org'))));
  });

  it("an MX list longer than mailcow's 255 characters is refused on the tab and the API, naming mx and the rule; nothing is written", async () => {
    const tab = await server.submitTab('example.com', { mode: 'testing', mx: LONG_MX.join(', '), active: '1' });
    assert.notEqual(tab.status, 200);
    assert.match(tab.text, /do not fit the panel&#39;s MTA-STS table|do not fit the panel's MTA-STS table/);
    assert.match(tab.text, /at most 255 are allowed/);
    const api = await server.put('example.org', { mode: 'testing', mx: LONG_MX, active: true });
    assert.equal(api.status, 400, api.text);
    assert.equal(api.body.errors[0].field, 'mx');
    assert.equal(api.body.errors[0].code, 'field.mx.panelTooLong');
    assert.equal(await mailcowRow(mc, 'example.com'), null);
    assert.equal(String((await mailcowRow(mc, 'example.org'))?.id), '20250901120000');
  });

  it("alias domains follow mailcow's alias_domain table: an active alias serves its target's policy, an inactive one nothing", async () => {
    await server.put('example.com', { mode: 'testing', mx: ['mail.example.com'], active: true });
    const alias = await server.policy('mta-sts.alias.example');
    assert.equal(alias.status, 200);
    assert.deepEqual(lines(alias.text), lines(mailcowPolicyFile(await mailcowRow(mc, 'example.com'))));
    assert.equal((await server.policy('mta-sts.off-alias.example')).status, 404);
  });
});

describe('mta-sts serve --preset mailcow: the domain list', function () {
  this.timeout(60_000);
  let mc: MailcowDb;
  afterEach(async () => {
    await mc?.drop();
  });

  it("shows each domain's MTA-STS state from mailcow's rows", async () => {
    mc = await mailcowDb(DOMAINS);
    await mc.knex('mta_sts').insert([
      { id: 20250901120000, domain: 'example.org', version: 'stsv1', mode: 'enforce', mx: 'mail.example.org', max_age: 86400, active: 1 },
      { id: 20250901120000, domain: 'example.net', version: 'stsv1', mode: 'testing', mx: 'mail.example.net', max_age: 86400, active: 0 },
    ]);
    const password = 'correct horse battery staple';
    const { app } = await createPanel({
      knex: mc.knex,
      mailHostname: 'mail.example.org',
      adminPassword: password,
      embedded: false,
      schema: presetSchema('mailcow'),
      tablePrefix: 'mta_sts_p_',
      dnsServers: ['127.0.0.1:9'],
    });
    const http = createHttpServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    try {
      const browser = request.agent(http);
      const form = await browser.get('/login');
      const token = /name="_panel_csrf" value="([^"]+)"/.exec(form.text)?.[1];
      assert.ok(token);
      assert.equal((await browser.post('/login').type('form').send({ username: 'admin', password, _panel_csrf: token })).status, 303);
      const list = await browser.get('/domains');
      const states = Object.fromEntries(
        [...list.text.matchAll(/<tr data-domain="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => [
          m[1],
          textOf(/<td data-mta-sts-state="[^"]*">([\s\S]*?)<\/td>/.exec(m[2])?.[1] ?? ''),
        ]),
      );
      assert.deepEqual(states, { 'example.com': 'off', 'example.net': 'off', 'example.org': 'enforce', 'quiet.example': 'off' });
    } finally {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    }
  });
});

describe('mta-sts --preset mailcow (the command)', function () {
  this.timeout(60_000);
  let mc: MailcowDb;
  let base: string[];

  before(async () => {
    mc = await mailcowDb(DOMAINS, ALIASES);
    base = ['--database', mc.url, '--preset', 'mailcow', '--mail-hostname', 'mail.example.org', '--dns-servers', '127.0.0.1:9'];
  });
  after(async () => {
    await mc?.drop();
  });

  it("migrates without adding a column to mailcow's domain table, saves into mta_sts, and lists the names mailcow's ACME orders", async () => {
    const before = await columnsOf(mc, 'domain');
    const migrate = await cli([...base, 'migrate']);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.deepEqual(await columnsOf(mc, 'domain'), before, "mailcow's domain table has no new column");

    const set = await cli([...base, 'set', 'example.com', '--mode', 'testing', '--mx', 'mail.example.com', '--max-age', '86400', '--active', 'yes']);
    assert.equal(set.code, 0, set.stderr);
    const row = await mailcowRow(mc, 'example.com');
    assert.ok(row);
    assertStampNear(row.id);
    assert.deepEqual([row.version, row.mode, row.mx, row.max_age, row.active], ['stsv1', 'testing', 'mail.example.com', 86400, 1]);
    assert.match(set.stdout, new RegExp(`policy id ${String(row.id)}`));

    // mailcow's tab left one domain inactive: its ACME orders no name for it.
    await mc
      .knex('mta_sts')
      .insert({ id: 20250901120000, domain: 'quiet.example', version: 'stsv1', mode: 'testing', mx: 'mail.example.org', max_age: 86400, active: 0 });
    const names = await cli([...base, 'certificate-names', '--json']);
    assert.equal(names.code, 0, names.stderr);
    assert.deepEqual(JSON.parse(names.stdout).names.sort(), ['mta-sts.alias.example', 'mta-sts.example.com']);

    const long = await cli([...base, 'set', 'example.net', '--mode', 'testing', '--mx', LONG_MX.join(','), '--active', 'yes']);
    assert.equal(long.code, 2);
    assert.match(long.stderr, /mx: MX entries do not fit the panel's MTA-STS table: joined with commas they are \d+ characters, and at most 255 are allowed/);
    assert.equal(await mailcowRow(mc, 'example.net'), null);

    const imported = await cli([...base, 'import-mailcow']);
    assert.equal(imported.code, 2);
    assert.match(imported.stderr, /already are the rows of mailcow's "mta_sts" table/);
  });

  it('a mailcow older than 2025-09 (no mta_sts table): every command refuses in one sentence naming --preset, and writes nothing', async () => {
    const old = await mailcowDb(DOMAINS);
    try {
      await old.knex.schema.dropTable('mta_sts');
      const tables = async () => (await old.knex.raw('SHOW TABLES'))[0].map((row: Record<string, string>) => Object.values(row)[0]).sort();
      const before = await tables();
      const oldBase = ['--database', old.url, '--preset', 'mailcow', '--mail-hostname', 'mail.example.org', '--dns-servers', '127.0.0.1:9'];
      for (const args of [['migrate'], ['list'], ['set', 'example.com', '--mode', 'testing', '--mx', 'mail.example.com'], ['serve', '--port', '0']]) {
        const run = await cli([...oldBase, ...args]);
        assert.equal(run.code, 2, `${args[0]}: ${run.stderr}`);
        assert.match(
          run.stderr.trim(),
          /^mta-sts: preset mailcow keeps the policies in mailcow's own MTA-STS table \(mailcow 2025-09 and later\), and "mta_sts" does not exist in .*: update mailcow, or choose another --preset$/,
          `${args[0]}: ${run.stderr}`,
        );
      }
      assert.deepEqual(await tables(), before, "no table created in mailcow's database");
    } finally {
      await old.drop();
    }
  });
});
