// `mta-sts serve` prunes the stored TLS reports by itself: by age and beyond the global cap,
// at start and every MTA_STS_REPORTS_PRUNE_MINUTES; its report settings are checked at start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import knexFactory from 'knex';
import { cli, serve } from '../support/standalone';

describe('mta-sts serve: stored TLS reports', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-reports-serve-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prunes at start: reports past MTA_STS_REPORTS_RETENTION_DAYS, then the oldest beyond MTA_STS_REPORTS_MAX', async () => {
    const file = join(dir, 'panel.sqlite');
    const base = ['--database', `sqlite:${file}`, '--dns-servers', '127.0.0.1:9'];
    const env = { MTA_STS_EMBEDDED: 'yes', ADMIN_PASSWORD: 'a long enough password', MTA_STS_CHECK_INTERVAL_MINUTES: '0' };
    const first = await serve(base, env, dir);
    assert.equal(await first.stop(), 0, first.output());

    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    const reports = 'mta_sts_tlsrpt_reports';
    const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString();
    try {
      await knex(reports).insert(
        [
          ['long-gone', 90],
          ['older', 3],
          ['newest', 1],
        ].map(([id, age]) => ({
          domain: 'example.org',
          organisation: 'Sender',
          report_id: id,
          start_at: day(Number(age)),
          end_at: day(Number(age)),
          received_at: day(Number(age)),
          received_via: 'https',
          report_gz: gzipSync('{}'),
        })),
      );
      const server = await serve(base, { ...env, LOG_LEVEL: 'info', MTA_STS_REPORTS_RETENTION_DAYS: '30', MTA_STS_REPORTS_MAX: '1' }, dir);
      try {
        // The start lines and the first prune's log arrive while the server runs: waited for, 20 s at most.
        const said = () => server.output().includes('pruned 2 stored TLS reports') && server.output().includes('Stored TLS reports pruned every');
        for (let i = 0; i < 80 && !said(); i++) await new Promise((resolve) => setTimeout(resolve, 250));
        assert.match(server.output(), /Stored TLS reports pruned every 60 minutes/);
        assert.match(server.output(), /pruned 2 stored TLS reports/);
        assert.deepEqual(await knex(reports).pluck('report_id'), ['newest']);
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
    } finally {
      await knex.destroy();
    }
  });

  it('refuses unusable report settings at start with one sentence naming them (exit 2)', async () => {
    const base = ['--database', `sqlite:${join(dir, 'bad.sqlite')}`, '--dns-servers', '127.0.0.1:9'];
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { MTA_STS_REPORTS_PRUNE_MINUTES: 'hourly' },
        /^mta-sts: reportsPruneMinutes \(MTA_STS_REPORTS_PRUNE_MINUTES\) must be whole minutes from 0 \(off\) to 10080/,
      ],
      [{ MTA_STS_REPORTS_DAILY_PER_DOMAIN: '-5' }, /^mta-sts: reportsDailyPerDomain \(MTA_STS_REPORTS_DAILY_PER_DOMAIN\) must be a whole number, got "-5"$/],
      [{ MTA_STS_REPORTS_MAX_ROWS: '5' }, /^mta-sts: reportsMaxRows \(MTA_STS_REPORTS_MAX_ROWS\) must be a whole number from 700 to /],
      [{ MTA_STS_REPORTS_RETENTION_DAYS: '0' }, /^mta-sts: reportsRetentionDays \(MTA_STS_REPORTS_RETENTION_DAYS\) must be a whole number from 1 to 3650$/],
      [
        { REPORTS_MAIL_ADDRESS: 'tlsrpt' },
        /^mta-sts: reportsMailAddress \(REPORTS_MAIL_ADDRESS\) must be one mail address, such as tlsrpt@mail\.example\.org$/,
      ],
    ];
    for (const [env, message] of cases) {
      const run = await cli([...base, 'serve', '--embedded', '--port', '0'], { env });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr.trim(), message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
  });
});
