import assert from 'node:assert/strict';
import type { Mode, StoredPolicy } from '../../src/policy';
import type { ServedPolicies } from '../../src/store/served-reader';
import { Lookup, ServedCache } from '../../src/store/served-cache';

const TTL = 60_000;

function policy(domain: string, mode: Mode = 'enforce', id = '20261128120000'): StoredPolicy {
  return { domain, active: true, version: 'STSv1', mode, maxAge: 86400, mx: [`mx.${domain}`], id, updatedAt: '2026-11-28T12:00:00.000Z', revision: 1 };
}

/** What the database holds; every load gets fresh Maps, as PolicyStore.loadServed does. */
type Db = { policies: StoredPolicy[]; aliases?: Array<[string, string]> };
const served = (db: Db): ServedPolicies => ({
  policies: new Map(db.policies.map((p) => [p.domain, p])),
  aliases: new Map(db.aliases ?? []),
});

interface Deferred {
  resolve(db: Db): void;
  reject(err: Error): void;
}

/**
 * A fake database behind the cache: counts loads, answers from `db`, fails while `down` is set,
 * or, when `hold` is set, keeps the next load pending until the test settles it.
 */
class FakeLoader {
  db: Db = { policies: [] };
  down = false;
  hold = false;
  calls = 0;
  pending: Deferred[] = [];
  load = async (): Promise<ServedPolicies> => {
    this.calls += 1;
    if (this.hold) return new Promise<ServedPolicies>((resolve, reject) => this.pending.push({ resolve: (db) => resolve(served(db)), reject }));
    if (this.down) throw new Error('ECONNREFUSED 127.0.0.1:3306');
    return served(this.db);
  };
}

function setup(waitMs = 30_000) {
  const loader = new FakeLoader();
  const clock = { now: 1_000_000 };
  const cache = new ServedCache(loader.load, { ttlMs: TTL, waitMs, now: () => clock.now });
  return { loader, clock, cache };
}

function found(result: Lookup): StoredPolicy {
  assert.equal(result.status, 'found', JSON.stringify(result));
  return result.policy;
}

