import assert from 'node:assert/strict';
import type { StoredPolicy } from '../../src/policy';
import type { ServedPolicies } from '../../src/store/served-reader';
import { ServedCache } from '../../src/store/served-cache';

// The served-policy cache while the database is down or slow, and with saves answered out of order.

const TTL = 10_000;

function policy(domain: string, revision: number, maxAge = 86400): StoredPolicy {
  return {
    domain,
    active: true,
    version: 'STSv1',
    mode: 'enforce',
    maxAge,
    mx: [`mx.${domain}`],
    id: String(20261128120000 + revision),
    updatedAt: null,
    revision,
  };
}

function setup(waitMs = 500) {
  const db = { policies: [policy('example.org', 1)], down: false, hold: false };
  const pending: Array<() => void> = [];
  const clock = { now: 1_000_000 };
  const load = async (): Promise<ServedPolicies> => {
    if (db.hold) await new Promise<void>((resolve) => pending.push(resolve));
    if (db.down) throw new Error('connect ECONNREFUSED');
    return { policies: new Map(db.policies.map((p) => [p.domain, p])), aliases: new Map() };
  };
  const cache = new ServedCache(load, { ttlMs: TTL, waitMs, now: () => clock.now });
  return { db, pending, clock, cache };
}

describe('reliability: the served-policy cache', () => {
  it('answers "unavailable", not "missing", for a name outside the last snapshot while the database is down', async () => {
    const { db, clock, cache } = setup();
    assert.deepEqual(await cache.lookup('new.example'), { status: 'missing' }, 'confirmed by the database');
    db.down = true;
    clock.now += TTL;
    assert.equal((await cache.lookup('example.org')).status, 'found', 'the last known good policy');
    assert.deepEqual(await cache.lookup('new.example'), { status: 'unavailable' });
    // During the pause before the next retry too.
    assert.deepEqual(await cache.lookup('new.example'), { status: 'unavailable' });
    clock.now += TTL;
    assert.deepEqual(await cache.lookup('new.example'), { status: 'unavailable' });
    db.down = false;
    db.policies.push(policy('new.example', 1));
    clock.now += TTL;
    assert.equal((await cache.lookup('new.example')).status, 'found', 'added during the outage, served once it is over');
    assert.deepEqual(await cache.lookup('other.example'), { status: 'missing' });
  });

  it('answers "unavailable" for such a name while a reload is slower than waitMs, "missing" once it completes', async () => {
    const { db, pending, clock, cache } = setup(0);
    await cache.lookup('example.org');
    clock.now += TTL;
    db.hold = true;
    assert.equal((await cache.lookup('example.org')).status, 'found');
    assert.deepEqual(await cache.lookup('new.example'), { status: 'unavailable' });
    db.hold = false;
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await cache.lookup('new.example'), { status: 'missing' });
  });

  it('keeps the newest of two local saves answered out of order', async () => {
    const { cache } = setup();
    await cache.lookup('example.org');
    cache.applyLocal('example.org', policy('example.org', 3, 300));
    cache.applyLocal('example.org', policy('example.org', 2, 200));
    assert.equal(((await cache.lookup('example.org')) as { policy: StoredPolicy }).policy.revision, 3);
    // A deactivation carries its revision too.
    cache.applyLocal('example.org', null, 5);
    cache.applyLocal('example.org', policy('example.org', 4, 400));
    assert.deepEqual(await cache.lookup('example.org'), { status: 'missing' });
  });

  it('follows the database again after a reload, even when revisions start over (migrated down and up)', async () => {
    const { db, clock, cache } = setup();
    await cache.lookup('example.org');
    cache.applyLocal('example.org', policy('example.org', 9));
    db.policies = [];
    clock.now += TTL;
    assert.deepEqual(await cache.lookup('example.org'), { status: 'missing' });
    cache.applyLocal('example.org', policy('example.org', 1, 111));
    assert.equal(((await cache.lookup('example.org')) as { policy: StoredPolicy }).policy.maxAge, 111);
  });
});
