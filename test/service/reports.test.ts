import assert from 'node:assert/strict';
import type { ReportService } from '../../src/service/reports';
import { DB_KINDS } from '../support/db';
import { createTestServices, type TestServices } from '../support/services';
import { googleSample } from '../support/report-samples';

const NOW = new Date('2026-11-25T12:00:00Z');
// What googleSample says senders applied: this text, so the policy saved with it gets the report.
const TESTING = { active: true, mode: 'testing', mx: ['mx.example.org'], maxAge: 86400 };

const post = (reports: ReportService, token: string, report: unknown) => reports.ingestHttps(token, Buffer.from(JSON.stringify(report)), false);

for (const kind of DB_KINDS) {
  describe(`the reports service (${kind})`, () => {
    let t: TestServices;
    let token: string;

    beforeEach(async () => {
      t = await createTestServices(kind, {
        domains: [{ domain: 'example.org' }, { domain: 'example.com' }],
        plugin: { now: () => NOW, reports: { retentionDays: 3 } },
      });
      const configured = await t.service.reports.configure('example.org', 'mailto:tls@example.org');
      assert.ok(configured.status === 'saved' && configured.reporting.reportingUri);
      token = configured.reporting.reportingUri.split('/').pop() ?? '';
    });
    afterEach(() => t.destroy());

    it('sets up reporting: the intake address with its token and the TXT record to publish; refuses a bad rua', async () => {
      const { reports } = t.service;
      const found = await t.service.policies.find('example.org');
      assert.ok(found);
      const view = await reports.reporting(found);
      assert.equal(view.reportingUri, `https://mail.example.net/tlsrpt/v1/${token}`);
      assert.equal(view.record, 'v=TLSRPTv1; rua=mailto:tls@example.org');
      assert.equal(await reports.intakeDomain(token), 'example.org');
      const invalid = await reports.configure('example.org', 'ftp://example.org/reports');
      assert.ok(invalid.status === 'invalid' && invalid.errors[0].field === 'rua');
      assert.deepEqual(await reports.configure('unknown.example', 'mailto:tls@example.org'), { status: 'not-found' });

      const renewed = await reports.regenerateToken('example.org');
      assert.ok(renewed?.reportingUri && !renewed.reportingUri.endsWith(token));
      assert.equal(await reports.intakeDomain(token), null, 'the old address is dead');
    });

    it("takes a report once, refuses what is not the token's domain, and maps it to the policy id that served its text", async () => {
      const { reports, policies } = t.service;
      const saved = await policies.update('example.org', TESTING, 'json');
      assert.ok(saved.status === 'saved');
      const created = await post(reports, token, googleSample('example.org'));
      assert.equal(created.status, 'created');
      assert.equal((await post(reports, token, googleSample('example.org'))).status, 'duplicate');
      const wrong = await post(reports, token, googleSample('example.com'));
      assert.ok(wrong.status === 'refused' && wrong.code === 'wrong-domain');
      const unknown = await post(reports, 'A'.repeat(22), googleSample('example.org'));
      assert.ok(unknown.status === 'refused' && unknown.code === 'unknown-token');

      const summary = await reports.summary('example.org', '2026-11-19', '2026-11-21', { page: 1, limit: 10 });
      assert.deepEqual(summary?.days, [
        { date: '2026-11-19', success: 0, failure: 0 },
        { date: '2026-11-20', success: 42, failure: 0 },
        { date: '2026-11-21', success: 0, failure: 0 },
      ]);
      assert.deepEqual(
        summary?.organisations.map((o) => [o.name, o.reports]),
        [['Google Inc.', 1]],
      );
      assert.equal(summary?.policies[0].id, saved.record.policy.id);
      assert.equal(await reports.summary('unknown.example', '2026-11-19', '2026-11-21', { page: 1, limit: 10 }), null);
    });

    it('says what stands between testing and enforce, and prunes reports past the retention', async () => {
      const { reports, policies } = t.service;
      await policies.update('example.org', TESTING, 'json');
      await post(reports, token, googleSample('example.org', '2026-11-24', 'recent-1'));
      const record = await policies.find('example.org');
      assert.ok(record);
      const few = (organisations: number, reported: number) => ({
        ready: false,
        organisations,
        reported,
        reasons: [{ code: 'few-organisations', organisations }],
      });
      assert.deepEqual(await reports.readiness(record), few(0, 1));
      // Two made-up organisations posting to the public intake: not ready (issue 22).
      await post(reports, token, { ...googleSample('example.org', '2026-11-24', 'recent-2'), 'organization-name': 'Another Sender' });
      assert.deepEqual(await reports.readiness(record), few(0, 2));
      // Known reporters count, whatever way their reports came.
      assert.deepEqual(await reports.saveKnownReporters(['Google Inc.']), { status: 'saved', names: ['Google Inc.'] });
      assert.deepEqual(await reports.readiness(record), few(1, 2));
      await reports.saveKnownReporters('Google Inc.\nAnother Sender\n');
      assert.deepEqual(await reports.readiness(record), { ready: true, organisations: 2, reported: 2 });
      assert.deepEqual(await reports.saveKnownReporters(['ok', ' ']), { status: 'invalid', field: 'names[1]', code: 'empty' });
      assert.deepEqual(await reports.saveKnownReporters(Array.from({ length: 101 }, (_v, i) => `org ${i}`)), {
        status: 'invalid',
        field: 'names[100]',
        code: 'too-many',
      });
      assert.deepEqual(await reports.knownReporters(), ['Another Sender', 'Google Inc.'], 'nothing saved from a refused list');

      // Retention 3 days: the report of 2026-11-20 goes, those of 2026-11-24 stay.
      await post(reports, token, googleSample('example.org', '2026-11-20', 'old-1'));
      assert.equal(await reports.prune(), 1);
      const left = await reports.summary('example.org', '2026-11-20', '2026-11-24', { page: 1, limit: 10 });
      assert.deepEqual(
        left?.days.filter((d) => d.success > 0).map((d) => d.date),
        ['2026-11-24'],
      );
    });
  });
}