describe('ServedCache', () => {
  it('loads once, then answers from memory while the snapshot is fresh', async () => {
    const { loader, clock, cache } = setup();
    loader.db = { policies: [policy('example.org')] };
    assert.equal(found(await cache.lookup('example.org')).mode, 'enforce');
    loader.db = { policies: [] };
    clock.now += TTL - 1;
    assert.equal(found(await cache.lookup('example.org')).mode, 'enforce');
    assert.deepEqual(await cache.lookup('unknown.example'), { status: 'missing' });
    assert.deepEqual(await cache.servedDomains(), ['example.org']);
    assert.equal(loader.calls, 1);
  });

  it('shares one load between requests that arrive together', async () => {
    const { loader, cache } = setup();
    loader.db = { policies: [policy('example.org')] };
    const results = await Promise.all([cache.lookup('example.org'), cache.lookup('example.org'), cache.servedDomains()]);
    assert.equal(found(results[0]).domain, 'example.org');
    assert.equal(loader.calls, 1);
  });

  it('reloads once the ttl has passed and then serves what the database holds', async () => {
    const { loader, clock, cache } = setup();
    loader.db = { policies: [policy('example.org', 'testing')] };
    await cache.lookup('example.org');
    loader.db = { policies: [policy('example.org', 'enforce', '20261128130000'), policy('new.example')] };
    clock.now += TTL;
    assert.equal(found(await cache.lookup('example.org')).mode, 'enforce');
    assert.equal(found(await cache.lookup('new.example')).domain, 'new.example');
    assert.equal(loader.calls, 2);
  });

  it('shows a local change at once, without a load', async () => {
    const { loader, cache } = setup();
    loader.db = { policies: [policy('example.org', 'testing')] };
    await cache.lookup('example.org');
    cache.applyLocal('example.org', policy('example.org', 'enforce', '20261128120001'));
    cache.applyLocal('new.example', policy('new.example'));
    assert.equal(found(await cache.lookup('example.org')).mode, 'enforce');
    assert.deepEqual(await cache.servedDomains(), ['example.org', 'new.example']);
    cache.applyLocal('example.org', null);
    assert.deepEqual(await cache.lookup('example.org'), { status: 'missing' });
    assert.equal(loader.calls, 1);
  });

  it('does not let a reload that started before a local change overwrite it', async () => {
    const { loader, clock, cache } = setup();
    loader.db = { policies: [policy('example.org', 'testing')] };
    await cache.lookup('example.org');
    clock.now += TTL;
    loader.hold = true;
    const waiting = cache.lookup('example.org');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(loader.pending.length, 1, 'the reload has started');
    // The save commits after the reload read the database, so the reload returns the old policy.
    const saved = policy('example.org', 'enforce', '20261128120001');
    cache.applyLocal('example.org', saved);
    loader.pending[0].resolve({ policies: [policy('example.org', 'testing')] });
    assert.deepEqual(found(await waiting), saved);
    // A reload that starts after the save sees it in the database.
    loader.hold = false;
    loader.db = { policies: [saved] };
    assert.deepEqual(found(await cache.lookup('example.org')), saved);
    clock.now += TTL;
    assert.deepEqual(found(await cache.lookup('example.org')), saved);
  });

  it('completes the very first load with a local change made while it was in flight', async () => {
    const { loader, cache } = setup();
    loader.hold = true;
    const waiting = cache.lookup('example.org');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(loader.pending.length, 1, 'the first load has started');
    const saved = policy('example.org', 'enforce', '20261128120001');
    cache.applyLocal('example.org', saved);
    loader.pending[0].resolve({ policies: [policy('example.org', 'testing'), policy('example.net')] });
    // Neither a 503 (the database did answer) nor the policy from before the save.
    assert.deepEqual(found(await waiting), saved);
    assert.equal(found(await cache.lookup('example.net')).domain, 'example.net');
  });

  it('after a quiet spell, answers from one direct read instead of waiting for the whole set', async () => {
    const loader = new FakeLoader();
    const clock = { now: 1_000_000 };
    const reads: string[] = [];
    const cache = new ServedCache(loader.load, { ttlMs: TTL, waitMs: 20, now: () => clock.now }, async (domain) => {
      reads.push(domain);
      return loader.db.policies.find((p) => p.domain === domain) ?? null;
    });
    loader.db = { policies: [policy('example.org', 'testing')] };
    await cache.lookup('example.org');
    assert.deepEqual(reads, [], 'no direct read while the snapshot is fresh');
    // Another instance saved meanwhile; the full reload will take its time.
    loader.db = { policies: [policy('example.org', 'enforce', '20261128120001'), policy('example.net')] };
    clock.now += TTL + 1;
    loader.hold = true;
    assert.equal(found(await cache.lookup('example.org')).mode, 'enforce');
    assert.deepEqual(await cache.lookup('unknown.example').then((r) => r.status), 'unavailable', 'while the reload runs, the usual way answers');
    assert.deepEqual(reads, ['example.org']);
    assert.equal(loader.pending.length, 1, 'the whole set is renewed in the background');
    loader.pending[0].resolve(loader.db);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(found(await cache.lookup('example.net')).domain, 'example.net');
  });

  it('answers from the previous snapshot when a reload is slower than waitMs', async () => {
    const { loader, clock, cache } = setup(500);
    loader.db = { policies: [policy('example.org', 'testing')] };
    await cache.lookup('example.org');
    clock.now += TTL;
    loader.hold = true;
    const first = cache.lookup('example.org');
    clock.now += 501;
    assert.equal(found(await cache.lookup('example.org')).mode, 'testing', 'answered without waiting for the reload');
    loader.pending[0].resolve({ policies: [policy('example.org', 'enforce')] });
    await first;
    assert.equal(found(await cache.lookup('example.org')).mode, 'enforce');
  });

  it('keeps serving the last snapshot while the database fails', async () => {
    const { loader, clock, cache } = setup();
    loader.db = { policies: [policy('example.org')], aliases: [['alias.example', 'example.org']] };
    await cache.lookup('example.org');
    loader.down = true;
    for (let i = 0; i < 3; i++) {
      clock.now += TTL + 1000;
      assert.equal(found(await cache.lookup('example.org')).domain, 'example.org');
      assert.equal(found(await cache.lookup('alias.example')).domain, 'example.org');
      // Certificate names are not answered from a set the database cannot confirm (issue 14).
      assert.equal(await cache.servedDomains(), null);
    }
    assert.ok(loader.calls > 1, 'it did try to reload');
    loader.down = false;
    loader.db = { policies: [] };
    clock.now += TTL + 1000;
    assert.deepEqual(await cache.lookup('example.org'), { status: 'missing' }, 'and recovers when the database is back');
  });

  it("answers 'unavailable' when nothing could ever be loaded, and recovers later", async () => {
    const { loader, clock, cache } = setup();
    loader.down = true;
    assert.deepEqual(await cache.lookup('example.org'), { status: 'unavailable' });
    assert.equal(await cache.servedDomains(), null);
    cache.applyLocal('example.org', policy('example.org'));
    assert.deepEqual(await cache.lookup('example.org'), { status: 'unavailable' }, 'a local change alone is not a snapshot');
    loader.down = false;
    loader.db = { policies: [policy('example.org')] };
    clock.now += 1000;
    assert.equal(found(await cache.lookup('example.org')).domain, 'example.org');
  });

  it('serves an alias the policy of its target, and lists aliases of served domains only', async () => {
    const { loader, cache } = setup();
    loader.db = {
      policies: [policy('example.org'), policy('xn--bcher-kva.example', 'testing')],
      aliases: [
        ['alias.example', 'example.org'],
        ['b-alias.example', 'xn--bcher-kva.example'],
        ['orphan.example', 'unserved.example'],
        ['z-alias.example', 'example.org'],
      ],
    };
    assert.equal(found(await cache.lookup('alias.example')).domain, 'example.org');
    assert.equal(found(await cache.lookup('b-alias.example')).mode, 'testing');
    assert.deepEqual(await cache.lookup('orphan.example'), { status: 'missing' });
    assert.deepEqual(await cache.servedDomains(), ['alias.example', 'b-alias.example', 'example.org', 'xn--bcher-kva.example', 'z-alias.example']);
    cache.applyLocal('example.org', null);
    assert.deepEqual(await cache.lookup('alias.example'), { status: 'missing' }, 'an alias stops with its target');
    assert.deepEqual(await cache.servedDomains(), ['b-alias.example', 'xn--bcher-kva.example']);
  });

  it("tells onChange the domains whose served id changed, once it serves the new policy (a local save, a renew reading another process's save)", async () => {
    const { loader, cache } = setup();
    loader.db = { policies: [policy('a.example'), policy('b.example')] };
    await cache.lookup('a.example');
    const told: Array<{ domains: string[]; served: Array<string | null> }> = [];
    // What the set serves at the moment it tells: the policy first, then whoever announces its id.
    cache.onChange((domains) => told.push({ domains, served: domains.map((d) => cache.peek(d)?.id ?? null) }));
    cache.applyLocal('a.example', policy('a.example', 'testing', '20261128130000'), 2);
    assert.deepEqual(told, [{ domains: ['a.example'], served: ['20261128130000'] }]);
    // Another process saved b and removed nothing else: renew reads it although the snapshot is fresh.
    loader.db = { policies: [policy('a.example', 'testing', '20261128130000'), policy('b.example', 'testing', '20261128140000')] };
    await cache.renew();
    assert.deepEqual(told[1], { domains: ['b.example'], served: ['20261128140000'] });
    await cache.renew();
    assert.equal(told.length, 2, 'an unchanged set tells nothing');
  });
});
