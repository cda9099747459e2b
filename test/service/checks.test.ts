import assert from 'node:assert/strict';
import type { DomainRecord } from '../../src/policy';
import { sayText } from '../../src/i18n/text';
import { resolveOptions, type MtaStsOptions } from '../../src/options';
import { sayDnsCheck } from '../../src/render/check';
import { MtaStsService } from '../../src/service';
import { CertificateStore } from '../../src/store/certificate-store';
import { DB_KINDS, createHostTables, createTestDb, type TestDb } from '../support/db';
import { startDnsServer, type TestDnsServer, type ZoneRecord } from '../support/dns-server';

// The checks service (src/service/checks.ts) over real databases and a real DNS server on
// loopback: what it gathers before the check, what it keeps after it, and what the tab gets.

const ZONE: ZoneRecord[] = [
  { name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mail.example.org' } },
  { name: 'mail.example.org', type: 'A', data: '127.0.0.1' },
  // Published with another address than the panel's: the tlsrpt check compares the two.
  { name: '_smtp._tls.example.org', type: 'TXT', data: 'v=TLSRPTv1; rua=mailto:old@example.org' },
];

for (const kind of DB_KINDS) {
  describe(`checks service (${kind})`, () => {
    let dns: TestDnsServer;
    let db: TestDb;
    let service: MtaStsService;
    let record: DomainRecord;

    before(async () => {
      dns = await startDnsServer();
      db = await createTestDb(kind);
      await createHostTables(db, [{ domain: 'example.org' }, { domain: 'other.example' }]);
      const options: MtaStsOptions = {
        knex: db.knex,
        mailHostname: 'mail.example.org',
        domainTable: db.domainTable,
        migrationsTable: db.migrationsTable,
        tablePrefix: db.tablePrefix,
        dns: { servers: [dns.address], timeoutMs: 1000, retries: 0 },
        dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
        logger: { error: () => {}, warn: () => {}, info: () => {} },
      };
      service = MtaStsService.fromOptions(resolveOptions(options));
      await service.schema.migrate();
      const saved = await service.policies.update('example.org', { active: true, mode: 'enforce', mx: ['mail.example.org'], maxAge: 86400 }, 'json');
      assert.equal(saved.status, 'saved');
      const configured = await service.reports.configure('example.org', ['mailto:tls@example.org']);
      assert.equal(configured.status, 'saved');
      await new CertificateStore(db.knex, db.tablePrefix).put('mta-sts.example.org', {
        state: 'failed',
        reason: 'rate limited',
        failures: 1,
        nextAttempt: '2026-12-09T00:00:00.000Z',
      });
      record = (await service.policies.find('example.org')) as DomainRecord;
    });
    after(async () => {
      await db?.destroy();
      await dns?.close();
    });
    beforeEach(() => {
      dns.setZone(ZONE);
      dns.setFault(null);
      dns.setDelay(0);
      dns.queries.splice(0);
    });

    it('checks with the served policy, the configured report addresses and the ACME state read first, and keeps the result as the last check', async () => {
      const result = await service.checks.checkRecord(record);
      const checks = Object.fromEntries(sayDnsCheck('en', result).checks.map((c) => [c.name, c]));
      assert.equal(checks.policy.code, 'policy.ok', checks.policy.message);
      assert.match(checks.policy.found, /mode: enforce/);
      assert.equal(checks.tlsrpt.code, 'tlsrpt.differs', checks.tlsrpt.message);
      assert.match(checks.tlsrpt.message, /tls@example\.org/);
      assert.match(checks.https.found, /the last order failed \(rate limited\); next attempt on 2026-12-09/);
      const [last] = await service.overview.lastChecks(['example.org']);
      assert.equal(last?.checkedAt, result.checkedAt);
      assert.equal(last?.verdict, 'error', 'the overview has the check just run');
    });

    it('gives verdicts in no language: the same result says itself in English and in German', async () => {
      const result = await service.checks.checkRecord(record);
      const en = sayDnsCheck('en', result).checks.find((c) => c.name === 'tlsrpt');
      const de = sayDnsCheck('de', result).checks.find((c) => c.name === 'tlsrpt');
      assert.equal(en?.code, de?.code);
      assert.notEqual(en?.message, de?.message);
      assert.match(de?.message ?? '', /tls@example\.org/);
    });

    it("answers the tab with the check's own MX answer and report settings: one MX query in all", async () => {
      const tab = await service.checks.checkForTab(record);
      assert.equal(dns.queries.filter((q) => q.name === 'example.org' && q.type === 'MX').length, 1);
      assert.deepEqual(tab.mxDns, { state: 'hosts', hosts: ['mail.example.org'] });
      assert.deepEqual(tab.reporting?.rua, ['mailto:tls@example.org']);
      assert.equal(tab.check.checks.find((c) => c.name === 'mx')?.code, 'mx.ok');
    });

    it('says a failed MX lookup in the reader language, in the check and beside the field', async () => {
      dns.setFault('servfail', { name: 'example.org', type: 'MX' });
      const tab = await service.checks.checkForTab(record);
      assert.equal(tab.check.checks.find((c) => c.name === 'mx')?.code, 'mx.lookup-failed');
      assert.equal(tab.mxDns.state, 'failed');
      const reason = tab.mxDns.state === 'failed' ? tab.mxDns.reason : '';
      assert.match(sayText('en', reason), /SERVFAIL/);
      assert.notEqual(sayText('de', reason), sayText('en', reason));
    });

    it('says a domain without a policy is not served, from what the policy file serves (nothing)', async () => {
      const other = (await service.policies.find('other.example')) as DomainRecord;
      const result = await service.checks.checkRecord(other);
      assert.equal(result.checks.find((c) => c.name === 'policy')?.code, 'policy.inactive');
    });

    it('checks many in input order: null for an unknown domain and for one the caller may not check', async () => {
      const told: string[] = [];
      const results = await service.checks.checkMany(
        ['example.org', 'unknown.example', 'other.example'],
        { concurrency: 2, onProgress: ({ domain }) => told.push(domain) },
        async (domain) => domain !== 'other.example',
      );
      assert.equal(results[0]?.domain, 'example.org');
      assert.deepEqual(results.slice(1), [null, null]);
      assert.deepEqual(told.sort(), ['example.org', 'other.example', 'unknown.example']);
      assert.equal(await service.checks.dnsCheck('unknown.example'), null);
    });

    it('gives the MX hosts for the tab, "none" without MX records, and "slow" rather than waiting on a slow resolver', async () => {
      assert.deepEqual(await service.checks.mxHosts('example.org'), { state: 'hosts', hosts: ['mail.example.org'] });
      assert.deepEqual(await service.checks.mxHosts('other.example'), { state: 'none' });
      dns.setDelay(900);
      assert.deepEqual(await service.checks.mxHosts('example.org', 50), { state: 'slow' });
    });
  });
}
