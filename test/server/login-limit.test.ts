// The standalone server's login limit against the attacks of issue 18: a lockout of `admin` from
// addresses that are not the administrator's, a flood that would reset the limit, unknown user
// names that answered faster than known ones, and a login refused while already logged in.
// A real server (createPanel on SQLite, over real sockets from several loopback addresses).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { Server, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { Accounts } from '../../src/server/accounts';
import { createPanel } from '../../src/server/app';
import { LoginLimit } from '../../src/server/login-limit';
import { migrateServerTables } from '../../src/server/server-schema';
import { DB_KINDS, createTestDb } from '../support/db';
import { textOf } from '../support/server';

const PASSWORD = 'correct horse battery staple';

interface Panel {
  http: Server;
  knex: Knex;
  /** The SQLite file. */
  file: string;
  close(): Promise<void>;
}

async function startPanel(): Promise<Panel> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-login-'));
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
  const panel = await createPanel({
    knex,
    mailHostname: 'mail.example.org',
    adminPassword: PASSWORD,
    dnsServers: ['127.0.0.1:9'],
    // 127.0.0.1 is a reverse proxy here: its X-Forwarded-For names the client (IPv6 clients too).
    trustedProxies: ['127.0.0.1'],
  });
  const http = createServer(panel.app);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  return {
    http,
    knex,
    file: join(dir, 'panel.sqlite'),
    async close() {
      panel.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Attempt {
  status: number;
  retryAfter?: string;
  text: string;
  ms: number;
}

/**
 * A login as a fresh browser makes it (the form, then the post) from a loopback address, or, with
 * `forwardedFor`, through the trusted proxy 127.0.0.1 for that client address. `ms` is the post's time.
 */
async function attemptLogin(panel: Panel, fields: Record<string, string | string[]>, from: string | { forwardedFor: string }): Promise<Attempt> {
  const port = (panel.http.address() as AddressInfo).port;
  const call = (method: string, path: string, body?: string, cookie?: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          localAddress: typeof from === 'string' ? from : '127.0.0.1',
          // A new connection each time: a kept-alive one may be closed by the server as it is reused.
          agent: false,
          method,
          path,
          headers: {
            ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } : {}),
            ...(cookie ? { Cookie: cookie } : {}),
            ...(typeof from === 'string' ? {} : { 'X-Forwarded-For': from.forwardedFor }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const form = await call('GET', '/login');
  const token = /name="_panel_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
  const cookie = ([] as string[])
    .concat(form.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('panel.csrf='));
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries({ ...fields, _panel_csrf: token })) for (const v of ([] as string[]).concat(value)) body.append(name, v);
  const started = process.hrtime.bigint();
  const res = await call('POST', '/login', body.toString(), cookie);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { status: res.status, retryAfter: res.headers['retry-after'] as string | undefined, text: textOf(res.text), ms };
}

const login = (panel: Panel, username: string, password: string, from: string | { forwardedFor: string }) => attemptLogin(panel, { username, password }, from);

describe('the login limit of the standalone server', function () {
  this.timeout(120_000);
  let panel: Panel;
  beforeEach(async () => {
    panel = await startPanel();
  });
  afterEach(() => panel.close());

  it('lets the administrator in from their address while six other addresses fail on `admin` (no lockout from anywhere)', async () => {
    // Wrong passwords for `admin` from six addresses (the lockout of issue 18 took five).
    for (let a = 1; a <= 6; a++) assert.equal((await login(panel, 'admin', 'wrong', `127.0.2.${a}`)).status, 401, `127.0.2.${a}`);
    // The administrator, from an address that has not failed, is not refused.
    assert.equal((await login(panel, 'admin', PASSWORD, '127.0.2.100')).status, 303);
    // An address that goes on failing is blocked for `admin` after its fifth, even with the right password...
    for (let i = 0; i < 4; i++) assert.equal((await login(panel, 'admin', `wrong ${i}`, '127.0.2.1')).status, 401);
    const blocked = await login(panel, 'admin', PASSWORD, '127.0.2.1');
    assert.equal(blocked.status, 429);
    assert.equal(blocked.retryAfter, '900');
    assert.match(blocked.text, /Too many failed logins\. Try again in 15 minutes\./);
    // ...however the name is spelt, and the administrator elsewhere is still not.
    assert.equal((await login(panel, 'Admin ', PASSWORD, '127.0.2.1')).status, 429);
    assert.equal((await login(panel, 'admin', PASSWORD, '127.0.2.101')).status, 303);
  });

  it('counts an IPv6 client by its /64: five failures anywhere in it block `admin` there, not in the next /64', async () => {
    for (let i = 1; i <= 5; i++) assert.equal((await login(panel, 'admin', 'wrong', { forwardedFor: `2001:db8:1:2::${i}` })).status, 401);
    assert.equal((await login(panel, 'admin', PASSWORD, { forwardedFor: '2001:db8:1:2:ffff::99' })).status, 429);
    assert.equal((await login(panel, 'admin', PASSWORD, { forwardedFor: '2001:db8:1:3::1' })).status, 303);
  });

  it('limits an address over all names: after 10 failures it gets 429 for every account, the right password included', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await login(panel, `guess${i}`, 'wrong', '127.0.3.1')).status, 401, `#${i}`);
    const blocked = await login(panel, 'admin', PASSWORD, '127.0.3.1');
    assert.equal(blocked.status, 429);
    assert.equal(blocked.retryAfter, '900');
    assert.equal((await login(panel, 'admin', PASSWORD, '127.0.3.2')).status, 303, 'another address is not affected');
  });

  it('checks one login at a time per address: a burst of 20 parallel guesses gets no more than one verified', async () => {
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => login(panel, 'admin', `guess ${i}`, '127.0.6.1')));
    const statuses = burst.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 1, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 19, statuses.join(' '));
    const waiting = burst.find((r) => r.status === 429);
    assert.equal(waiting?.retryAfter, '1');
    assert.match(waiting?.text ?? '', /A login from this address is being checked\. Try again in a moment\./);
    // Afterwards the address has its turns again, one after the other.
    assert.equal((await login(panel, 'admin', PASSWORD, '127.0.6.1')).status, 303);
  });

  it('never forgets a blocked key, whatever a flood of unknown names from many addresses adds (nothing is evicted)', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await login(panel, 'admin', 'wrong', '127.0.5.1')).status, 401);
    assert.equal((await login(panel, 'admin', PASSWORD, '127.0.5.1')).status, 429);
    // The flood of issue 18 was 9,000 failures with unknown names from 1,800 addresses; 5,000 from
    // 5,000 IPv6 /64s, one name each, make 10,000 new keys too, which evicted the lock on `admin` from
    // the former map of 10,000. Counted straight into the server's table through the limiter: over
    // HTTP each now costs a scrypt, which is the point, and 5,000 would take many minutes here.
    // (Its own connection to the file, without a sync to disk per commit: the same rows, faster.)
    const floodDb = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: panel.file },
      useNullAsDefault: true,
      pool: {
        afterCreate: (conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
          conn.pragma('synchronous = OFF');
          done(null, conn);
        },
      },
    });
    try {
      const flood = new LoginLimit(floodDb, 'mta_sts_login_failures');
      for (let a = 0; a < 5000; a++) await flood.failed(`2001:db8:${(a >> 8).toString(16)}:${(a & 255).toString(16)}::1`, `nobody-${a}`);
    } finally {
      await floodDb.destroy();
    }
    const rows = await panel.knex('mta_sts_login_failures').count<Array<{ count: number }>>({ count: '*' });
    assert.equal(Number(rows[0].count), 2 + 5000 * 2, 'every key is kept');
    const blocked = await login(panel, 'admin', PASSWORD, '127.0.5.1');
    assert.equal(blocked.status, 429, 'the lock on admin from 127.0.5.1 holds');
    assert.ok(Number(blocked.retryAfter) > 800, blocked.retryAfter);
    assert.equal((await login(panel, 'admin', PASSWORD, '127.0.5.2')).status, 303, 'and the administrator still gets in');
  });

  it('makes an unknown or malformed user name cost the same scrypt time as a wrong password for a known one', async () => {
    // What an attacker's flood sent: names that skipped scrypt (malformed, too long, empty), and
    // passwords that are missing, repeated or too long. Each from its own address (no limit hit).
    const unknown: Array<Record<string, string | string[]>> = [
      { username: 'no/such user', password: 'wrong' },
      { username: 'x'.repeat(65), password: 'wrong' },
      { username: '', password: 'wrong' },
      { username: 'admin', password: ['a', 'b'] },
      { username: 'nobody' },
      { username: 'nobody', password: 'p'.repeat(1025) },
    ];
    // Known names: `admin` and `alice`, three wrong passwords each (so that no limit is met, also the old one of 5 per account).
    await new Accounts(panel.knex, 'mta_sts_users').add('alice', 'alice password 123');
    // Once each first, so that nothing lazily built on the first call is measured.
    await login(panel, 'admin', 'warm up', '127.0.4.250');
    await attemptLogin(panel, unknown[1], '127.0.4.251');
    const known: number[] = [];
    const times: Array<[string, number]> = [];
    for (let i = 0; i < unknown.length; i++) {
      // Interleaved, so that the load of the machine weighs on both alike.
      const k = await login(panel, i % 2 === 0 ? 'admin' : 'alice', `wrong ${i}`, `127.0.4.${i + 1}`);
      assert.equal(k.status, 401);
      known.push(k.ms);
      const u = await attemptLogin(panel, unknown[i], `127.0.4.${i + 101}`);
      assert.equal(u.status, 401, JSON.stringify(unknown[i]).slice(0, 80));
      times.push([JSON.stringify(unknown[i]).slice(0, 40), u.ms]);
    }
    const median = [...known].sort((a, b) => a - b)[Math.floor(known.length / 2)];
    for (const [what, ms] of times) {
      // Generous bounds: scrypt (N=2^15) takes hundreds of ms; skipping it takes a few.
      assert.ok(ms > median * 0.4 && ms < median * 2.5, `${what}: ${ms.toFixed(0)} ms against ${median.toFixed(0)} ms for a known name`);
    }
  });

  it('logs in again while already logged in (a second login from the login page)', async () => {
    // A browser's cookie jar: of two Set-Cookie headers with one name, the last one stays.
    const jar = new Map<string, string>();
    const keep = (res: { headers: Record<string, unknown> }) => {
      for (const c of ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? [])) {
        const [pair] = c.split(';');
        jar.set(pair.slice(0, pair.indexOf('=')), pair);
      }
    };
    const cookies = () => [...jar.values()].join('; ');
    const logIn = async () => {
      const form = await request(panel.http).get('/login').set('Cookie', cookies());
      keep(form);
      const tokens = [...form.text.matchAll(/name="_panel_csrf" value="([^"]+)"/g)].map((m) => m[1]);
      const res = await request(panel.http)
        .post('/login')
        .set('Cookie', cookies())
        .type('form')
        .send({ username: 'admin', password: PASSWORD, _panel_csrf: tokens[0] ?? '' })
        .redirects(0);
      keep(res);
      return { res, tokens };
    };
    assert.equal((await logIn()).res.status, 303);
    // Logged in, the login page again (it holds the login form and the logout form), and its form sent.
    const again = await logIn();
    assert.equal(again.tokens.length, 2, 'the login and the logout form');
    assert.equal(again.tokens[0], again.tokens[1], 'one token for both forms');
    assert.equal(again.res.status, 303, textOf(again.res.text).slice(0, 200));
    assert.equal(again.res.headers.location, '/domains');
    const list = await request(panel.http).get('/domains').set('Cookie', cookies()).redirects(0);
    assert.equal(list.status, 200, 'logged in with the new session');
    keep(list);
    // And the logout form of a page still works after it.
    const logoutToken = /name="_panel_csrf" value="([^"]+)"/.exec(list.text)?.[1] ?? '';
    const out = await request(panel.http).post('/logout').set('Cookie', cookies()).type('form').send({ _panel_csrf: logoutToken }).redirects(0);
    assert.equal(out.status, 303);
  });
});

