import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { TestServer, createServer } from '../support/server';

const API = '/api/v1/mta-sts';

describe('DNS Check: the published TLS-RPT record against the report addresses set up in the panel', () => {
  let dns: TestDnsServer;
  let server: TestServer;

  before(async () => {
    dns = await startDnsServer();
    server = await createServer({
      plugin: { dns: { servers: [dns.address], timeoutMs: 500, retries: 0 }, dnsCheck: { https: { enabled: false }, smtp: { enabled: false } } },
    });
  });
  after(async () => {
    await server?.close();
    await dns?.close();
  });

  const tlsrpt = async () => {
    const res = await server.request().get(`${API}/example.org/dns-check`);
    assert.equal(res.status, 200, res.text);
    return (res.body.checks as Array<{ name: string; code: string; status: string; message: string; params: Record<string, unknown> }>).find(
      (c) => c.name === 'tlsrpt',
    )!;
  };

  it('says what to publish, notices a record sending reports elsewhere, and is ok once DNS matches', async () => {
    const setup = await server
      .request()
      .put(`${API}/example.org/reporting`)
      .send({ rua: ['mailto:tls@example.org'] });
    assert.equal(setup.status, 200, setup.text);
    const record = setup.body.record as string;
    assert.equal(record, 'v=TLSRPTv1; rua=mailto:tls@example.org');

    dns.setZone([]);
    const missing = await tlsrpt();
    assert.equal(missing.code, 'tlsrpt.not-published');
    assert.equal(missing.status, 'warning');
    assert.ok(missing.message.includes(`Publish the TXT record "${record}" at _smtp._tls.example.org`), missing.message);

    dns.setZone([{ name: '_smtp._tls.example.org', type: 'TXT', data: 'v=TLSRPTv1; rua=mailto:old@elsewhere.example' }]);
    const differs = await tlsrpt();
    assert.equal(differs.code, 'tlsrpt.differs');
    assert.equal(differs.status, 'warning');
    assert.deepEqual(differs.params.rua, ['mailto:old@elsewhere.example']);
    assert.deepEqual(differs.params.configured, ['mailto:tls@example.org']);

    dns.setZone([{ name: '_smtp._tls.example.org', type: 'TXT', data: record }]);
    const ok = await tlsrpt();
    assert.equal(ok.code, 'tlsrpt.ok');
    assert.equal(ok.status, 'ok');
  });
});
