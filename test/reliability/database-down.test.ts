import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import type { Response } from 'supertest';
import { API_PATH } from '../../src';
import { COLUMNS } from '../../src/store/columns';
import { LOOPBACK_ONLY } from '../support/loopback';
import { Csrf, TestServer, createServer, textOf } from '../support/server';
import { knexVia, mariadbTarget } from '../support/mariadb';
import { TcpProxy, startTcpProxy } from '../support/tcp-proxy';

// The database goes away under a running panel: MariaDB behind a loopback TCP proxy that the test
// cuts (packets dropped, or connections reset) and restores. The plugin's Knex pool goes through
// the proxy, with a 2 s acquireConnectionTimeout; the test reads and writes MariaDB directly.

const TTL_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `ok` holds, at most `ms`; returns the last value. */
async function eventually<T>(ms: number, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const until = Date.now() + ms;
  let value = await read();
  while (!ok(value) && Date.now() < until) {
    await sleep(100);
    value = await read();
  }
  return value;
}

function assertUnavailablePage(res: Response, what: string, message: RegExp): void {
  assert.equal(res.status, 503, `${what}: ${res.status} ${textOf(res.text ?? '').slice(0, 200)}`);
  assert.match(res.headers['content-type'], /text\/html/, what);
  assert.match(textOf(res.text), message, what);
  assert.ok(Number(res.headers['retry-after']) > 0, `${what}: Retry-After`);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.doesNotMatch(res.text, /Knex|ETIMEDOUT|ECONN|at .*\.js/, `${what}: no internals`);
}

function assertUnavailableJson(res: Response, what: string, code: string, message: RegExp): void {
  assert.equal(res.status, 503, `${what}: ${res.status} ${res.text}`);
  assert.match(res.headers['content-type'], /application\/json/, what);
  assert.equal(res.body.error.code, code, what);
  assert.match(res.body.error.message, message, what);
  assert.ok(Number(res.headers['retry-after']) > 0, `${what}: Retry-After`);
}

