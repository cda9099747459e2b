import assert from 'node:assert/strict';
import { rfc2136Publisher } from '../../src/publish/rfc2136';
import { askTxt, freePort, startBind, startBindSecondary, type TestBind, type TestPrimary } from '../support/dns-primaries';
import { createServer, type TestServer } from '../support/server';

// GET /api/v1/mta-sts/:domain/dns: each record to publish, asked live of the zone's authoritative
// name servers (a real BIND primary and its secondary, by NOTIFY), with its state.

const API = '/api/v1/mta-sts';

interface DnsBody {
  domain: string;
  managed: boolean;
  records: Array<{
    type: string;
    name: string;
    wanted: string;
    state: string;
    summary: string;
    servers: Array<{ server: string; address: string; records: string[] | null; error?: string }>;
    checkedAt: string;
  }>;
}

describe('GET /api/v1/mta-sts/:domain/dns', function () {
  this.timeout(60_000);
  let bind: TestBind;
  let secondary: TestPrimary | null = null;
  let secondaryPort: number;
  let server: TestServer | null = null;

  before(async () => {
    secondaryPort = await freePort();
    bind = await startBind({ 'example.org': '@ IN NS ns2.example.org.\nns2 IN A 127.0.0.1\n' }, 'hmac-sha256', [], [secondaryPort]);
    secondary = await startBindSecondary(secondaryPort, bind.port, ['example.org']);
  });
  afterEach(async () => {
    await server?.close();
    server = null;
  });
  after(async () => {
    await secondary?.close();
    await bind?.close();
  });

  const start = async (managed: boolean) => {
    const nameServers = { 'ns1.example.org': `127.0.0.1:${bind.port}`, 'ns2.example.org': `127.0.0.1:${secondaryPort}` };
    server = await createServer({
      plugin: {
        dns: { servers: [`127.0.0.1:${bind.port}`] },
        ...(managed ? { dnsPublisher: { url: `rfc2136://127.0.0.1:${bind.port}`, tsigKey: bind.tsigKey, nameServers } } : {}),
      },
    });
    return server;
  };
  const publish = async (value: string) => {
    await rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key }).replace('_mta-sts.example.org', 'TXT', 300, [value]);
    // The secondary follows by NOTIFY; a bounded wait for it, the test's own set-up.
    for (let i = 0; i < 100 && secondary !== null; i++) {
      if ((await askTxt(secondaryPort, '_mta-sts.example.org')).some((parts) => parts.join('') === value)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const dns = async (s: TestServer): Promise<DnsBody> => {
    const res = await s.request().get(`${API}/example.org/dns`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], 'no-store');
    return res.body as DnsBody;
  };

  it('differs before the record is published, published on both name servers after; the CNAME is not managed', async () => {
    const s = await start(true);
    assert.deepEqual((await dns(s)).records, [], 'nothing to publish before the first save');
    const put = await s.put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true });
    const wanted = `v=STSv1; id=${put.body.id}`;

    const before = await dns(s);
    assert.equal(before.managed, true);
    const [sts, cname] = before.records;
    assert.deepEqual(
      { type: sts.type, name: sts.name, wanted: sts.wanted, state: sts.state },
      { type: 'TXT', name: '_mta-sts.example.org', wanted, state: 'differs' },
    );
    assert.equal(sts.summary.startsWith('published on 0 of 2 name servers; lagging: ns1.example.org'), true, sts.summary);
    assert.deepEqual(sts.servers.map((a) => [a.server, a.records]).sort(), [
      ['ns1.example.org', []],
      ['ns2.example.org', []],
    ]);
    assert.equal(cname.type, 'CNAME');
    assert.equal(cname.state, 'not-managed');

    await publish(wanted);
    const after = await dns(s);
    assert.equal(after.records[0].state, 'published');
    assert.equal(after.records[0].summary, 'published on 2 of 2 name servers');
    assert.ok(after.records[0].servers.every((a) => a.records?.includes(wanted)));
    assert.ok(!Number.isNaN(Date.parse(after.records[0].checkedAt)));
  });

  it('without a publisher every record is not-managed; the name servers are still asked, at their A records on port 53', async () => {
    const s = await start(false);
    await s.put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true });
    const body = await dns(s);
    assert.equal(body.managed, false);
    // The policy's TXT, the CNAME and the TLS-RPT record the tab suggests (no report address saved).
    assert.deepEqual(
      body.records.map((r) => [r.name.split('.')[0], r.state]),
      [
        ['_mta-sts', 'not-managed'],
        ['mta-sts', 'not-managed'],
        ['_smtp', 'not-managed'],
      ],
    );
    // Without the publisher's nameServers mapping, ns1 and ns2 are asked where their A records
    // (127.0.0.1) point, on port 53, where nothing of this test listens.
    assert.deepEqual(body.records[0].servers.map((a) => [a.server, a.address, a.records]).sort(), [
      ['ns1.example.org', '127.0.0.1:53', null],
      ['ns2.example.org', '127.0.0.1:53', null],
    ]);
    assert.match(body.records[0].summary, /^published on 0 of 2 name servers; lagging: ns1\.example\.org \(127\.0\.0\.1:53\) /);
  });

  it("a provider object of the host's own makes the records managed", async () => {
    const provider = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key: bind.key });
    const nameServers = { 'ns1.example.org': `127.0.0.1:${bind.port}`, 'ns2.example.org': `127.0.0.1:${secondaryPort}` };
    server = await createServer({ plugin: { dns: { servers: [`127.0.0.1:${bind.port}`] }, dnsPublisher: { provider, nameServers } } });
    const put = await server.put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true });
    await publish(`v=STSv1; id=${put.body.id}`);
    const body = await dns(server);
    assert.equal(body.managed, true);
    assert.deepEqual(
      body.records.map((r) => r.state),
      ['published', 'not-managed'],
    );
  });

  it("delegated: the customer's two CNAMEs are not managed, the TXT under the panel's zone is, and published once written", async () => {
    const zone = 'mta-sts.panel.example';
    const panel = await startBind({ [zone]: '' });
    try {
      const provider = rfc2136Publisher({ host: '127.0.0.1', port: panel.port, key: panel.key });
      server = await createServer({
        plugin: {
          dns: { servers: [`127.0.0.1:${panel.port}`] },
          dnsPublisher: { provider, nameServers: { [`ns1.${zone}`]: `127.0.0.1:${panel.port}` } },
          delegation: { zone, policyHost: 'policy.panel.example' },
        },
      });
      const put = await server.put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true });
      const wanted = `v=STSv1; id=${put.body.id}`;
      const state = async () => (await dns(server!)).records.map((r) => [r.type, r.name, r.wanted, r.state]);
      const expected = (txtState: string) => [
        ['CNAME', '_mta-sts.example.org', `example.org._mta-sts.${zone}`, 'not-managed'],
        ['CNAME', 'mta-sts.example.org', 'policy.panel.example', 'not-managed'],
        ['TXT', `example.org._mta-sts.${zone}`, wanted, txtState],
      ];
      assert.deepEqual(await state(), expected('differs'));
      await provider.replace(`example.org._mta-sts.${zone}`, 'TXT', 300, [wanted]);
      assert.deepEqual(await state(), expected('published'));
    } finally {
      await server?.close();
      server = null;
      await panel.close();
    }
  });

  it('a stopped name server: pending, naming it; an unknown domain is 404, a refused one 403', async () => {
    const s = await start(true);
    const put = await s.put('example.org', { mode: 'enforce', mx: ['mail.example.org'], active: true });
    await secondary?.close();
    secondary = null;
    await publish(`v=STSv1; id=${put.body.id}`);
    const [sts] = (await dns(s)).records;
    assert.equal(sts.state, 'pending');
    assert.match(sts.summary, /^published on 1 of 2 name servers; lagging: ns2\.example\.org \(127\.0\.0\.1:\d+\) /);
    const lagging = sts.servers.find((a) => a.server === 'ns2.example.org');
    assert.equal(lagging?.records, null);
    assert.ok(lagging?.error);

    assert.equal((await s.request().get(`${API}/no-such.example/dns`)).status, 404);
    s.authorize = 'deny';
    assert.equal((await s.request().get(`${API}/example.org/dns`)).status, 403);
  });
});
