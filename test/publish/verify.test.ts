import assert from 'node:assert/strict';
import { rfc2136Publisher } from '../../src/publish/rfc2136';
import { dnsState, verdict } from '../../src/publish/verdict';
import { verifyRecords } from '../../src/publish/verify';
import { freePort, startBind, startBindSecondary, type TestBind, type TestPrimary } from '../support/dns-primaries';

// Verification after an update: the zone's NS records (ns1, ns2) are read from the primary, each
// name server is asked directly without recursion: a real BIND primary and a real BIND secondary
// that follows it by NOTIFY and zone transfer. A stopped secondary is reported as lagging.

const sts = (wanted: string | null) => ({ name: '_mta-sts.example.test', tag: 'v=STSv1' as const, wanted });

describe('publish: the verdict over the name servers’ answers', () => {
  it('counts the servers that serve the record as wanted and says why the others lag', () => {
    const answers = [
      { server: 'ns1.example.test', address: '192.0.2.1:53', records: ['google-site-verification=x', 'v=STSv1; id=new'] },
      { server: 'ns2.example.test', address: '192.0.2.2:53', records: ['v=STSv1; id=old'] },
      { server: 'ns3.example.test', address: '192.0.2.3:53', records: null, error: 'did not answer within 2000 ms' },
    ];
    const result = verdict(sts('v=STSv1; id=new'), answers);
    assert.equal(result.published, 1);
    assert.equal(result.total, 3);
    assert.equal(
      result.summary,
      'published on 1 of 3 name servers; lagging: ns2.example.test (192.0.2.2:53) still serves "v=STSv1; id=old"; ns3.example.test (192.0.2.3:53) did not answer within 2000 ms',
    );
    assert.equal(dnsState(result), 'pending');
    assert.equal(verdict(sts('v=STSv1; id=new'), answers.slice(0, 1)).summary, 'published on 1 of 1 name servers');
    assert.equal(dnsState(verdict(sts('v=STSv1; id=new'), answers.slice(0, 1))), 'published');
    assert.equal(dnsState(verdict(sts('v=STSv1; id=new'), answers.slice(1))), 'differs');
    assert.equal(dnsState(verdict(sts('v=STSv1; id=new'), answers.slice(2))), 'pending', 'nothing known to differ');
    // Two of our strings are no record for senders: not published.
    assert.equal(verdict(sts('v=STSv1; id=new'), [{ ...answers[0], records: ['v=STSv1; id=new', 'v=STSv1; id=old'] }]).published, 0);
    assert.equal(verdict(sts(null), [{ ...answers[0], records: ['google-site-verification=x'] }]).summary, 'removed from 1 of 1 name servers');
  });
});

describe('publish: verification on every authoritative name server (BIND primary and secondary)', function () {
  this.timeout(60_000);
  let bind: TestBind;
  let secondary: TestPrimary | null = null;
  let nameServers: Record<string, string>;
  let resolvers: string[];

  before(async () => {
    const secondaryPort = await freePort();
    bind = await startBind({ 'example.test': 'ns2 IN A 127.0.0.1\n@ IN NS ns2.example.test.\n' }, 'hmac-sha256', [], [secondaryPort]);
    secondary = await startBindSecondary(secondaryPort, bind.port, ['example.test']);
    // NS records cannot carry a port: both hosts are mapped to their loopback ports.
    nameServers = { 'ns1.example.test': `127.0.0.1:${bind.port}`, 'ns2.example.test': `127.0.0.1:${secondaryPort}` };
    resolvers = [`127.0.0.1:${bind.port}`];
  });
  after(async () => {
    await secondary?.close();
    await bind?.close();
  });

  it('an update reaches both name servers: "published on 2 of 2 name servers"', async () => {
    const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key });
    await publisher.replace('_mta-sts.example.test', 'TXT', 300, ['v=STSv1; id=verify1']);
    const [result] = await verifyRecords([sts('v=STSv1; id=verify1')], { resolvers, nameServers, deadlineMs: 20_000, intervalMs: 100 });
    assert.equal(result.summary, 'published on 2 of 2 name servers');
    assert.deepEqual(result.answers.map((a) => a.server).sort(), ['ns1.example.test', 'ns2.example.test']);
    assert.ok(result.answers.every((a) => a.records?.includes('v=STSv1; id=verify1')));
    assert.ok(!Number.isNaN(Date.parse(result.checkedAt)));
  });

  it('a stopped secondary is reported as lagging once the deadline passes', async () => {
    await secondary?.close();
    secondary = null;
    const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key });
    await publisher.replace('_mta-sts.example.test', 'TXT', 300, ['v=STSv1; id=verify2']);
    const [result] = await verifyRecords([sts('v=STSv1; id=verify2')], { resolvers, nameServers, deadlineMs: 1500, timeoutMs: 500, intervalMs: 100 });
    assert.equal(result.published, 1);
    assert.equal(result.total, 2);
    assert.deepEqual(
      result.lagging.map((l) => l.server),
      ['ns2.example.test'],
    );
    assert.match(result.summary, /^published on 1 of 2 name servers; lagging: ns2\.example\.test \(127\.0\.0\.1:\d+\) (cannot be asked|did not answer)/);
  });

  it('a zone nobody serves: said, nothing asked', async () => {
    const [result] = await verifyRecords([{ name: '_mta-sts.nowhere.test', tag: 'v=STSv1', wanted: 'v=STSv1; id=x' }], {
      resolvers,
      deadlineMs: 0,
      timeoutMs: 500,
    });
    assert.equal(result.total, 0);
    assert.match(result.summary, /the zone of _mta-sts\.nowhere\.test could not be found/);
  });
});
