import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_AGE_LIMIT } from '../../src/policy';
import { PolicyStore } from '../../src/store/policy-store';
import { TestServer, createServer } from '../support/server';
import { LOOPBACK_ONLY } from '../support/loopback';

// Every policy the plugin can store and serve, read back by an independent MTA-STS parser (the
// one in `mailauth`, used by real mail software), gives exactly the values stored.
const { parsePolicy } = require('mailauth/lib/mta-sts') as { parsePolicy(text: string): { version: string; mode: string; maxAge: number; mx?: string[] } };

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,12}[a-z0-9])?$/);
const unicodeLabel = fc.constantFrom('bücher', 'почта', '例え', 'ελληνικά', 'straße', 'mañana', 'øl');
const tld = fc.stringMatching(/^[a-z]{2,6}$/);
const host = fc
  .tuple(fc.array(fc.oneof({ weight: 5, arbitrary: label }, { weight: 1, arbitrary: unicodeLabel }), { minLength: 1, maxLength: 3 }), tld)
  .map(([labels, last]) => [...labels, last].join('.'));
/** An MX entry as an admin might type it: any case, a wildcard, a trailing dot. */
const entry = fc.tuple(host, fc.boolean(), fc.boolean(), fc.boolean()).map(([name, wildcard, upper, dot]) => {
  const text = `${wildcard ? '*.' : ''}${name}${dot ? '.' : ''}`;
  return upper ? text.toUpperCase() : text;
});
const settings = fc
  .record({
    mode: fc.constantFrom('none', 'testing', 'enforce'),
    maxAge: fc.oneof(fc.integer({ min: 0, max: MAX_AGE_LIMIT }), fc.constantFrom(0, 1, 86400, MAX_AGE_LIMIT)),
    mx: fc.array(entry, { maxLength: 12 }),
  })
  .filter((s) => s.mode === 'none' || s.mx.length > 0);

describe('fuzz: every served policy parses, with mailauth, to exactly what is stored', () => {
  let server: TestServer;
  let store: PolicyStore;
  before(async () => {
    server = await createServer({ plugin: LOOPBACK_ONLY });
    store = new PolicyStore(server.db.knex, { table: server.db.domainTable, keyColumn: 'domain', activeColumn: 'active' }, null);
  });
  after(() => server?.close());

  it('saved through the API and served at mta-sts.<domain> (100 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(settings, fc.constantFrom('example.org', 'bücher.example'), async (wanted, domain) => {
        const put = await server.put(domain, { ...wanted, active: true });
        assert.equal(put.status, 200, put.text);
        const stored = (await store.find(domain))!.policy;
        assert.equal(stored.mode, wanted.mode);
        assert.equal(stored.maxAge, wanted.maxAge);

        const host = domain === 'example.org' ? 'mta-sts.example.org' : 'mta-sts.xn--bcher-kva.example';
        const res = await server.policy(host);
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
        const parsed = parsePolicy(res.text);
        assert.deepEqual(
          { version: parsed.version, mode: parsed.mode, maxAge: parsed.maxAge, mx: parsed.mx ?? [] },
          { version: stored.version, mode: stored.mode, maxAge: stored.maxAge, mx: stored.mx },
        );
        // The stored entries are what senders match against: A-labels, lower case, no trailing dot.
        for (const pattern of stored.mx) assert.match(pattern, /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$/);
        assert.ok(Buffer.byteLength(res.text) < 65536, 'within the 64 KiB senders read');
      }),
      { numRuns: 100, seed: 8461 },
    );
  });

  it('parses the largest policy the plugin accepts: 100 entries of the longest names', async () => {
    const long = (i: number) => `*.${`${String(i).padStart(3, '0')}${'a'.repeat(60)}`}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    const mx = Array.from({ length: 100 }, (_, i) => long(i));
    assert.equal(mx[0].length - 2, 253);
    const put = await server.put('example.org', { mode: 'enforce', maxAge: MAX_AGE_LIMIT, mx, active: true });
    assert.equal(put.status, 200, put.text);
    const parsed = parsePolicy((await server.policy('mta-sts.example.org')).text);
    assert.deepEqual(parsed.mx, mx);
    assert.equal(parsed.maxAge, MAX_AGE_LIMIT);
  });
});
