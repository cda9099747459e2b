import assert from 'node:assert/strict';
import { sayCheck, sayDnsCheck } from '../../src/render/check';
import * as dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { API_PATH } from '../../src';
import { CHECK_NAMES, mxTlsCheck, runDnsCheck } from '../../src/check';
import { createResolver } from '../../src/dns';
import type { LookupFailure } from '../../src/dns/resolver';
import { SocketLimiter } from '../../src/limiter';
import { MAX_MX_HOSTS } from '../../src/check/run';
import { probeHttps } from '../../src/probes';
import { countClientSockets, startHostileDns, startHostileHttps, startHostileSmtp } from '../support/hostile-servers';
import { createTestCa } from '../support/tls';
import type { StoredPolicy } from '../../src/policy';
import { startDnsServer, type ReplyContext, type TestDnsServer, type ZoneRecord } from '../support/dns-server';
import { Csrf, MAIL_HOSTNAME, TestServer, createServer } from '../support/server';

// Random and mutated DNS answers from a real (loopback) DNS server: the resolver and the DNS Check
// never crash or hang on them; a lookup that got nothing usable is a clear error for its check.

const TIMEOUT_MS = 100;
const FAILURES: LookupFailure[] = ['nxdomain', 'nodata', 'servfail', 'refused', 'timeout', 'malformed', 'error'];
const STATUSES = ['ok', 'warning', 'error', 'info'];

