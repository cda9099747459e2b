import assert from 'node:assert/strict';
import knexFactory from 'knex';
import { API_PATH, createMtaSts } from '../../src';
import { RateLimiter, addressKey, createDnsCheckLimiter } from '../../src/web/rate-limit';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { TestServer, createServer, notices, textOf } from '../support/server';

describe('rate limit: the fixed-window counter', () => {
  it('allows `limit` events per window and key, then refuses with the seconds left', () => {
    const clock = { now: 0 };
    const limiter = new RateLimiter(3, 60_000, () => clock.now);
    for (let i = 0; i < 3; i++) assert.deepEqual(limiter.take('a'), { ok: true });
    clock.now = 15_000;
    assert.deepEqual(limiter.take('a'), { ok: false, retryAfter: 45, limit: 3, windowMs: 60_000 });
    assert.deepEqual(limiter.take('b'), { ok: true }, 'other keys have their own count');
    clock.now = 59_001;
    assert.equal((limiter.take('a') as { retryAfter: number }).retryAfter, 1, 'never 0');
    clock.now = 60_000;
    assert.deepEqual(limiter.take('a'), { ok: true }, 'a new window');
  });

  it('keeps at most maxKeys counters, dropping the oldest, and forgets expired ones', () => {
    const clock = { now: 0 };
    const limiter = new RateLimiter(1, 1000, () => clock.now, 100);
    for (let i = 0; i < 5000; i++) {
      limiter.take(`key-${i}`);
      assert.ok(limiter.size <= 100);
    }
    clock.now = 1000;
    limiter.take('late');
    assert.equal(limiter.size, 1, 'every expired window was dropped');
  });

  it('survives a clock that goes back', () => {
    const clock = { now: 100_000 };
    const limiter = new RateLimiter(1, 1000, () => clock.now);
    limiter.take('a');
    clock.now = 0;
    const decision = limiter.take('a');
    assert.equal(decision.ok, false);
    assert.ok((decision as { retryAfter: number }).retryAfter >= 1);
  });
});

describe('rate limit: DNS Checks per user, in the tab and the API together', () => {
  let dns: TestDnsServer;
  let server: TestServer;
  const clock = { now: Date.parse('2026-11-28T12:00:00Z') };

  before(async () => {
    dns = await startDnsServer();
    dns.setFault('refused');
    server = await createServer({
      plugin: {
        now: () => new Date(clock.now),
        dns: { servers: [dns.address], timeoutMs: 200, retries: 0 },
        dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
        rateLimit: { dnsChecks: 3, windowMs: 60_000, key: (req) => req.get('x-user') ?? '' },
      },
    });
  });
  after(async () => {
    await server?.close();
    await dns?.close();
  });

  const tab = async (user: string, domain = 'example.org') => server.dnsCheckTab(domain, { 'X-User': user }, await server.csrf('example.org'));
  const api = (user: string, domain = 'example.org') => server.request().get(`${API_PATH}/${domain}/dns-check`).set('X-User', user);

  it('allows the limit, then answers 429 with Retry-After: the tab with a message, the API with JSON', async () => {
    assert.equal((await tab('alice')).status, 200);
    assert.equal((await api('alice')).status, 200);
    assert.equal((await tab('alice', 'unknown.example')).status, 404, 'an unknown domain runs no check and counts nothing');
    assert.equal((await tab('alice')).status, 200);
    const queries = dns.queries.length;

    clock.now += 20_000;
    const page = await tab('alice');
    assert.equal(page.status, 429);
    assert.equal(page.headers['retry-after'], '40');
    assert.match(page.headers['content-type'], /text\/html/);
    assert.ok(
      notices(page.text).some((n) => /Too many DNS Checks: at most 3 every 60 seconds\. Try again in 40 seconds\./.test(n)),
      notices(page.text).join(' | '),
    );
    assert.match(page.text, /name="mx"/, 'the tab is still there to work with');
    assert.doesNotMatch(page.text, /data-check=/, 'no check results');

    const json = await api('alice');
    assert.equal(json.status, 429);
    assert.equal(json.headers['retry-after'], '40');
    assert.equal(json.body.error.code, 'rate-limited');
    assert.match(json.body.error.message, /Try again in 40 seconds/);
    // A refused check runs no lookup (the tab itself looks up the MX hosts it shows beside the field).
    const asked = dns.queries.slice(queries).map((q) => `${q.name} ${q.type}`);
    assert.ok(
      asked.every((q) => q === 'example.org MX'),
      asked.join(', '),
    );
  });

  it('counts each user apart', async () => {
    assert.equal((await tab('bob')).status, 200);
    assert.equal((await api('alice')).status, 429);
  });

  it('allows checks again once the window has passed', async () => {
    clock.now += 40_000;
    assert.equal((await api('alice')).status, 200);
  });

  it("keys by the principal by default, never by the session id, else by the client's address", async () => {
    const sessions = await createServer({
      plugin: {
        dns: { servers: [dns.address], timeoutMs: 200, retries: 0 },
        dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
        csrf: { secret: 'rate-limit-secret-0123456789-0123456789', sessionId: (req) => req.get('x-session') ?? '' },
        principal: (req) => req.get('x-principal') ?? null,
        rateLimit: { dnsChecks: 1 },
      },
    });
    try {
      const check = (principal?: string, session = String(Math.random())) => {
        // A new session id on every request, as a client inventing cookies would send.
        const test = sessions.request().get(`${API_PATH}/example.org/dns-check`).set('X-Session', session);
        return principal ? test.set('X-Principal', principal) : test;
      };
      assert.equal((await check('one')).status, 200);
      assert.equal((await check('one')).status, 429, 'a new session id does not give a new count');
      assert.equal((await check('two')).status, 200);
      assert.equal((await check()).status, 200, 'nobody named: the address');
      const limited = await check();
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60, 'default window: one minute');
      assert.match(textOf(limited.body.error.message), /at most 1 every 60 seconds/);
    } finally {
      await sessions.close();
    }
  });

  it('validates the rateLimit option at start, naming the bad field', () => {
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    try {
      const base = { knex, mailHostname: 'mail.example.org' };
      const bad: Array<[unknown, RegExp]> = [
        [{ dnsChecks: 0 }, /rateLimit\.dnsChecks/],
        [{ dnsChecks: 2.5 }, /rateLimit\.dnsChecks/],
        [{ dnsChecks: '10' }, /rateLimit\.dnsChecks/],
        [{ windowMs: 10 }, /rateLimit\.windowMs/],
        [{ windowMs: -1 }, /rateLimit\.windowMs/],
        [{ key: 'ip' }, /rateLimit\.key/],
        [{ concurrentChecks: 0 }, /rateLimit\.concurrentChecks/],
        [{ concurrentChecks: 1.5 }, /rateLimit\.concurrentChecks/],
        ['10/min', /options\.rateLimit must be an object/],
      ];
      for (const [rateLimit, message] of bad) {
        assert.throws(
          () => createMtaSts({ ...base, rateLimit } as never),
          (err: Error) => err instanceof TypeError && message.test(err.message),
          JSON.stringify(rateLimit),
        );
      }
      assert.doesNotThrow(() => createMtaSts({ ...base, rateLimit: { dnsChecks: 100, windowMs: 3_600_000, concurrentChecks: 2, key: () => 'x' } }));
      assert.throws(() => createMtaSts({ ...base, principal: 'admin' } as never), /options\.principal must be a function/);
    } finally {
      void knex.destroy();
    }
  });
});

