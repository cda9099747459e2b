import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import request from 'supertest';
import { rfc2136Publisher } from '../../src/publish/rfc2136';
import { askTxt, startBind, type TestBind } from '../support/dns-primaries';
import { formValues } from '../support/server';
import { cli, logIn, serve, type Served } from '../support/standalone';

// `mta-sts serve --dns-update` publishing by itself: a spawned server over a SQLite panel database
// and a real BIND taking TSIG-signed updates, read back by direct queries to BIND. The deadline of
// issue 20 (the new id in DNS within 2 s of the save) is the polls' timeout, not a timing assertion.

const API_KEY = 'publish-serve-test-key-0123456789';

/** Polls `probe` every 20 ms until it returns a value, or fails after `ms`. */
async function within<T>(ms: number, what: string, probe: () => Promise<T | null>): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== null) return found;
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits for a line of the server's log (written asynchronously): a few seconds at most. */
const logged = (served: Served, line: RegExp) => within(5000, `the log line ${line}`, async () => (line.test(served.output()) ? true : null));

describe('mta-sts serve --dns-update: the records published by the server', function () {
  this.timeout(120_000);
  let dir: string;
  let base: string[];
  let bind: TestBind;
  let server: Served | null = null;

  const txt = async (domain: string) => (await askTxt(bind.port, `_mta-sts.${domain}`)).map((parts) => parts.join(''));
  const stsId = async (domain: string) => (await txt(domain)).find((t) => t.startsWith('v=STSv1'))?.replace(/^v=STSv1; id=/, '') ?? null;
  const idOf = async (domain: string) => (JSON.parse((await cli([...base, 'show', domain, '--json'])).stdout) as { id: string }).id;
  const policyFile = async (domain: string) =>
    (
      await request((server as Served).base)
        .get('/.well-known/mta-sts.txt')
        .set('Host', `mta-sts.${domain}`)
    ).text;
  const start = async (env: NodeJS.ProcessEnv) => {
    server = await serve(base, {
      API_KEY,
      MTA_STS_DNS_UPDATE: `rfc2136://127.0.0.1:${bind.port}`,
      MTA_STS_TSIG_KEY: bind.tsigKey,
      MTA_STS_CHECK_INTERVAL_MINUTES: '0',
      LOG_LEVEL: 'info',
      ...env,
    });
  };
  const put = async (domain: string, body: object) => {
    const res = await request((server as Served).base)
      .put(`/api/v1/mta-sts/${domain}`)
      .set('X-API-Key', API_KEY)
      .send(body);
    assert.equal(res.status, 200, res.text);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-publish-serve-'));
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
    await knex('domain').insert(['example.test', 'other.test'].map((domain) => ({ domain, active: true })));
    await knex.destroy();
    base = ['--database', `sqlite:${file}`, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.test'];
    assert.equal((await cli([...base, 'migrate'])).code, 0);
    for (const domain of ['example.test', 'other.test']) {
      const set = await cli([...base, 'set', domain, '--mode', 'testing', '--mx', 'mail.example.test', '--active', 'yes']);
      assert.equal(set.code, 0, set.stderr);
    }
    bind = await startBind({ 'example.test': '_mta-sts IN TXT "google-site-verification=keep-me"\n', 'other.test': '' });
  });
  afterEach(async () => {
    await server?.stop();
    server = null;
  });
  after(async () => {
    await bind?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the new id within 2 s of a save through the API, only once the policy file serves the new policy', async () => {
    await start({ MTA_STS_DNS_REPAIR_MINUTES: '0' });
    const before = await stsId('example.test');
    await put('example.test', { mode: 'enforce' });
    const id = await idOf('example.test');
    assert.notEqual(id, before);
    // The moment the TXT first shows the new id, the policy file already serves the new policy.
    const served = await within(2000, 'the new id at BIND', async () => ((await stsId('example.test')) === id ? await policyFile('example.test') : null));
    assert.match(served, /^mode: enforce$/m);
    assert.ok((await txt('example.test')).includes('google-site-verification=keep-me'), 'the foreign TXT record is kept');
    await logged(server!, /DNS record published: _mta-sts\.example\.test TXT/);
  });

  it('end to end: a save in the tab is at BIND within 2 s, and the DNS Check asked of that BIND says the TXT record is ok', async () => {
    const password = 'a long enough password for the tab';
    // The check's resolver is the loopback BIND, as a sender's would be the zone's servers.
    await start({ MTA_STS_DNS_REPAIR_MINUTES: '0', ADMIN_PASSWORD: password, DNS_SERVERS: `127.0.0.1:${bind.port}` });
    const { base: url } = server as Served;
    const session = await logIn(url, 'admin', password);
    const page = await request(url).get('/domains/example.test?tab=mta-sts').set('Cookie', session);
    assert.equal(page.status, 200, page.text.slice(0, 300));
    const csrf = ([] as string[])
      .concat(page.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .find((c) => c.startsWith('mta-sts.csrf='));
    assert.ok(csrf, 'the tab sets its CSRF cookie');
    const before = await stsId('example.test');
    const saved = await request(url)
      .post('/mta-sts/example.test')
      .type('form')
      .set('Cookie', `${session}; ${csrf}`)
      .send({ ...formValues(page.text), mode: 'enforce', maxAge: '604801', mx: 'mail.example.test', active: '1' })
      .redirects(0);
    assert.equal(saved.status, 303, saved.text.slice(0, 300));
    const id = await idOf('example.test');
    assert.notEqual(id, before);
    await within(2000, 'the saved id at BIND', async () => ((await stsId('example.test')) === id ? true : null));
    const check = await request(url).get('/api/v1/mta-sts/example.test/dns-check').set('X-API-Key', API_KEY);
    assert.equal(check.status, 200, check.text.slice(0, 300));
    const txtCheck = (check.body as { checks: Array<{ name: string; status: string; message?: string }> }).checks.find((c) => c.name === 'sts-txt');
    assert.equal(txtCheck?.status, 'ok', JSON.stringify(txtCheck));
  });

  it('publishes a save made by another process (the CLI) within 2 s, and a burst of saves once per domain', async () => {
    await start({ MTA_STS_DNS_REPAIR_MINUTES: '0' });
    const set = await cli([...base, 'set', 'other.test', '--mode', 'enforce']);
    assert.equal(set.code, 0, set.stderr);
    const id = await idOf('other.test');
    await within(2000, 'the CLI save at BIND', async () => ((await stsId('other.test')) === id ? true : null));
    // A burst: three saves of one domain at once are one publish of the last id.
    const publishes = () => (server!.output().match(/DNS record published: _mta-sts\.example\.test TXT/g) ?? []).length;
    const count = publishes();
    await Promise.all([put('example.test', { maxAge: 86401 }), put('example.test', { maxAge: 86402 }), put('example.test', { maxAge: 86403 })]);
    const last = await idOf('example.test');
    await within(2000, 'the burst at BIND', async () => ((await stsId('example.test')) === last ? true : null));
    await within(5000, 'the publish logged', async () => (publishes() > count ? true : null));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(publishes() - count, 1, server!.output());
  });

  it('with two servers on one database, only the lease holder publishes, also a save made on the other', async () => {
    await start({ MTA_STS_DNS_REPAIR_MINUTES: '0' });
    const holder = server as Served;
    await within(5000, 'the lease taken', async () => (/holds the dns-publish lease/.test(holder.output()) ? true : null));
    const other = await serve(base, {
      API_KEY,
      MTA_STS_DNS_UPDATE: `rfc2136://127.0.0.1:${bind.port}`,
      MTA_STS_TSIG_KEY: bind.tsigKey,
      MTA_STS_CHECK_INTERVAL_MINUTES: '0',
      MTA_STS_DNS_REPAIR_MINUTES: '0',
      LOG_LEVEL: 'info',
    });
    try {
      const res = await request(other.base).put('/api/v1/mta-sts/other.test').set('X-API-Key', API_KEY).send({ mode: 'testing' });
      assert.equal(res.status, 200, res.text);
      const id = await idOf('other.test');
      await within(2000, 'the save on the other server at BIND', async () => ((await stsId('other.test')) === id ? true : null));
      await logged(holder, /DNS record published: _mta-sts\.other\.test TXT/);
      assert.doesNotMatch(other.output(), /DNS record published|holds the dns-publish lease/);
    } finally {
      await other.stop();
    }
  });

  it('repairs a record changed behind its back on the schedule, and logs what was there and what it wrote', async () => {
    await start({ MTA_STS_DNS_REPAIR_MINUTES: '0.05' });
    const id = await idOf('example.test');
    await within(10_000, 'the first repair', async () => ((await stsId('example.test')) === id ? true : null));
    const tamper = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key });
    await tamper.replace('_mta-sts.example.test', 'TXT', 300, ['google-site-verification=keep-me', 'v=STSv1; id=tampered']);
    assert.equal(await stsId('example.test'), 'tampered');
    await within(15_000, 'the repair', async () => ((await stsId('example.test')) === id ? true : null));
    await logged(server!, /DNS record repaired: _mta-sts\.example\.test TXT held \\"v=STSv1; id=tampered\\", wrote \\"v=STSv1; id=\w+\\"/);
    assert.ok((await txt('example.test')).includes('google-site-verification=keep-me'));
  });

  it('on retirement publishes the none policy id, and removes the record only after the safe-removal date', async () => {
    await start({ MTA_STS_DNS_REPAIR_MINUTES: '0.05' });
    const retire = await cli([...base, 'retire', 'other.test']);
    assert.equal(retire.code, 0, retire.stderr);
    const id = await idOf('other.test');
    await within(2000, 'the none policy id at BIND', async () => ((await stsId('other.test')) === id ? true : null));
    assert.match(await policyFile('other.test'), /^mode: none$/m);
    // Repairs (every 3 s) run meanwhile, and the record stays: the date is the replaced policy's Maximum Age away.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.equal(await stsId('other.test'), id, 'kept before the safe-removal date');
    // The retirement as if made 400 days ago: the replaced policy (max_age a year at most) has expired everywhere.
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
    try {
      await knex('mta_sts_history')
        .where({ domain: 'other.test' })
        .update({ changed_at: new Date(Date.now() - 400 * 86_400_000).toISOString() });
    } finally {
      await knex.destroy();
    }
    await within(15_000, 'the record removed', async () => ((await txt('other.test')).length === 0 ? true : null));
    await logged(server!, /DNS record repaired: _mta-sts\.other\.test TXT held \\"v=STSv1; id=\w+\\", removed it/);
  });

  it('with a wrong key: one line naming the zone and the reason, never the key, and the policy file keeps serving', async () => {
    const wrong = `hmac-sha256:${bind.key.name}:${randomBytes(32).toString('base64')}`;
    await start({ MTA_STS_DNS_REPAIR_MINUTES: '0', MTA_STS_TSIG_KEY: wrong });
    const before = await stsId('example.test');
    await put('example.test', { mode: 'testing' });
    await within(5000, 'the failure in the log', async () => (/publishing DNS records failed/.test(server!.output()) ? true : null));
    const lines = server!
      .output()
      .split('\n')
      .filter((l) => l.includes('publishing DNS records failed'));
    assert.equal(lines.length, 1, server!.output());
    assert.match(lines[0], /zone example\.test/);
    assert.ok(!server!.output().includes(wrong.split(':')[2]) && !server!.output().includes(bind.tsigKey.split(':')[2]), 'no key in the log');
    assert.equal(await stsId('example.test'), before, 'nothing was written');
    assert.match(await policyFile('example.test'), /^mode: testing$/m);
  });

  it('refuses a bad MTA_STS_DNS_REPAIR_MINUTES, or --dns-update without its key, in one sentence naming the setting', async () => {
    const run = await cli([...base, 'serve', '--port', '0'], {
      env: { MTA_STS_DNS_UPDATE: `rfc2136://127.0.0.1:${bind.port}`, MTA_STS_TSIG_KEY: bind.tsigKey, MTA_STS_DNS_REPAIR_MINUTES: '0.01' },
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /MTA_STS_DNS_REPAIR_MINUTES\) must be minutes from 0\.05 to 10080/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    // --dns-update without its key: the server does not start half-configured.
    const keyless = await cli([...base, 'serve', '--port', '0', '--dns-update', `rfc2136://127.0.0.1:${bind.port}`]);
    assert.equal(keyless.code, 2);
    assert.match(keyless.stderr, /MTA_STS_TSIG_KEY is required by an rfc2136:\/\/ --dns-update/);
  });
});