for (const kind of DB_KINDS) {
  describe(`the login limit's counters on ${kind}`, function () {
    this.timeout(60_000);
    it('blocks for 15 minutes, doubles the block with each failure after it up to 24 hours, and forgets only expired rows', async () => {
      const db = await createTestDb(kind);
      try {
        await migrateServerTables(db.knex, db.tablePrefix);
        let now = Date.UTC(2026, 11, 7, 12);
        const table = `${db.tablePrefix}login_failures`;
        const limit = new LoginLimit(db.knex, table, () => now);
        // How long a login must wait; an attempt it admits is ended at once (as the server does after the
        // password check), so that the address's turn is free for the next question.
        const wait = async (address: string, name: string) => {
          const refusal = await limit.refusal(address, name);
          if (refusal === null) await limit.succeeded(address, 'nobody-in-particular');
          return refusal?.retryAfter ?? 0;
        };
        // Four failures of `admin` at one address: still allowed; the fifth blocks it there.
        for (let i = 0; i < 4; i++) await limit.failed('192.0.2.1', 'admin');
        assert.equal(await wait('192.0.2.1', 'admin'), 0);
        await limit.failed('192.0.2.1', 'admin');
        assert.equal(await wait('192.0.2.1', 'admin'), 900);
        assert.equal(await wait('192.0.2.1', 'ADMIN '), 900, 'the same account, however spelt');
        assert.equal(await wait('192.0.2.2', 'admin'), 0, 'not at another address');
        assert.equal(await wait('192.0.2.1', 'alice'), 0, 'not for another account at that address');
        // After each block, one more failure: 30 minutes, 1 hour, 2 hours ... at most 24 hours.
        const blocks: number[] = [];
        for (let i = 0; i < 9; i++) {
          now += (await wait('192.0.2.1', 'admin')) * 1000;
          assert.equal(await wait('192.0.2.1', 'admin'), 0);
          await limit.failed('192.0.2.1', 'admin');
          blocks.push(await wait('192.0.2.1', 'admin'));
        }
        assert.deepEqual(blocks, [1800, 3600, 7200, 14400, 28800, 57600, 86400, 86400, 86400]);
        assert.deepEqual(await limit.refusal('192.0.2.1', 'admin'), { retryAfter: 86400, reason: 'blocked' });
        // Failures at once each count (one statement per count, no lost update).
        await Promise.all(Array.from({ length: 10 }, (_, i) => limit.failed('198.51.100.7', `name${i}`)));
        assert.equal(await wait('198.51.100.7', 'anyone'), 900, 'the address is blocked after 10 failures over all names');
        // A success clears the account at that address, never the address's count.
        await limit.failed('203.0.113.5', 'bob');
        await limit.succeeded('203.0.113.5', 'bob');
        const keys = async () => Number((await db.knex(table).count<Array<{ count: number }>>({ count: '*' }))[0].count);
        assert.equal(await keys(), 2 + 11 + 1, 'admin at 192.0.2.1 and its address, 10 names and their address, the address of bob');
        // 15 minutes on, failures below the limit are forgotten (the 10 names, the address of bob, and that of
        // 192.0.2.1, whose failures came more than 15 minutes apart); the blocked keys are not.
        now += 15 * 60_000;
        assert.equal(await limit.prune(), 10 + 1 + 1);
        assert.equal(await wait('192.0.2.1', 'admin'), 86400 - 900);
        assert.equal(await wait('198.51.100.7', 'anyone'), 0, 'its block ended...');
        await limit.failed('198.51.100.7', 'one more');
        assert.equal(await wait('198.51.100.7', 'anyone'), 1800, '...but it was remembered: the next failure doubles it');
        // A day after its block ended, a key is forgotten (admin's ends last: a 24-hour block and a day).
        now += 2 * 86400_000;
        await limit.prune();
        assert.equal(await keys(), 0);
      } finally {
        await db.destroy();
      }
    });
  });
}
