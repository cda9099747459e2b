// Migration 20261210000100 (issue 22): reports stored before it get `aligned_domain` from their
// contact-info (their From was not kept), and its down removes what its up added, on each database.
import assert from 'node:assert/strict';
import * as knownReporters from '../../migrations/20261210000100_add_tls_known_reporters';
import { migrateLatest } from '../../src/store/migrate';
import { DB_KINDS, createHostTables, createTestDb, type TestDb } from '../support/db';
import { migrateOptions } from '../support/store';

for (const kind of DB_KINDS) {
  describe(`migration 20261210000100_add_tls_known_reporters on ${kind}`, () => {
    let db: TestDb;
    beforeEach(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, [{ domain: 'example.org' }]);
    });
    afterEach(async () => {
      await db.destroy();
    });

    it('fills aligned_domain of the mailed, DKIM-passing reports aligned with their contact-info, and goes down and up again', async () => {
      await migrateLatest(db.knex, migrateOptions(db));
      const config = { tablePrefix: db.tablePrefix };
      const reports = `${db.tablePrefix}tlsrpt_reports`;
      await knownReporters.down(db.knex, config);
      assert.equal(await db.knex.schema.hasColumn(reports, 'aligned_domain'), false);
      assert.equal(await db.knex.schema.hasTable(`${db.tablePrefix}tlsrpt_known_reporters`), false);
      const row = (id: string, via: string, dkim: string | null, signer: string | null, contact: string | null) => ({
        domain: 'example.org',
        organisation: `Org ${id}`,
        report_id: id,
        contact_info: contact,
        start_at: '2026-11-20T00:00:00Z',
        end_at: '2026-11-20T23:59:59Z',
        received_at: '2026-11-21T00:00:00Z',
        received_via: via,
        dkim,
        dkim_domain: signer,
        report_gz: Buffer.from(''),
      });
      await db
        .knex(reports)
        .insert([
          row('same', 'mail', 'pass', 'google.com', 'smtp-tls-reporting@google.com'),
          row('child', 'mail', 'pass', 'mail.google.com', 'mailto:tlsrpt@google.com'),
          row('url', 'mail', 'pass', 'example.net', 'https://reports.example.net/tlsrpt'),
          row('foreign', 'mail', 'pass', 'evil.example', 'smtp-tls-reporting@google.com'),
          row('tld', 'mail', 'pass', 'com', 'a@google.com'),
          row('failed', 'mail', 'fail', 'google.com', 'smtp-tls-reporting@google.com'),
          row('https', 'https', null, null, 'smtp-tls-reporting@google.com'),
        ]);
      await knownReporters.up(db.knex, config);
      type Filled = { report_id: string; aligned_domain: string | null };
      const filled: Filled[] = await db.knex<Filled>(reports).orderBy('report_id').select('report_id', 'aligned_domain');
      assert.deepEqual(
        filled.map((r) => [r.report_id, r.aligned_domain]),
        [
          ['child', 'mail.google.com'],
          ['failed', null],
          ['foreign', null],
          ['https', null],
          ['same', 'google.com'],
          ['tld', null],
          ['url', 'example.net'],
        ],
      );
      // Run again (a partly applied run): nothing changes, nothing fails.
      await knownReporters.up(db.knex, config);
      assert.equal(await db.knex.schema.hasTable(`${db.tablePrefix}tlsrpt_known_reporters`), true);
    });
  });
}
