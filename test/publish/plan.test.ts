import assert from 'node:assert/strict';
import { txtChunks } from '../../src/publish/contract';
import { applyPlan, readPlan } from '../../src/publish/apply';
import { brake, isOurs, managedRecords, planRecord, publishMode, type ManagedRecord, type PlannedRecord } from '../../src/publish/plan';
import { rfc2136Publisher } from '../../src/publish/rfc2136';
import { askTxt, startBind } from '../support/dns-primaries';
import { startTcpProxy } from '../support/tcp-proxy';

// The core of publishing: which strings are ours, what each record needs, the brake, and how a
// plan is applied when one zone refuses (against a real BIND).

const sts = (wanted: string | null): ManagedRecord => ({ domain: 'example.org', name: '_mta-sts.example.org', type: 'TXT', tag: 'v=STSv1', wanted });

describe('publish: the plan', () => {
  it('manages the _mta-sts record always and the _smtp._tls record only when report addresses are configured', () => {
    assert.deepEqual(
      managedRecords({ domain: 'example.org', servedId: 'abc', tlsRpt: null }).map((r) => [r.name, r.wanted]),
      [['_mta-sts.example.org', 'v=STSv1; id=abc']],
    );
    assert.deepEqual(
      managedRecords({ domain: 'example.org', servedId: null, tlsRpt: 'v=TLSRPTv1; rua=mailto:r@example.org' }).map((r) => [r.name, r.tag, r.wanted]),
      [
        ['_mta-sts.example.org', 'v=STSv1', null],
        ['_smtp._tls.example.org', 'v=TLSRPTv1', 'v=TLSRPTv1; rua=mailto:r@example.org'],
      ],
    );
  });

  it("with a delegation zone, manages the TXT id under that zone only: never a name in the customer's zone", () => {
    const wants = { domain: 'example.org', servedId: 'abc', tlsRpt: 'v=TLSRPTv1; rua=mailto:r@example.org', delegationZone: 'mta-sts.panel.example' };
    assert.deepEqual(
      managedRecords(wants).map((r) => [r.domain, r.name, r.tag, r.wanted]),
      [['example.org', 'example.org._mta-sts.mta-sts.panel.example', 'v=STSv1', 'v=STSv1; id=abc']],
    );
    assert.deepEqual(
      managedRecords({ ...wants, servedId: null }).map((r) => [r.name, r.wanted]),
      [['example.org._mta-sts.mta-sts.panel.example', null]],
    );
  });

  it('chooses per domain: direct without a delegation or in a zone the publisher updates, delegated otherwise', () => {
    assert.equal(publishMode(null, null), 'direct');
    assert.equal(publishMode('mta-sts.panel.example', 'example.org'), 'direct');
    assert.equal(publishMode('mta-sts.panel.example', null), 'delegated');
  });

  it('knows our strings by their version tag only', () => {
    assert.ok(isOurs('v=STSv1; id=1', 'v=STSv1'));
    assert.ok(isOurs('v=STSv1', 'v=STSv1'));
    assert.ok(!isOurs('v=STSv10; id=1', 'v=STSv1'));
    assert.ok(!isOurs('google-site-verification=v=STSv1', 'v=STSv1'));
    assert.ok(!isOurs('v=spf1 -all', 'v=STSv1'));
  });

  it('creates, updates, deletes or leaves our string, always keeping the others', () => {
    const others = ['google-site-verification=x', 'v=spf1 -all'];
    assert.deepEqual(planRecord(sts('v=STSv1; id=2'), others), { ...sts('v=STSv1; id=2'), now: [], action: 'create', records: [...others, 'v=STSv1; id=2'] });
    assert.deepEqual(planRecord(sts('v=STSv1; id=2'), [...others, 'v=STSv1; id=1']).records, [...others, 'v=STSv1; id=2']);
    assert.equal(planRecord(sts('v=STSv1; id=2'), [...others, 'v=STSv1; id=1']).action, 'update');
    assert.equal(planRecord(sts('v=STSv1; id=2'), ['v=STSv1; id=2']).action, 'none');
    // Two STS strings are no record for senders (RFC 8461 3.1): one is left.
    const twice = planRecord(sts('v=STSv1; id=2'), ['v=STSv1; id=2', 'v=STSv1; id=1']);
    assert.deepEqual([twice.action, twice.records], ['update', ['v=STSv1; id=2']]);
    assert.deepEqual(planRecord(sts(null), [...others, 'v=STSv1; id=1']), { ...sts(null), now: ['v=STSv1; id=1'], action: 'delete', records: others });
    assert.equal(planRecord(sts(null), others).action, 'none');
    assert.deepEqual(planRecord(sts('v=STSv1; id=2'), 'unknown'), { ...sts('v=STSv1; id=2'), now: 'unknown', action: null, records: [] });
  });

  it('brakes when more than 30% of at least ten published records would change; new records do not count', () => {
    const record = (i: number, held: string[], wanted: string): PlannedRecord => planRecord({ ...sts(wanted), name: `_mta-sts.d${i}.example.org` }, held);
    const fleet = (changed: number, total: number) =>
      Array.from({ length: total }, (_, i) => record(i, ['v=STSv1; id=old'], i < changed ? 'v=STSv1; id=new' : 'v=STSv1; id=old'));
    assert.deepEqual(brake(fleet(3, 10)), { existing: 10, changing: 3, stop: false });
    assert.deepEqual(brake(fleet(4, 10)), { existing: 10, changing: 4, stop: true });
    assert.equal(brake(fleet(9, 9)).stop, false, 'below ten published records');
    const fresh = Array.from({ length: 50 }, (_, i) => record(i, [], 'v=STSv1; id=new'));
    assert.deepEqual(brake(fresh), { existing: 0, changing: 0, stop: false });
  });

  it('splits TXT strings into character-strings of at most 255 bytes, never inside a character', () => {
    assert.deepEqual(txtChunks('short').map(String), ['short']);
    const long = `${'a'.repeat(254)}é${'b'.repeat(300)}`;
    const chunks = txtChunks(long);
    assert.ok(chunks.every((c) => c.length <= 255));
    assert.equal(chunks[0].length, 254, 'the two bytes of é stay together');
    assert.equal(Buffer.concat(chunks).toString('utf8'), long);
  });
});