const ZONE: ZoneRecord[] = [
  { name: '_mta-sts.example.org', type: 'TXT', data: ['v=STSv1; ', 'id=20261128120000'] },
  { name: '_mta-sts.example.org', type: 'TXT', data: 'some other record' },
  { name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mx1.example.org' } },
  { name: 'example.org', type: 'MX', data: { preference: 20, exchange: 'mx2.mail.example.org' } },
  { name: 'example.org', type: 'TXT', data: 'v=spf1 -all' },
  { name: 'mta-sts.example.org', type: 'CNAME', data: 'alias.example.org' },
  { name: 'alias.example.org', type: 'CNAME', data: MAIL_HOSTNAME },
  { name: MAIL_HOSTNAME, type: 'A', data: '192.0.2.1' },
  { name: MAIL_HOSTNAME, type: 'AAAA', data: '2001:db8::1' },
  { name: '_smtp._tls.example.org', type: 'TXT', data: 'v=TLSRPTv1; rua=mailto:tls@example.org' },
  { name: '_25._tcp.mx1.example.org', type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 7) } },
];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'count'; field: number; value: number }
  | { kind: 'pointer-loop'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), length: fc.nat({ max: 600 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 512 }) }),
  // The header's question/answer/authority/additional counts, which decoders trust.
  fc.record({ kind: fc.constant('count' as const), field: fc.integer({ min: 0, max: 3 }), value: fc.integer({ min: 0, max: 0xffff }) }),
  // A compression pointer to itself: a decoder that follows pointers blindly never returns.
  fc.record({ kind: fc.constant('pointer-loop' as const), at: fc.nat() }),
);
/** The mutations of one reply, and whether the reply keeps the query's id (else it is mostly ignored). */
const plan = fc.record({
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  keepId: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

function mutate(reply: Buffer, p: { mutations: Mutation[]; keepId: boolean }): Buffer {
  let bytes = [...reply];
  for (const m of p.mutations) {
    const at = (n: number) => (bytes.length === 0 ? 0 : n % bytes.length);
    switch (m.kind) {
      case 'flip':
        if (bytes.length) bytes[at(m.at)] ^= 1 << m.bit;
        break;
      case 'set':
        if (bytes.length) bytes[at(m.at)] = m.byte;
        break;
      case 'truncate':
        bytes = bytes.slice(0, m.length);
        break;
      case 'insert':
        bytes.splice(at(m.at), 0, ...m.bytes);
        break;
      case 'append':
        bytes.push(...m.bytes);
        break;
      case 'random':
        bytes = [...m.bytes];
        break;
      case 'count':
        if (bytes.length >= 12) {
          bytes[4 + 2 * m.field] = m.value >> 8;
          bytes[5 + 2 * m.field] = m.value & 0xff;
        }
        break;
      case 'pointer-loop':
        if (bytes.length > 13) {
          const i = 12 + (m.at % (bytes.length - 13));
          bytes[i] = 0xc0 | (i >> 8);
          bytes[i + 1] = i & 0xff;
        }
        break;
    }
  }
  if (p.keepId && bytes.length >= 2) {
    bytes[0] = reply[0];
    bytes[1] = reply[1];
  }
  return Buffer.from(bytes);
}

function decodes(bytes: Buffer): boolean {
  try {
    dnsPacket.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const POLICY: StoredPolicy = {
  domain: 'example.org',
  active: true,
  version: 'STSv1',
  mode: 'enforce',
  maxAge: 86400,
  mx: ['mx1.example.org', '*.mail.example.org'],
  id: '20261128120000',
  updatedAt: '2026-11-28T12:00:00.000Z',
  revision: 1,
};

describe('fuzz: DNS answers', () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer();
    dns.setZone(ZONE);
  });
  after(() => dns?.close());
  afterEach(() => dns.setReplyMutator(null));

  it('the resolver settles every lookup with records or a named failure, within its deadline (40 runs)', async () => {
    const resolver = createResolver({ servers: [dns.address], timeoutMs: TIMEOUT_MS, retries: 0 });
    const question = fc.constantFrom<[string, 'TXT' | 'MX' | 'A' | 'CNAME' | 'TLSA']>(
      ['_mta-sts.example.org', 'TXT'],
      ['example.org', 'MX'],
      ['mta-sts.example.org', 'A'],
      ['mta-sts.example.org', 'CNAME'],
      ['_25._tcp.mx1.example.org', 'TLSA'],
    );
    await fc.assert(
      fc.asyncProperty(question, plan, async ([name, type], p) => {
        const sent: Array<{ decodes: boolean; accepted: boolean; atMs: number }> = [];
        const started = Date.now();
        dns.setReplyMutator((reply, q: ReplyContext) => {
          const out = mutate(reply, p);
          let accepted = false;
          try {
            const d = dnsPacket.decode(out);
            accepted =
              d.id === q.id &&
              d.type === 'response' &&
              d.questions?.length === 1 &&
              d.questions[0].name.toLowerCase() === q.name &&
              d.questions[0].type === q.type;
          } catch {
            /* undecodable */
          }
          sent.push({ decodes: decodes(out), accepted, atMs: Date.now() - started });
          return out;
        });
        const result = await resolver.lookup(name, type);
        // One UDP try, perhaps a TCP retry after a truncated answer, and each CNAME step: all bounded.
        assert.ok(Date.now() - started < 20 * TIMEOUT_MS + 1000, 'settled within its deadline');
        assert.equal(result.name, name);
        if (result.ok) {
          assert.ok(Array.isArray(result.records) && result.records.length > 0);
          assert.ok(
            sent.some((s) => s.accepted),
            'records only from an accepted answer',
          );
        } else {
          assert.ok(FAILURES.includes(result.failure), result.failure);
          assert.ok(typeof result.message === 'string' && result.message.length > 10, result.message);
          // (Only for answers sent well within the timeout: a late one is rightly a timeout.)
          if (sent.length > 0 && sent.every((s) => !s.decodes && s.atMs < TIMEOUT_MS / 2)) {
            assert.equal(result.failure, 'malformed', `every answer was undecodable: ${result.message}`);
            assert.match(result.message, /could not be decoded/);
          }
        }
      }),
      { numRuns: 40, seed: 53 },
    );
  });

  it('the DNS Check stays complete, and a lookup that got only broken answers is an error of its check (30 runs)', async () => {
    const resolver = createResolver({ servers: [dns.address], timeoutMs: TIMEOUT_MS, retries: 0 });
    // Which check reads which lookup first.
    const target = fc.constantFrom(
      { check: 'sts-txt', name: '_mta-sts.example.org', type: 'TXT' },
      { check: 'mx', name: 'example.org', type: 'MX' },
      { check: 'tlsrpt', name: '_smtp._tls.example.org', type: 'TXT' },
      { check: 'sts-host', name: 'mta-sts.example.org', type: 'CNAME' },
      { check: null, name: undefined, type: undefined },
    );
    await fc.assert(
      fc.asyncProperty(target, plan, async (t, p) => {
        let broken = 0;
        let usable = 0;
        dns.setReplyMutator(
          (reply) => {
            const out = mutate(reply, p);
            if (decodes(out)) usable += 1;
            else broken += 1;
            return out;
          },
          t.name ? { name: t.name, type: t.type } : {},
        );
        const result = sayDnsCheck(
          'en',
          await runDnsCheck({
            domain: 'example.org',
            policy: POLICY,
            mailHostname: MAIL_HOSTNAME,
            resolver,
            served: { ok: true, text: 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmx: *.mail.example.org\r\nmax_age: 86400\r\n' },
            https: { enabled: false },
            smtp: { enabled: false },
          }),
        );
        assert.deepEqual(
          result.checks.map((c) => c.name),
          [...CHECK_NAMES],
        );
        for (const c of result.checks) {
          assert.ok(STATUSES.includes(c.status), `${c.name}: ${c.status}`);
          assert.ok(typeof c.message === 'string' && c.message.length > 10, `${c.name} says something`);
          assert.equal(typeof c.expected, 'string');
          assert.equal(typeof c.found, 'string');
          assert.doesNotMatch(c.found, /internal error/, `${c.name} did not crash: ${c.found}`);
        }
        if (t.check && broken > 0 && usable === 0) {
          const c = result.checks.find((x) => x.name === t.check)!;
          assert.equal(c.status, 'error', `${t.check} with only undecodable answers: ${c.message}`);
          // The resolver's own words for it (the property above pins down which failure it is).
          assert.match(`${c.found} ${c.message}`, /could not be decoded|did not answer within/);
          assert.match(c.message, /DNS lookup failed/);
        }
      }),
      { numRuns: 30, seed: 8460 },
    );
  });

  describe('through the panel', () => {
    let server: TestServer;
    let csrf: Csrf;
    before(async () => {
      server = await createServer({
        plugin: {
          dns: { servers: [dns.address], timeoutMs: TIMEOUT_MS, retries: 0 },
          dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
          rateLimit: { dnsChecks: 1000 },
        },
      });
      await server.put('example.org', { mode: 'enforce', mx: ['mx1.example.org', '*.mail.example.org'], active: true });
      csrf = await server.csrf('example.org');
    });
    after(() => server?.close());

    it('answers the tab and the API with the results, never a 5xx, whatever DNS sends (12 runs)', async () => {
      const errors: unknown[] = [];
      const realError = console.error;
      console.error = (...args: unknown[]) => void errors.push(args);
      try {
        await fc.assert(
          fc.asyncProperty(plan, fc.boolean(), async (p, viaApi) => {
            dns.setReplyMutator((reply) => mutate(reply, p));
            const res = viaApi ? await server.request().get(`${API_PATH}/example.org/dns-check`) : await server.dnsCheckTab('example.org', {}, csrf);
            assert.equal(res.status, 200, res.text.slice(0, 300));
            if (viaApi)
              assert.deepEqual(
                res.body.checks.map((c: { name: string }) => c.name),
                [...CHECK_NAMES],
              );
            else for (const name of CHECK_NAMES) assert.match(res.text, new RegExp(`data-check="${name}"`));
          }),
          { numRuns: 12, seed: 25 },
        );
      } finally {
        console.error = realError;
      }
      assert.deepEqual(errors, [], 'nothing logged as an error');
    });
  });
});

// Servers that attack the check rather than serve it (issue 14): each must end in a clear verdict
// within the probe's bounds, whatever the server keeps sending.
describe('hostile servers', () => {
  const LOOPBACK = ['127.0.0.0/8', '::1/128'];
  const MiB = 1024 * 1024;
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer();
  });
  after(() => dns?.close());

  const mxZone = (hosts: number): ZoneRecord[] => [
    ...Array.from({ length: hosts }, (_, i): ZoneRecord => ({ name: 'example.org', type: 'MX', data: { preference: 10 + i, exchange: `mx${i}.example.org` } })),
    ...Array.from({ length: hosts }, (_, i): ZoneRecord => ({ name: `mx${i}.example.org`, type: 'A', data: '127.0.0.1' })),
  ];
  const check = (smtpPort: number, options: { timeoutMs?: number; limiter?: SocketLimiter; locale?: 'en' | 'de' } = {}) =>
    runDnsCheck({
      domain: 'example.org',
      policy: POLICY,
      mailHostname: MAIL_HOSTNAME,
      resolver: createResolver({ servers: [dns.address], timeoutMs: 1000, retries: 0 }),
      served: { ok: true, text: null },
      https: { enabled: false },
      smtp: { port: smtpPort, timeoutMs: options.timeoutMs ?? 10_000 },
      allowAddresses: LOOPBACK,
      limiter: options.limiter,
    }).then((result) => sayDnsCheck(options.locale ?? 'en', result));

  /** Runs `work` while sampling the process's resident memory; returns the peak growth. */
  async function rssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growthMiB: number }> {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      const result = await work();
      peak = Math.max(peak, process.memoryUsage().rss);
      return { result, growthMiB: (peak - before) / MiB };
    } finally {
      clearInterval(sampler);
    }
  }

  it('an SMTP server flooding its EHLO reply with long lines: the probe stops at 64 KiB, memory stays bounded', async () => {
    const smtp = await startHostileSmtp('long-lines');
    dns.setZone(mxZone(1));
    try {
      const started = Date.now();
      const { result, growthMiB } = await rssGrowth(() => check(smtp.port));
      const mxTls = result.checks.find((c) => c.name === 'mx-tls')!;
      console.log(
        `      flood (long lines): rss growth ${growthMiB.toFixed(1)} MiB, ${Date.now() - started} ms, server wrote ${(smtp.bytesSent / MiB).toFixed(1)} MiB`,
      );
      assert.equal(mxTls.status, 'error');
      assert.match(mxTls.message, /mx0\.example\.org: the server sent more than 64 KiB before STARTTLS/);
      assert.ok(growthMiB < 150, `rss grew ${growthMiB.toFixed(1)} MiB`);
      // Stopped by the byte bound, not by the 10 s deadline.
      assert.ok(Date.now() - started < 5000);
    } finally {
      await smtp.close();
    }
  });

  it('an SMTP server flooding its EHLO reply with short lines: the probe stops at 100 lines', async () => {
    const smtp = await startHostileSmtp('short-lines');
    dns.setZone(mxZone(1));
    try {
      const { result, growthMiB } = await rssGrowth(() => check(smtp.port));
      const mxTls = result.checks.find((c) => c.name === 'mx-tls')!;
      console.log(`      flood (short lines): rss growth ${growthMiB.toFixed(1)} MiB`);
      assert.match(mxTls.message, /a reply of more than 100 lines/);
      assert.ok(growthMiB < 150, `rss grew ${growthMiB.toFixed(1)} MiB`);
    } finally {
      await smtp.close();
    }
  });

  it('an SMTP server trickling its greeting byte by byte: the probe gives up at its deadline', async () => {
    const smtp = await startHostileSmtp('trickle', { trickleMs: 40 });
    dns.setZone(mxZone(1));
    try {
      const started = Date.now();
      const result = await check(smtp.port, { timeoutMs: 400 });
      const mxTls = result.checks.find((c) => c.name === 'mx-tls')!;
      assert.match(mxTls.message, /no answer within 0\.4 s \(stalled waiting for the SMTP greeting\)/);
      assert.ok(Date.now() - started < 3000, 'bounded by the deadline');
    } finally {
      await smtp.close();
    }
  });

  describe('oversized HTTPS answers', () => {
    const ca = createTestCa();
    after(() => ca.dispose());
    beforeEach(() => dns.setZone([{ name: 'mta-sts.example.org', type: 'A', data: '127.0.0.1' }]));
    const fetch = (port: number) =>
      probeHttps({
        resolver: createResolver({ servers: [dns.address], timeoutMs: 1000, retries: 0 }),
        domain: 'example.org',
        port,
        ca: ca.cert,
        timeoutMs: 10_000,
        allowAddresses: LOOPBACK,
      });

    it('an endless policy body: read up to 64 KiB, then reported too large', async () => {
      const web = await startHostileHttps(ca.issue(['mta-sts.example.org']), 'huge-body');
      try {
        const { result, growthMiB } = await rssGrowth(() => fetch(web.port));
        assert.equal(result.bodyTooLarge, true);
        assert.equal(result.body, undefined);
        assert.ok(growthMiB < 150, `rss grew ${growthMiB.toFixed(1)} MiB`);
      } finally {
        await web.close();
      }
    });

    it('endless response headers: refused as invalid HTTP, not read on', async () => {
      const web = await startHostileHttps(ca.issue(['mta-sts.example.org']), 'huge-headers');
      try {
        const started = Date.now();
        const result = await fetch(web.port);
        assert.equal(result.failure?.stage, 'protocol');
        assert.match(result.failure?.message ?? '', /did not answer with valid HTTP|more than \d+ KiB/);
        assert.ok(Date.now() - started < 5000);
      } finally {
        await web.close();
      }
    });
  });

  describe('flooding DNS servers', () => {
    it('endless full-size TCP frames after a truncated answer: malformed after 128 KiB, before the timeout', async () => {
      const hostile = await startHostileDns('tcp-flood');
      try {
        const started = Date.now();
        const result = await createResolver({ servers: [hostile.address], timeoutMs: 5000, retries: 0 }).lookup('example.org', 'MX');
        assert.equal(result.ok, false);
        if (!result.ok) assert.equal(result.failure, 'malformed', result.message);
        assert.ok(Date.now() - started < 4000, 'stopped by the byte bound, not the 5 s timeout');
      } finally {
        await hostile.close();
      }
    });

    it('endless UDP datagrams that answer another query: malformed after 256 KiB, before the timeout', async () => {
      const hostile = await startHostileDns('udp-flood');
      try {
        const started = Date.now();
        const result = await createResolver({ servers: [hostile.address], timeoutMs: 5000, retries: 0 }).lookup('example.org', 'MX');
        assert.equal(result.ok, false);
        if (!result.ok) assert.equal(result.failure, 'malformed', result.message);
        assert.ok(Date.now() - started < 4000, 'stopped by the byte bound, not the 5 s timeout');
      } finally {
        await hostile.close();
      }
    });
  });

  describe('a domain with 1,400 MX records', () => {
    const HOSTS = 1400;
    it(`looks up and probes only the best ${MAX_MX_HOSTS}, with at most maxSockets sockets at once, and says the rest were not checked`, async () => {
      const smtp = await startHostileSmtp('plain');
      dns.setZone(mxZone(HOSTS));
      dns.queries.splice(0);
      const limiter = new SocketLimiter(8);
      const sockets = countClientSockets(smtp.port);
      try {
        const result = await check(smtp.port, { limiter });
        const byName = Object.fromEntries(result.checks.map((c) => [c.name, c]));
        const queries = dns.queries.length;
        console.log(
          `      1,400 MX: ${queries} DNS queries, ${smtp.connections} SMTP connections, at most ${sockets.peak} open at once, limiter peak ${limiter.peak} (lookups and connections)`,
        );
        // 8 first-wave lookups, up to 4 hosts asked ahead, and A, AAAA and TLSA for 20 hosts.
        assert.ok(queries <= 8 + 4 * 3 + 3 * MAX_MX_HOSTS, `${queries} queries`);
        assert.equal(smtp.connections, MAX_MX_HOSTS);
        assert.ok(sockets.peak <= 8, `${sockets.peak} connections at once`);
        assert.ok(limiter.peak <= 8);
        // Slots come back as the sockets report their close, a moment after the check answers.
        for (let i = 0; i < 100 && limiter.inFlight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
        assert.equal(limiter.inFlight, 0, 'every slot given back');
        assert.match(
          byName['mx-tls'].message,
          /Only the first 20 of 1400 MX hosts \(best preference first\) were tested; the other 1380 were not checked: mx20\.example\.org, mx21\.example\.org, .*, \.\.\./,
        );
        assert.match(byName.dane.message, /the other 1380 were not checked/);
        assert.equal(byName['mx-tls'].found.split('\n').length, MAX_MX_HOSTS);
        const german = await check(smtp.port, { limiter, locale: 'de' });
        const de = Object.fromEntries(german.checks.map((c) => [c.name, c]));
        assert.match(de['mx-tls'].message, /Nur die ersten 20 von 1400 MX-Hosts .* die übrigen 1380 wurden nicht geprüft/);
        assert.match(de.dane.message, /die übrigen 1380 wurden nicht geprüft/);
      } finally {
        sockets.stop();
        await smtp.close();
      }
    });

    it('through the plugin: dnsCheck.maxSockets caps the connections of a check, 20 MX hosts probed', async () => {
      const smtp = await startHostileSmtp('plain');
      dns.setZone(mxZone(HOSTS));
      const server = await createServer({
        plugin: {
          dns: { servers: [dns.address], timeoutMs: 1000, retries: 0 },
          dnsCheck: { https: { enabled: false }, smtp: { port: smtp.port, timeoutMs: 5000 }, allowAddresses: LOOPBACK, maxSockets: 3 },
          rateLimit: { dnsChecks: 1000 },
        },
      });
      const sockets = countClientSockets(smtp.port);
      try {
        await server.put('example.org', { mode: 'enforce', mx: ['*.example.org'], active: true });
        const res = await server.request().get(`${API_PATH}/example.org/dns-check`);
        assert.equal(res.status, 200);
        const mxTls = res.body.checks.find((c: { name: string }) => c.name === 'mx-tls');
        assert.match(mxTls.message, /the other 1380 were not checked/);
        assert.equal(smtp.connections, MAX_MX_HOSTS);
        assert.ok(sockets.peak <= 3, `${sockets.peak} connections at once`);
        console.log(`      through the plugin, maxSockets 3: ${smtp.connections} SMTP connections, at most ${sockets.peak} open at once`);
      } finally {
        sockets.stop();
        await server.close();
        await smtp.close();
      }
    });

    it('an all-clear with hosts left out is a warning, not ok', async () => {
      // mxTlsCheck is pure: 20 passing probes and one host past the bound.
      const probes = Array.from({ length: MAX_MX_HOSTS }, (_, i) => ({ host: `mx${i}.example.org`, ok: true, starttls: true, tlsVersion: 'TLSv1.3' }));
      const mx = { ok: true as const, name: 'example.org', type: 'MX' as const, records: [], cnames: [], server: 'x' };
      const verdict = sayCheck('en', mxTlsCheck({ domain: 'example.org', policy: POLICY, mx, probes, now: new Date(), unchecked: ['mx20.example.org'] }));
      assert.equal(verdict.status, 'warning');
      assert.equal(verdict.code, 'mx-tls.partial');
      assert.match(verdict.message, /the other 1 were not checked: mx20\.example\.org/);
    });
  });
});
