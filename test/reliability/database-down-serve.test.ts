// `mta-sts serve` as a person runs it (a child process) while its database goes away under it:
// MariaDB behind the loopback TCP proxy (connections reset, or packets dropped), SQLite held by an
// EXCLUSIVE lock in another process. Requests with and without a login cookie go to every route
// class. Before the fix, the first request carrying a session cookie ended the process (an
// unhandled rejection from the session store), and the policy file went down for every domain.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { textOf } from '../support/server';
import { cli, logIn, postfixAdminDb, serve, type PanelDb, type Served } from '../support/standalone';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

const PASSWORD = 'outage test password';
const API_KEY = 'outage-test-api-key-0123456789';
const POLICY_HOST = 'mta-sts.example.org';
/** A well-formed intake token (22 characters): only the database can say whose it is. */
const TOKEN = 'AAAAAAAAAAAAAAAAAAAAAA';
const OUTAGE = /Database unavailable/;

interface Probe {
  name: string;
  /** What the route needs: `policy` answers from memory, `memory` needs no database, `db` does. */
  kind: 'policy' | 'memory' | 'db';
  /** Without a cookie: the status it answers when it needs no database for that (a redirect, the login form). */
  anonymous?: number;
  json?: boolean;
  send(base: string, cookie: string | null, form: LoginForm): request.Test;
}

interface LoginForm {
  token: string;
  cookie: string;
}

/** Every route class of the standalone server. */
const PROBES: Probe[] = [
  { name: 'policy file', kind: 'policy', send: (base) => request(base).get('/.well-known/mta-sts.txt').set('Host', POLICY_HOST) },
  { name: 'login page', kind: 'db', anonymous: 200, send: (base) => request(base).get('/login') },
  {
    name: 'login POST',
    kind: 'db',
    send: (base, cookie, form) =>
      request(base)
        .post('/login')
        .type('form')
        .set('Cookie', [form.cookie, ...(cookie ? [cookie] : [])].join('; '))
        .send({ username: 'admin', password: PASSWORD, _panel_csrf: form.token }),
  },
  { name: 'domain list', kind: 'db', anonymous: 303, send: (base) => request(base).get('/domains') },
  { name: 'domain page with the tab', kind: 'db', anonymous: 303, send: (base) => request(base).get('/domains/example.org?tab=mta-sts') },
  { name: "the plugin's tab page", kind: 'db', anonymous: 401, send: (base) => request(base).get('/mta-sts/example.org') },
  { name: 'logout', kind: 'db', anonymous: 403, send: (base) => request(base).post('/logout').type('form').send({}) },
  { name: 'API', kind: 'db', json: true, send: (base) => request(base).get('/api/v1/mta-sts/example.org').set('X-API-Key', API_KEY) },
  {
    name: 'report intake',
    kind: 'db',
    json: true,
    send: (base) => request(base).post(`/tlsrpt/v1/${TOKEN}`).type('application/tlsrpt+json').send('{}'),
  },
  { name: 'healthz', kind: 'db', json: true, send: (base) => request(base).get('/healthz') },
  { name: 'metrics', kind: 'memory', send: (base) => request(base).get('/metrics').set('X-API-Key', API_KEY) },
];

/** The session id inside a `mta-sts.sid=s%3A<id>.<signature>` cookie. */
function sessionIdOf(cookie: string): string {
  return decodeURIComponent(cookie.split('=')[1]).slice(2).split('.')[0];
}

async function loginForm(base: string): Promise<LoginForm> {
  const page = await request(base).get('/login');
  const token = /name="_panel_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const cookie =
    ([] as string[])
      .concat(page.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0])
      .find((c) => c.startsWith('panel.csrf=')) ?? '';
  return { token, cookie };
}

/**
 * Sends every probe with and without the cookie, all at once, and checks each answer: the policy
 * file as before the cut, routes that need the database a 503 saying so (a page for people, JSON
 * for programs), never a 500 or internals. Returns the policy file's slowest answer in ms.
 */
