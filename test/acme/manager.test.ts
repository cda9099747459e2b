import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createCertificateManager } from '../../src/acme';
import type { CertificateManagerOptions } from '../../src/acme/options';
import type { Logger } from '../../src/logger';
import { resolveOptions } from '../../src/options';
import { MtaStsService } from '../../src/service';
import { CertificateStore } from '../../src/store/certificate-store';
import { createHostTables, createTestDb, type TestDb } from '../support/db';
import { LOOPBACK_ONLY } from '../support/loopback';

// The manager's decisions without a CA: the directory is a closed loopback port, so every order
// fails at once, which is what retries, back-off and the lock are about.
describe('the certificate manager: what it orders, when, and what it refuses', () => {
  let db: TestDb;
  let service: MtaStsService;
  const lines: string[] = [];
  const logger: Logger = { error: (m) => lines.push(m), warn: (m) => lines.push(m), info: (m) => lines.push(m) };
  let clock = Date.parse('2027-01-10T00:00:00Z');
  const base = (): CertificateManagerOptions => ({
    service,
    knex: db.knex,
    tablePrefix: db.tablePrefix,
    directoryUrl: 'https://127.0.0.1:9/dir',
    email: 'hostmaster@example.org',
    termsAccepted: true,
    encryptionKey: randomBytes(32).toString('hex'),
    addresses: [],
    logger,
    now: () => new Date(clock),
    retryInitialMs: 60_000,
    requestRetries: 0,
  });

  before(async () => {
    db = await createTestDb('sqlite');
    await createHostTables(db, [{ domain: 'example.org' }, { domain: 'retired.example' }]);
    service = MtaStsService.fromOptions(
      resolveOptions({
        knex: db.knex,
        mailHostname: 'mail.example.org',
        domainTable: db.domainTable,
        migrationsTable: db.migrationsTable,
        tablePrefix: db.tablePrefix,
        logger,
        ...LOOPBACK_ONLY,
      }),
    );
    await service.schema.migrate();
    for (const domain of ['example.org', 'retired.example']) {
      const saved = await service.policies.update(domain, { active: true, mode: 'enforce', mx: ['mail.example.org'], maxAge: 86400 }, 'json');
      assert.equal(saved.status, 'saved');
    }
    // Retired: switched to mode none now, served with max_age at most a day (RFC 8461 section 8.3).
    assert.equal((await service.policies.retire('retired.example')).status, 'saved');
  });
  after(() => db.destroy());

  it('refuses to start without the terms accepted, with a valid key, e-mail and addresses', () => {
    assert.throws(() => createCertificateManager({ ...base(), termsAccepted: false }), /^TypeError: termsAccepted must be true/);
    assert.throws(() => createCertificateManager({ ...base(), encryptionKey: 'secret' }), /^TypeError: encryptionKey must/);
    assert.throws(() => createCertificateManager({ ...base(), email: 'nobody' }), /^TypeError: email must/);
    assert.throws(() => createCertificateManager({ ...base(), addresses: ['mta-sts.example.org'] }), /^TypeError: addresses must/);
    assert.throws(() => createCertificateManager({ ...base(), directoryUrl: 'http://127.0.0.1/dir' }), /^TypeError: directoryUrl must be an https/);
  });

  it('waits longer after each failed order, and never orders for a name retired longer than its max_age', async () => {
    // Two days after the retirement: its max_age (one day at most) has run out.
    clock = Date.now() + 2 * 86_400_000;
    const manager = createCertificateManager(base());
    const first = await manager.runOnce();
    assert.equal(first.ordered, true);
    assert.deepEqual(first.failed, ['mta-sts.example.org'], 'the retired name is not ordered');
    let status = await manager.status();
    assert.equal(status.find((s) => s.name === 'mta-sts.retired.example')?.state, 'retired');
    assert.match(status.find((s) => s.name === 'mta-sts.retired.example')?.reason ?? '', /mode none since .*max_age/);
    const failed = status.find((s) => s.name === 'mta-sts.example.org');
    assert.equal(failed?.state, 'failed');
    assert.equal(failed?.failures, 1);
    assert.equal(Date.parse(failed?.nextAttempt ?? ''), clock + 60_000, 'first retry after retryInitialMs');

    assert.deepEqual((await manager.runOnce()).failed, [], 'not again before the retry time');
    clock += 61_000;
    assert.deepEqual((await manager.runOnce()).failed, ['mta-sts.example.org'], 'retried when due');
    status = await manager.status();
    assert.equal(status.find((s) => s.name === 'mta-sts.example.org')?.failures, 2);
    assert.equal(Date.parse(status.find((s) => s.name === 'mta-sts.example.org')?.nextAttempt ?? ''), clock + 120_000, 'the wait doubles');
    assert.ok(
      lines.some((l) => /certificate order for mta-sts\.example\.org failed \(attempt 2/.test(l)),
      'the failure is logged',
    );
  });

  it('orders nothing while another instance holds the lock', async () => {
    clock += 10 * 86_400_000;
    await new CertificateStore(db.knex, db.tablePrefix).acquireLock('order', 'other-instance', clock, 600_000);
    const summary = await createCertificateManager(base()).runOnce();
    assert.deepEqual(summary, { ordered: false, issued: [], failed: [], skipped: [] });
  });
});
