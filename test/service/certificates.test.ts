import assert from 'node:assert/strict';
import { CertificateStore } from '../../src/store/certificate-store';
import { DB_KINDS } from '../support/db';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { createTestServices, type TestServices } from '../support/services';

const ENFORCE = { active: true, mode: 'enforce', mx: ['mail.example.org'], maxAge: 604800 };

for (const kind of DB_KINDS) {
  describe(`the certificates service (${kind})`, () => {
    let t: TestServices;

    before(async () => {
      t = await createTestServices(kind, {
        domains: [{ domain: 'example.org' }, { domain: 'retired.example' }, { domain: 'off.example' }, { domain: 'bücher.example' }],
        aliases: [{ alias: 'alias.example', target: 'example.org' }],
      });
      const { policies } = t.service;
      for (const domain of ['example.org', 'retired.example', 'bücher.example']) assert.equal((await policies.update(domain, ENFORCE, 'json')).status, 'saved');
      assert.equal((await policies.retire('retired.example')).status, 'saved');
      assert.equal((await policies.update('off.example', { ...ENFORCE, active: false }, 'json')).status, 'saved');
    });
    after(() => t.destroy());

    it('names mta-sts.<name> for every served domain and alias, in A-labels', async () => {
      assert.deepEqual(await t.service.certificates.names(), [
        'mta-sts.alias.example',
        'mta-sts.example.org',
        'mta-sts.retired.example',
        'mta-sts.xn--bcher-kva.example',
      ]);
    });

    it('gives each target its mode and max_age, and for a retired policy since when it is none', async () => {
      const targets = await t.service.certificates.targets();
      const retired = targets?.find((target) => target.name === 'mta-sts.retired.example');
      const history = await t.service.policies.history('retired.example', { limit: 1, offset: 0 });
      assert.deepEqual(retired, { name: 'mta-sts.retired.example', mode: 'none', maxAge: 86400, noneSince: history?.entries[0].changedAt });
      assert.deepEqual(
        targets?.find((target) => target.name === 'mta-sts.alias.example'),
        { name: 'mta-sts.alias.example', mode: 'enforce', maxAge: 604800, noneSince: null },
      );
      assert.equal(targets?.length, 4);
    });

    it("shows the ACME client's state per name without its key, and the order state the DNS Check reads", async () => {
      assert.deepEqual(await t.service.certificates.status(), []);
      assert.equal(await t.service.certificates.orderState('mta-sts.example.org'), null);
      const store = new CertificateStore(t.db.knex, t.db.tablePrefix);
      await store.put('mta-sts.example.org', { state: 'failed', reason: 'the CA refused the order', keyEnc: 'secret-key-material' });
      const [row] = await t.service.certificates.status();
      assert.equal(row.name, 'mta-sts.example.org');
      assert.equal(row.state, 'failed');
      assert.ok(!JSON.stringify(row).includes('secret-key-material'));
      assert.deepEqual(await t.service.certificates.orderState('mta-sts.example.org'), {
        state: 'failed',
        reason: 'the CA refused the order',
        notAfter: null,
        nextAttempt: null,
      });
    });
  });
}

describe('the certificates service: where a name points', () => {
  let dns: TestDnsServer;
  let t: TestServices;

  before(async () => {
    dns = await startDnsServer();
    t = await createTestServices('sqlite', { domains: [], plugin: { dns: { servers: [dns.address], timeoutMs: 500, retries: 0 } } });
  });
  after(async () => {
    await t.destroy();
    await dns.close();
  });

  it('lists the A and AAAA addresses, or says why there are none', async () => {
    dns.setZone([
      { name: 'mta-sts.example.org', type: 'A', data: '192.0.2.7' },
      { name: 'mta-sts.example.org', type: 'AAAA', data: '2001:db8::7' },
      { name: 'mta-sts.v6.example', type: 'AAAA', data: '2001:db8::8' },
      { name: 'mta-sts.mx-only.example', type: 'MX', data: { preference: 10, exchange: 'mail.example.org' } },
    ]);
    const { certificates } = t.service;
    assert.deepEqual(await certificates.resolveAddresses('mta-sts.example.org'), { ok: true, addresses: ['192.0.2.7', '2001:db8::7'] });
    assert.deepEqual(await certificates.resolveAddresses('mta-sts.v6.example'), { ok: true, addresses: ['2001:db8::8'] });
    const none = await certificates.resolveAddresses('mta-sts.mx-only.example');
    assert.ok(!none.ok && /nodata/.test(none.reason), JSON.stringify(none));
    dns.setFault('servfail', { name: 'mta-sts.broken.example' });
    const failed = await certificates.resolveAddresses('mta-sts.broken.example');
    assert.ok(!failed.ok && /servfail/.test(failed.reason), JSON.stringify(failed));
  });
});