describe('publish: applying a plan when one zone refuses (BIND)', function () {
  this.timeout(30_000);

  it('applies the rest and names the refused zone and its reason', async () => {
    const bind = await startBind({ 'example.test': '', 'locked.test': '_mta-sts IN TXT "v=STSv1; id=old"\n' }, 'hmac-sha256', ['locked.test']);
    try {
      const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key });
      const records = ['example.test', 'locked.test', 'down.invalid'].flatMap((domain) => managedRecords({ domain, servedId: 'new', tlsRpt: null }));
      const plan = await readPlan(publisher, records);
      assert.deepEqual(
        plan.map((r) => [r.name, r.action]),
        [
          ['_mta-sts.example.test', 'create'],
          ['_mta-sts.locked.test', 'update'],
          ['_mta-sts.down.invalid', null],
        ],
      );
      const outcomes = await applyPlan(publisher, plan, { backoffMs: 1 });
      assert.deepEqual(
        outcomes.map((o) => [o.record.name, o.result, o.error]),
        [
          ['_mta-sts.example.test', 'applied', undefined],
          [
            '_mta-sts.locked.test',
            'failed',
            `zone locked.test: the server refused the update (REFUSED): key "mta-sts-update" may not update this name, its secret differs from the server's, or the zone takes no updates`,
          ],
          ['_mta-sts.down.invalid', 'skipped', undefined],
        ],
      );
      assert.deepEqual(await askTxt(bind.port, '_mta-sts.example.test'), [['v=STSv1; id=new']]);
      assert.deepEqual(await askTxt(bind.port, '_mta-sts.locked.test'), [['v=STSv1; id=old']]);
    } finally {
      await bind.close();
    }
  });

  it('retries a server that is down a bounded number of times, and publishes once it is back', async () => {
    const bind = await startBind({ 'example.test': '' });
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: bind.port });
    try {
      const publisher = rfc2136Publisher({ host: '127.0.0.1', port: proxy.port, key: bind.key, zones: ['example.test'] });
      const plan = ['a.example.test', 'b.example.test'].map((domain) => planRecord(managedRecords({ domain, servedId: 'up', tlsRpt: null })[0], []));
      proxy.cut('reset');
      const down = await applyPlan(publisher, plan, { attempts: 3, backoffMs: 1 });
      assert.deepEqual(
        down.map((o) => [o.result, o.error]),
        plan.map(() => ['failed', `zone example.test: the update did not reach the server: 127.0.0.1:${proxy.port} reset the connection`]),
      );
      // The batch three times, then each record once: the retries are spent, not repeated per record.
      assert.equal(proxy.accepted, 5);
      proxy.restore();
      const up = await applyPlan(publisher, plan, { attempts: 3, backoffMs: 1 });
      assert.deepEqual(
        up.map((o) => o.result),
        ['applied', 'applied'],
      );
      assert.deepEqual(await askTxt(bind.port, '_mta-sts.b.example.test'), [['v=STSv1; id=up']]);
    } finally {
      await proxy.close();
      await bind.close();
    }
  });
});
