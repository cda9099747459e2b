import assert from 'node:assert/strict';
import knexFactory from 'knex';
import { createMtaSts } from '../../src';
import {
  CHECK_NAMES,
  checkEach,
  failedDnsCheck,
  runDnsCheck,
  type DnsCheckInput,
  type DnsCheckResult,
  type DnsChecksOptions,
  type DnsChecksProgress,
} from '../../src/check';
import type { LookupResult, RecordType, Resolver } from '../../src/dns';
import { sayDnsCheck } from '../../src/render/check';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { TestServer, createServer } from '../support/server';
import { storedPolicy } from '../support/lookups';

/** Many DNS Checks through the batch pool, as the service's checkMany runs them. */
function runDnsChecks(items: Iterable<DnsCheckInput>, options: DnsChecksOptions = {}): Promise<DnsCheckResult[]> {
  return checkEach(items, async (input) => sayDnsCheck('en', await runDnsCheck(input)), {
    ...options,
    domainOf: (input) => String(input?.domain ?? ''),
    onError: (input, err) => sayDnsCheck('en', failedDnsCheck(String(input?.domain ?? ''), err, input?.policy?.id ?? null)),
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The domain a lookup is about: `_mta-sts.d1.example` -> `d1.example`. */
function domainOf(name: string): string {
  return name.replace(/^(_mta-sts\.|mta-sts\.|_smtp\._tls\.)/, '');
}

/**
 * An in-memory resolver answering NXDOMAIN after a delay that differs per domain (so checks finish
 * out of input order), and recording which domains have a check under way.
 */
function stubResolver(delayOf: (domain: string) => number, active: Set<string>, peak: { value: number }): Resolver {
  return {
    servers: ['stub'],
    timeoutMs: 1000,
    async lookup<T extends RecordType>(name: string, type: T): Promise<LookupResult<T>> {
      const domain = domainOf(name);
      // The mail host's own lookups (A/AAAA, TLSA asked ahead) belong to no one domain.
      if (!name.endsWith('mail.example.org')) {
        active.add(domain);
        peak.value = Math.max(peak.value, active.size);
      }
      await sleep(delayOf(domain));
      return { ok: false, name, type, failure: 'nxdomain', message: `${name} does not exist (NXDOMAIN)`, cnames: [], server: 'stub' };
    },
  };
}

function inputs(count: number, resolver: Resolver): DnsCheckInput[] {
  return Array.from({ length: count }, (_, i) => {
    const domain = `d${i}.example`;
    return {
      domain,
      policy: storedPolicy({ domain }),
      mailHostname: 'mail.example.org',
      served: { ok: true, text: null },
      resolver,
      https: { enabled: false },
      smtp: { enabled: false },
    };
  });
}

describe('runDnsChecks: many DNS Checks in one call', () => {
  it('checks at most `concurrency` domains at once, and uses all of them', async () => {
    const active = new Set<string>();
    const peak = { value: 0 };
    const resolver = stubResolver((domain) => 5 + (Number(domain.slice(1, -8)) % 4) * 3, active, peak);
    const results = await runDnsChecks(inputs(20, resolver), {
      concurrency: 3,
      onProgress: ({ domain }) => active.delete(domain),
    });
    assert.equal(results.length, 20);
    assert.equal(peak.value, 3, 'three domains were under way at the peak, never more');
  });

  it('calls onProgress once per domain, counting 1..total, and returns the results in input order', async () => {
    const active = new Set<string>();
    // Later domains answer sooner, so completion order is the reverse of input order.
    const resolver = stubResolver((domain) => 40 - Number(domain.slice(1, -8)) * 3, active, { value: 0 });
    const given = inputs(12, resolver);
    const progress: DnsChecksProgress[] = [];
    const results = await runDnsChecks(given, { concurrency: 12, onProgress: (p) => progress.push(p) });

    assert.deepEqual(
      results.map((r) => r.domain),
      given.map((i) => i.domain),
      'results in input order',
    );
    assert.deepEqual(
      results.map((r) => r.checks.map((c) => c.name)),
      given.map(() => [...CHECK_NAMES]),
    );
    assert.equal(progress.length, 12, 'one call per domain');
    assert.deepEqual(
      progress.map((p) => p.done),
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.ok(progress.every((p) => p.total === 12));
    assert.deepEqual(
      progress.map((p) => p.index).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i),
      'each domain once',
    );
    for (const p of progress) {
      assert.equal(p.domain, given[p.index].domain);
      assert.equal(p.result, results[p.index], "the progress carries that domain's result");
    }
    assert.notDeepEqual(
      progress.map((p) => p.index),
      progress.map((_, i) => i),
      'progress follows completion, not input order',
    );
  });

  it('never rejects for a domain: a check that throws gives that domain a result of errors', async () => {
    const resolver = stubResolver(() => 1, new Set(), { value: 0 });
    const given = inputs(3, resolver);
    // A malformed input makes runDnsCheck itself throw.
    const broken = [given[0], null as unknown as DnsCheckInput, given[2]];
    const results = await runDnsChecks(broken, {
      concurrency: 2,
      onProgress: () => {
        throw new Error('a broken progress bar');
      },
    });
    assert.equal(results.length, 3);
    assert.equal(results[0].domain, 'd0.example');
    assert.equal(results[2].domain, 'd2.example');
    assert.deepEqual(
      results[1].checks.map((c) => c.status),
      CHECK_NAMES.map(() => 'error'),
    );
    assert.match(results[1].checks[0].message + results[1].checks[0].found, /internal error/);
  });

  it('answers an empty list at once, and refuses a bad concurrency with a TypeError', async () => {
    let calls = 0;
    assert.deepEqual(await runDnsChecks([], { onProgress: () => calls++ }), []);
    assert.equal(calls, 0);
    for (const concurrency of [0, -1, 1.5, Number.NaN, 1001, '4' as unknown as number]) {
      await assert.rejects(runDnsChecks([], { concurrency }), (err: Error) => err instanceof TypeError && /concurrency/.test(err.message), String(concurrency));
    }
  });

  it('checkEach: a rejecting worker becomes its onError result, the rest go on', async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await checkEach(
      [1, 2, 3, 4, 5, 6, 7],
      async (n) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await sleep(n % 3);
        inFlight -= 1;
        if (n === 4) throw new Error('four fails');
        return `ok ${n}`;
      },
      { concurrency: 2, domainOf: String, onError: (n, err) => `failed ${n}: ${(err as Error).message}` },
    );
    assert.deepEqual(results, ['ok 1', 'ok 2', 'ok 3', 'failed 4: four fails', 'ok 5', 'ok 6', 'ok 7']);
    assert.equal(peak, 2);
  });
});

describe('checkMany (the factory): DNS Checks of many stored domains', () => {
  let dns: TestDnsServer;
  let server: TestServer;
  before(async () => {
    dns = await startDnsServer();
    dns.setZone([
      { name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mail.example.net' } },
      { name: 'mail.example.net', type: 'A', data: '127.0.0.1' },
    ]);
    server = await createServer({
      plugin: {
        dns: { servers: [dns.address], timeoutMs: 1000, retries: 0 },
        dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
      },
    });
  });
  after(async () => {
    await server?.close();
    await dns?.close();
  });

  it('checks each stored domain in input order, null for an unknown one, with progress', async () => {
    const seen: Array<[number, string]> = [];
    const results = await server.mtaSts.checkMany(['example.org', 'unknown.example', 'example.com'], {
      concurrency: 2,
      onProgress: ({ done, domain }) => seen.push([done, domain]),
    });
    assert.equal(results.length, 3);
    assert.equal(results[0]?.domain, 'example.org');
    assert.equal(results[1], null);
    assert.equal(results[2]?.domain, 'example.com');
    const mx = results[0].checks.find((c) => c.name === 'mx');
    assert.match(String(mx?.found), /mail\.example\.net/, 'the check really asked the DNS server');
    assert.deepEqual(
      seen.map(([done]) => done),
      [1, 2, 3],
    );
    assert.deepEqual(seen.map(([, domain]) => domain).sort(), ['example.com', 'example.org', 'unknown.example']);
  });

  it('never rejects when the database fails: every domain gets a result of errors', async () => {
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    try {
      const mtaSts = createMtaSts({
        knex,
        mailHostname: 'mail.example.org',
        domainTable: 'no_such_table',
        dns: { servers: [dns.address], timeoutMs: 500, retries: 0 },
        dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
      });
      const results = await mtaSts.checkMany(['example.org', 'example.net']);
      assert.deepEqual(
        results.map((r) => r?.domain),
        ['example.org', 'example.net'],
      );
      for (const result of results)
        assert.deepEqual(
          result?.checks.map((c) => c.status),
          CHECK_NAMES.map(() => 'error'),
        );
      assert.match(String(results[0]?.checks[0].found), /no_such_table/);
    } finally {
      await knex.destroy();
    }
  });
});