async function sweep(
  server: Served,
  cookie: string,
  form: LoginForm,
  policyText: string,
  what: string,
): Promise<{ policyMs: number; outageMs: number; sent: number }> {
  const sent = PROBES.flatMap((probe) =>
    [cookie, null].map(async (withCookie) => {
      const label = `${what}: ${probe.name} ${withCookie ? 'with' : 'without'} a session cookie`;
      const started = Date.now();
      // Far below TCP giving up on a black-holed connection (minutes), far above the 5 s deadline.
      let test = probe.send(server.base, withCookie, form).redirects(0).timeout(20_000);
      if (withCookie && probe.name !== 'login POST') test = test.set('Cookie', withCookie);
      const res = await test.catch((err: Error) =>
        assert.fail(`${label}: no answer (${err.message}); the process ${server.proc.exitCode === null ? 'runs' : 'exited'}`),
      );
      return { probe, withCookie, label, res, ms: Date.now() - started };
    }),
  );
  let policyMs = 0;
  let outageMs = 0;
  for (const { probe, withCookie, label, res, ms } of await Promise.all(sent)) {
    assert.notEqual(res.status, 500, `${label}: ${res.text?.slice(0, 300)}`);
    assert.doesNotMatch(res.text ?? '', /\n\s+at |Knex|ECONN|SQLITE_|select .* from/i, `${label}: no internals`);
    if (probe.kind === 'policy') {
      assert.equal(res.status, 200, label);
      assert.equal(res.text, policyText, `${label}: served from memory`);
      policyMs = Math.max(policyMs, ms);
      continue;
    }
    if (probe.kind === 'memory') {
      assert.equal(res.status, 200, label);
      continue;
    }
    if (!withCookie && probe.anonymous !== undefined) {
      assert.equal(res.status, probe.anonymous, `${label}: ${res.text?.slice(0, 200)}`);
      continue;
    }
    assert.equal(res.status, 503, `${label}: ${textOf(res.text ?? '').slice(0, 300)}`);
    outageMs = Math.max(outageMs, ms);
    assert.ok(Number(res.headers['retry-after']) > 0 || probe.name === 'healthz', `${label}: Retry-After`);
    assert.equal(res.headers['cache-control'], 'no-store', label);
    if (probe.json || (withCookie && probe.name === 'API')) {
      assert.match(res.headers['content-type'], /application\/json/, label);
      if (probe.name !== 'healthz') assert.equal(res.body.error.code, 'unavailable', label);
    } else {
      assert.match(res.headers['content-type'], /text\/html/, label);
      assert.match(textOf(res.text), OUTAGE, label);
    }
  }
  assert.equal(server.proc.exitCode, null, `${what}: the process is still running`);
  return { policyMs, outageMs, sent: sent.length };
}

/** What the log must never hold, and never show: the session id, in any spelling; stack traces. */
function assertCleanLog(server: Served, cookie: string): void {
  const output = server.output();
  const sid = sessionIdOf(cookie);
  assert.ok(sid.length >= 20, cookie);
  for (const secret of [sid, encodeURIComponent(sid), cookie, PASSWORD, API_KEY]) {
    assert.ok(!output.includes(secret), `the log holds ${secret}:\n${output.split('\n').find((l) => l.includes(secret))}`);
  }
  const stack = output.split('\n').find((line) => /^\s+at .*\.js:\d+|"stack"/.test(line));
  assert.equal(
    stack,
    undefined,
    `no stack trace in the log:\n${output.slice(Math.max(0, output.indexOf(stack ?? '') - 1500), output.indexOf(stack ?? '') + 500)}`,
  );
}

describe('reliability: mta-sts serve while its database is cut (MariaDB behind a proxy)', function () {
  this.timeout(180_000);
  let db: PanelDb;
  let proxy: TcpProxy;
  let server: Served | null = null;
  let cookie: string;
  let form: LoginForm;
  let policyText: string;

  before(async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 3306 });
    db = await postfixAdminDb('mariadb', ['example.org'], proxy.port);
    const args = ['--database', db.url, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', '--dns-servers', '127.0.0.1:9'];
    assert.equal((await cli([...args, 'migrate'])).code, 0);
    assert.equal((await cli([...args, 'admin', 'add', 'admin', '--password-stdin'], { input: PASSWORD })).code, 0);
    assert.equal((await cli([...args, 'set', 'example.org', '--mode', 'enforce', '--mx', 'mail.example.org', '--active', 'yes'])).code, 0);
    server = await serve(args, { API_KEY, LOG_LEVEL: 'info' });
    cookie = await logIn(server.base, 'admin', PASSWORD);
    form = await loginForm(server.base);
    const policy = await request(server.base).get('/.well-known/mta-sts.txt').set('Host', POLICY_HOST);
    assert.equal(policy.status, 200);
    policyText = policy.text;
    assert.equal((await request(server.base).get('/domains').set('Cookie', cookie).redirects(0)).status, 200, 'logged in');
  });
  after(async () => {
    proxy?.restore();
    if (server) await server.stop();
    await db?.drop();
    await proxy?.close();
  });

  for (const outage of ['reset', 'blackhole'] as const) {
    it(`stays up with connections ${outage === 'reset' ? 'reset' : 'black-holed'}: the policy file from memory, 503 pages saying so, no session id in the log`, async () => {
      proxy.cut(outage);
      try {
        const { policyMs, outageMs, sent } = await sweep(server!, cookie, form, policyText, outage);
        // A second round: the first failures must not have left anything behind that ends it later.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const again = await sweep(server!, cookie, form, policyText, `${outage}, again`);
        console.log(
          `      (${outage}: policy file at most ${Math.max(policyMs, again.policyMs)} ms while ${sent} requests hit the cut database at once; ` +
            `the slowest 503 after ${Math.max(outageMs, again.outageMs)} ms)`,
        );
      } finally {
        proxy.restore();
      }
      assertCleanLog(server!, cookie);
    });
  }

  it('recovers when the database returns: the same cookie is logged in again, and /healthz says 200', async () => {
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      status = (await request(server!.base).get('/domains').set('Cookie', cookie).redirects(0)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(status, 200, server!.output().slice(-2000));
    assert.equal((await request(server!.base).get('/healthz')).status, 200);
    // The public routes too, which ran into the deadline: no dead connection was left in the pool.
    const login = await PROBES.find((p) => p.name === 'login POST')!
      .send(server!.base, null, form)
      .redirects(0);
    assert.equal(login.status, 303, textOf(login.text ?? '').slice(0, 300));
    const intake = await request(server!.base).post(`/tlsrpt/v1/${TOKEN}`).type('application/tlsrpt+json').send('{}');
    assert.equal(intake.status, 404, 'the database answered: no domain has this token');
    assert.equal(await server!.stop(), 0, 'SIGTERM still drains and exits 0');
    server = null;
  });
});