describe('reliability: a database that goes away (MariaDB behind a TCP proxy)', function () {
  this.timeout(60_000);
  let proxy: TcpProxy;
  let knex: Knex;
  let server: TestServer;
  let csrf: Csrf;
  let served: string;
  const logged: unknown[][] = [];
  const unhandled: unknown[] = [];
  const realError = console.error;
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    console.error = (...args: unknown[]) => void logged.push(args);
    const target = mariadbTarget();
    proxy = await startTcpProxy({ host: target.host, port: target.port });
    knex = knexVia(proxy.port);
    server = await createServer({ db: 'mariadb', plugin: { ...LOOPBACK_ONLY, knex, cache: { ttlMs: TTL_MS, waitMs: 200 }, rateLimit: { dnsChecks: 1000 } } });
    const put = await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org'], maxAge: 604800, active: true });
    assert.equal(put.status, 200, put.text);
    served = (await server.policy('mta-sts.example.org')).text;
    csrf = await server.csrf('example.org');
  });
  after(async () => {
    console.error = realError;
    process.off('unhandledRejection', onUnhandled);
    proxy?.restore();
    await server?.close();
    await knex?.destroy();
    await proxy?.close();
  });
  afterEach(() => assert.deepEqual(unhandled, [], 'no unhandled rejection: nothing crashed'));

  const row = () => server.row('example.org');
  const form = async () => ({
    version: 'STSv1',
    mode: 'testing',
    maxAge: '86400',
    mx: 'mail.example.org',
    active: '1',
    revision: String((await row()).mta_sts_revision),
  });

  it('keeps serving the last known good policy while packets are dropped, and answers 503 for every other host', async () => {
    // Meanwhile another instance changes the policy and adds one: this instance cannot know.
    proxy.cut('blackhole');
    await server.db
      .knex(server.db.domainTable)
      .where('domain', 'example.org')
      .update({ [COLUMNS.mode]: 'testing', [COLUMNS.id]: '20990101000000' });
    await server.setPolicy('example.com', { active: true, mode: 'enforce', mx: ['mail.example.com'], id: '20990101000000' });
    await sleep(TTL_MS + 50);
    for (let round = 0; round < 3; round++) {
      for (const host of ['mta-sts.example.org', 'MTA-STS.example.org.:443', 'mta-sts.alias.example']) {
        const res = await server.policy(host);
        assert.equal(res.status, 200, `${host} round ${round}`);
        assert.equal(res.text, served, 'the last known good policy, never a guess');
      }
      // Not in the last snapshot: maybe added since (example.com was), maybe unknown: 503, not 404.
      for (const host of ['mta-sts.example.com', 'mta-sts.unknown.example', 'mta-sts.inactive.example']) {
        const res = await server.policy(host);
        assert.equal(res.status, 503, `${host} round ${round}`);
        assert.ok(Number(res.headers['retry-after']) > 0);
        assert.equal(res.text, 'Service temporarily unavailable\n');
      }
      await sleep(TTL_MS);
    }
    // Certificate names are not answered from a snapshot the database cannot confirm: an ACME
    // client must not drop or add names on a list that may be stale.
    const names = await server.request().get(`${API_PATH}/certificate-names`);
    assertUnavailableJson(names, 'certificate names', 'unavailable', /Database unavailable/);
  });

  it('answers admin pages with a "database unavailable" page (503, HTML) and the API with 503 JSON, saving nothing', async () => {
    const before = await row();
    server.hostErrors.length = 0;
    const [tab, check, post, get, put, host] = await Promise.all([
      server.request().get('/mta-sts/example.org'),
      server.dnsCheckTab('example.org', {}, csrf),
      server.postForm('example.org', await form(), csrf),
      server.request().get(`${API_PATH}/example.org`),
      server.put('example.org', { mode: 'none' }),
      server.request().get('/host/domains/example.org'),
    ]);
    assertUnavailablePage(tab, 'tab', /Database unavailable/);
    assertUnavailablePage(check, 'DNS Check', /Database unavailable/);
    assertUnavailablePage(post, 'save', /Database unavailable: nothing was saved/);
    assertUnavailableJson(get, 'API GET', 'unavailable', /Database unavailable/);
    assertUnavailableJson(put, 'API PUT', 'unavailable', /nothing was saved/);
    // renderTab hands the host an HttpError it can show as it likes.
    assert.equal(host.status, 503);
    assert.equal((server.hostErrors[0] as { status?: number; code?: string }).code, 'unavailable');
    assert.deepEqual(await row(), before);
    assert.ok(logged.length > 0, 'the cause is logged for the operator');
  });

  it('gives the same answers at once when connections are reset instead', async () => {
    proxy.cut('reset');
    await sleep(TTL_MS + 50);
    const started = Date.now();
    assertUnavailablePage(await server.request().get('/mta-sts/example.org'), 'tab', /Database unavailable/);
    assertUnavailableJson(await server.put('example.org', { mode: 'none' }), 'API PUT', 'unavailable', /nothing was saved/);
    console.log(`      (refused connections answered in ${Date.now() - started} ms)`);
    assert.equal((await server.policy('mta-sts.example.org')).text, served);
    assert.equal((await server.policy('mta-sts.example.com')).status, 503);
  });

  it('recovers by itself when the database returns: current policies, 404 for unknown hosts, pages and saves work', async () => {
    proxy.restore();
    const fresh = await eventually(
      15_000,
      () => server.policy('mta-sts.example.org'),
      (res) => res.status === 200 && /mode: testing/.test(res.text),
    );
    assert.match(fresh.text, /mode: testing/, 'the change made during the outage is served now');
    assert.equal((await server.policy('mta-sts.example.com')).status, 200, 'and the domain added during the outage');
    assert.equal((await server.policy('mta-sts.unknown.example')).status, 404);
    assert.equal(
      (
        await eventually(
          15_000,
          () => server.request().get('/mta-sts/example.org'),
          (res) => res.status === 200,
        )
      ).status,
      200,
    );
    const put = await server.put('example.org', { mode: 'enforce' });
    assert.equal(put.status, 200, put.text);
    assert.match((await server.policy('mta-sts.example.org')).text, /mode: enforce/);
  });

  describe('a save that fails mid-way', () => {
    let detach: (() => void) | null = null;
    afterEach(() => {
      detach?.();
      detach = null;
      proxy.restore();
    });

    /** Cuts the database the moment the plugin sends a statement matching `sql`. */
    function cutOn(sql: RegExp): void {
      const listener = (query: { sql?: string }) => {
        if (query.sql && sql.test(query.sql)) {
          knex.off('query', listener);
          proxy.cut('reset');
        }
      };
      knex.on('query', listener);
      detach = () => knex.off('query', listener);
    }

    async function settle(): Promise<void> {
      proxy.restore();
      await eventually(
        15_000,
        () => server.request().get(`${API_PATH}/example.org`),
        (res) => res.status === 200,
      );
    }

    it('keeps the previous policy and id when the connection drops after the row is locked, and says nothing was saved', async () => {
      const before = await row();
      const servedBefore = (await server.policy('mta-sts.example.org')).text;
      cutOn(/^update/i);
      assertUnavailableJson(
        await server.put('example.org', { mode: 'testing', maxAge: 3600 }),
        'API PUT',
        'unavailable',
        /nothing was saved, the policy and its id are unchanged/,
      );
      await settle();
      assert.deepEqual(await row(), before);

      cutOn(/^update/i);
      const post = await server.postForm('example.org', { ...(await form()), maxAge: '7200' }, csrf);
      assertUnavailablePage(post, 'form save', /nothing was saved/);
      await settle();
      assert.deepEqual(await row(), before);
      assert.equal((await server.policy('mta-sts.example.org')).text, servedBefore, 'the policy file did not change either');
    });

    it('says the outcome is unknown when the connection drops at COMMIT, and the row is the old or the new one, never a mix', async () => {
      const before = await row();
      cutOn(/^commit/i);
      const res = await server.put('example.org', { mode: 'testing', maxAge: 3600 });
      assertUnavailableJson(res, 'API PUT', 'save-unknown', /may or may not have been saved/);
      await settle();
      const after = await row();
      console.log(`      (the COMMIT ${after.mta_sts_revision === before.mta_sts_revision ? 'never reached' : 'reached'} the server)`);
      if (after.mta_sts_revision === before.mta_sts_revision) assert.deepEqual(after, before);
      else {
        assert.equal(after.mta_sts_mode, 'testing');
        assert.equal(Number(after.mta_sts_max_age), 3600);
        assert.equal(Number(after.mta_sts_revision), Number(before.mta_sts_revision) + 1);
      }
      const served = await eventually(
        5000,
        () => server.policy('mta-sts.example.org'),
        (p) => p.text.includes(`mode: ${after.mta_sts_mode}`),
      );
      assert.match(served.text, new RegExp(`mode: ${after.mta_sts_mode}`), 'the policy file follows the database, not the failed save');
    });

    it('answers 500 "nothing was saved" when the database refuses the update (a trigger), and logs the cause', async () => {
      const before = await row();
      const servedBefore = (await server.policy('mta-sts.example.org')).text;
      const trigger = `t_refuse_${server.db.domainTable}`.slice(0, 64);
      await server.db.knex.raw(`CREATE TRIGGER ?? BEFORE UPDATE ON ?? FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'disk full: secret-detail'`, [
        trigger,
        server.db.domainTable,
      ]);
      logged.length = 0;
      try {
        const res = await server.put('example.org', { mode: 'testing', maxAge: 1800 });
        assert.equal(res.status, 500, res.text);
        assert.equal(res.body.error.code, 'save-failed');
        assert.match(res.body.error.message, /Nothing was saved.*unchanged/);
        assert.doesNotMatch(res.text, /secret-detail|disk full/);
        const post = await server.postForm('example.org', { ...(await form()), maxAge: '900' }, csrf);
        assert.equal(post.status, 500);
        assert.match(textOf(post.text), /Nothing was saved/);
      } finally {
        await server.db.knex.raw('DROP TRIGGER IF EXISTS ??', [trigger]);
      }
      assert.deepEqual(await row(), before);
      assert.equal((await server.policy('mta-sts.example.org')).text, servedBefore);
      assert.ok(
        logged.some((args) => args.some((a) => String((a as Error)?.message ?? a).includes('secret-detail'))),
        'the cause is in the log',
      );
    });
  });
});