describe('rate limit: by address when nobody is named, and checks running at once', () => {
  const fakeReq = (ip: string) => ({ ip, get: () => undefined }) as never;

  it('counts an IPv6 client by its /64, an IPv4 client (also IPv4-mapped) by its address', async () => {
    assert.equal(addressKey('2001:db8:1:2::1'), addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'));
    assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
    assert.equal(addressKey('::ffff:192.0.2.7'), addressKey('192.0.2.7'));
    assert.notEqual(addressKey('192.0.2.7'), addressKey('192.0.2.8'));
    const limiter = createDnsCheckLimiter({
      rateLimit: { dnsChecks: 2, windowMs: 60_000, concurrentChecks: 100, key: () => null },
      now: () => new Date(0),
    });
    const admit = async (ip: string) => {
      const admission = await limiter.admit(fakeReq(ip));
      if (admission.ok) admission.release();
      return admission.ok;
    };
    assert.equal(await admit('2001:db8:1:2::1'), true);
    assert.equal(await admit('2001:db8:1:2::2'), true);
    assert.equal(await admit('2001:db8:1:2:a:b:c:d'), false, 'a third address of the same /64 is the same client');
    assert.equal(await admit('2001:db8:1:3::1'), true, 'another /64 counts apart');
  });

  it('refuses a check over `concurrentChecks` running at once with 429 and Retry-After, counting nothing', async () => {
    const dns = await startDnsServer();
    dns.setFault('drop');
    const server = await createServer({
      plugin: {
        dns: { servers: [dns.address], timeoutMs: 1500, retries: 0 },
        dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
        principal: (req) => req.get('x-user') ?? null,
        rateLimit: { dnsChecks: 2, concurrentChecks: 1 },
      },
    });
    try {
      const csrf = await server.csrf('example.org');
      // One check hangs on a resolver that never answers; meanwhile another user's check is refused.
      const asked = dns.queries.length;
      const first = server
        .request()
        .get(`${API_PATH}/example.org/dns-check`)
        .set('X-User', 'alice')
        .then((r) => r);
      const until = Date.now() + 5000;
      while (Date.now() < until && dns.queries.length === asked) await new Promise((resolve) => setTimeout(resolve, 20));
      const api = await server.request().get(`${API_PATH}/example.org/dns-check`).set('X-User', 'bob');
      assert.equal(api.status, 429);
      assert.equal(api.body.error.code, 'busy');
      assert.match(api.body.error.message, /Too many DNS Checks are running right now \(at most 1 at once\)\. Try again in 10 seconds\./);
      assert.equal(api.headers['retry-after'], '10');
      const page = await server.dnsCheckTab('example.org', { 'X-User': 'bob', 'Accept-Language': 'de' }, csrf);
      assert.equal(page.status, 429);
      assert.equal(page.headers['retry-after'], '10');
      assert.ok(
        notices(page.text).some((n) => /Gerade laufen zu viele DNS-Prüfungen \(höchstens 1 gleichzeitig\)/.test(n)),
        notices(page.text).join(' | '),
      );
      assert.equal((await first).status, 200);
      // The refusals used none of bob's two checks.
      dns.setFault(null);
      assert.equal((await server.request().get(`${API_PATH}/example.org/dns-check`).set('X-User', 'bob')).status, 200);
      assert.equal((await server.request().get(`${API_PATH}/example.org/dns-check`).set('X-User', 'bob')).status, 200);
    } finally {
      await server.close();
      await dns.close();
    }
  });
});