/** A child process holding BEGIN EXCLUSIVE on `file` until its stdin closes; resolves once it holds it. */
async function holdExclusive(file: string): Promise<ChildProcess> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    process.stdin.on('end', () => { db.exec('COMMIT'); db.close(); process.exit(0); }).resume();
  `;
  const child = spawn(process.execPath, ['-e', script, file], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
  });
  return child;
}

async function release(holder: ChildProcess): Promise<void> {
  if (holder.exitCode !== null) return;
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  holder.stdin!.end();
  await exited;
}

describe('reliability: mta-sts serve while its SQLite file is locked by another process', function () {
  this.timeout(120_000);
  let dir: string;
  let file: string;
  let server: Served | null = null;
  let holder: ChildProcess | null = null;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-outage-'));
    file = join(dir, 'panel.sqlite');
    server = await serve(['--database', `sqlite:${file}`, '--dns-servers', '127.0.0.1:9'], {
      API_KEY,
      ADMIN_PASSWORD: PASSWORD,
      MTA_STS_EMBEDDED: 'yes',
      LOG_LEVEL: 'info',
    });
  });
  after(async () => {
    if (holder) await release(holder);
    if (server) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays up under an EXCLUSIVE lock: the policy file from memory, 503 pages saying so, /healthz 503, no session id in the log', async () => {
    const base = server!.base;
    const put = await request(base)
      .put('/api/v1/mta-sts/example.org')
      .set('X-API-Key', API_KEY)
      .send({ mode: 'enforce', mx: ['mail.example.org'], maxAge: 604800, active: true });
    assert.equal(put.status, 200, put.text);
    const cookie = await logIn(base, 'admin', PASSWORD);
    const form = await loginForm(base);
    const policy = await request(base).get('/.well-known/mta-sts.txt').set('Host', POLICY_HOST);
    assert.equal(policy.status, 200);
    assert.equal((await request(base).get('/healthz')).status, 200);

    holder = await holdExclusive(file);
    const first = await sweep(server!, cookie, form, policy.text, 'SQLite locked');
    const again = await sweep(server!, cookie, form, policy.text, 'SQLite locked, again');
    const policyMs = Math.max(first.policyMs, again.policyMs);
    console.log(`      (SQLite locked: policy file at most ${policyMs} ms while ${first.sent} requests hit the locked file at once, twice)`);
    // The event loop is not held for SQLite's 5 s busy timeout on every request with a cookie.
    assert.ok(policyMs < 1000, `policy file answered in ${policyMs} ms while the file was locked`);
    await release(holder);
    holder = null;

    assertCleanLog(server!, cookie);
    // After a lock the session store fails at once for a second (no synchronous wait per request).
    let status = 0;
    for (let i = 0; i < 12 && status !== 200; i++) {
      status = (await request(base).get('/domains').set('Cookie', cookie).redirects(0)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(status, 200, 'the same login works again within a few seconds once the lock is gone');
    assert.equal((await request(base).get('/healthz')).status, 200);
    assert.equal(await server!.stop(), 0, 'SIGTERM still drains and exits 0');
    server = null;
  });
});
