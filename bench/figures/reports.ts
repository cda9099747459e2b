// Figure 6: TLS reports (RFC 8460). (a) 1,000 reports of about 20 KiB gzip each (50 senders,
// varied failures) posted to the HTTPS intake, 8 at a time, on SQLite and on MariaDB: goal at most
// 10 s. (b) The reports page of a domain with a year of daily reports from 20 organisations
// (7,300 reports), the whole year and the default 30 days: goal at most 200 ms.
// The plugin runs in the bench process behind a real HTTPS server (throwaway CA, loopback).
import { randomBytes } from 'node:crypto';
import { Agent, createServer as createHttpsServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { API_PATH, TLSRPT_PATH, createMtaSts } from '../../src';
import { resolveOptions } from '../../src/options';
import { MtaStsService } from '../../src/service';
import { createTestCa } from '../../test/support/tls';
import { DbSpec, MAIL_HOSTNAME, createDatabase, openKnex, seedHost, uniqueSuffix } from '../lib/data';
import type { Report } from '../lib/report';
import { median, nowMs, percentile, round } from '../lib/util';
import { loopbackDns } from './throughput';
import { sized } from '../lib/mode';

const REPORTS = sized(1000, 16);
const CONCURRENCY = 8;
const YEAR_DAYS = sized(365, 5);
const YEAR_ORGS = sized(20, 3);
const PAGE_ROUNDS = sized(20, 2);
const DAY_MS = 86_400_000;
const RESULT_TYPES = ['starttls-not-supported', 'certificate-host-mismatch', 'certificate-expired', 'certificate-not-trusted', 'validation-failure'];
const quiet = { error: (m: string, d?: unknown) => console.error(m, d), warn: () => undefined, info: () => undefined };

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const ip = () => `198.51.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * A report of about 20 KiB gzip: 300 failure details with random sending addresses and reasons
 * (which gzip cannot shrink), against our 4 MX hosts, so they sum to at most 20 failure rows.
 */
function bigReport(domain: string, i: number): Buffer {
  const org = `Sender ${i % 50}`;
  const date = day(Date.parse('2026-06-01T00:00:00Z') + (i % 180) * DAY_MS);
  const failures = Array.from({ length: 300 }, (_, j) => ({
    'result-type': RESULT_TYPES[(i + j) % RESULT_TYPES.length],
    'sending-mta-ip': ip(),
    'receiving-mx-hostname': `mx${j % 4}.${domain}`,
    'receiving-ip': `192.0.2.${10 + (j % 4)}`,
    'failed-session-count': 1 + (j % 7),
    'failure-reason-code': `E${hex(20)}`,
    'additional-information': `https://sender${i % 50}.example/kb/${hex(20)}`,
  }));
  const report = {
    'organization-name': org,
    'date-range': { 'start-datetime': `${date}T00:00:00Z`, 'end-datetime': `${date}T23:59:59Z` },
    'contact-info': `tlsrpt@sender${i % 50}.example`,
    'report-id': `bench-${i}-${hex(8)}`,
    policies: [
      {
        policy: { 'policy-type': 'sts', 'policy-string': ['version: STSv1', 'mode: testing', `mx: *.${domain}`, 'max_age: 86400'], 'policy-domain': domain },
        summary: { 'total-successful-session-count': 1000 + i, 'total-failure-session-count': 1200 },
        'failure-details': failures,
      },
    ],
  };
  return gzipSync(JSON.stringify(report));
}

/** A small daily report, as most senders send: sessions, now and then a failure. */
function dailyReport(domain: string, org: number, date: string): Buffer {
  const failing = (org + Number(date.slice(8, 10))) % 5 === 0;
  return Buffer.from(
    JSON.stringify({
      'organization-name': `Organisation ${org}`,
      'date-range': { 'start-datetime': `${date}T00:00:00Z`, 'end-datetime': `${date}T23:59:59Z` },
      'contact-info': `tlsrpt@org${org}.example`,
      'report-id': `${date}-org${org}`,
      policies: [
        {
          policy: {
            'policy-type': 'sts',
            'policy-string': ['version: STSv1', 'mode: testing', `mx: mail.${domain}`, 'max_age: 604800'],
            'policy-domain': domain,
          },
          summary: { 'total-successful-session-count': 100 + org, 'total-failure-session-count': failing ? 3 : 0 },
          'failure-details': failing
            ? [
                {
                  'result-type': RESULT_TYPES[org % RESULT_TYPES.length],
                  'receiving-mx-hostname': `mail.${domain}`,
                  'receiving-ip': '192.0.2.25',
                  'failed-session-count': 3,
                },
              ]
            : [],
        },
      ],
    }),
  );
}

function call(base: string, agent: Agent, method: string, path: string, body?: Buffer | string, type?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, agent, headers: type ? { 'content-type': type } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function figureReports(ctx: { temp: string; databases: string[]; report: Report }): Promise<void> {
  const { temp, databases, report } = ctx;
  console.log(
    `\nFigure 6: TLS reports: ${REPORTS} reports of about 20 KiB gzip over HTTPS; the reports page of a year of daily reports from ${YEAR_ORGS} organisations`,
  );
  const ca = createTestCa();
  const issued = ca.issue(['127.0.0.1']);
  const bodies = Array.from({ length: REPORTS }, (_, i) => bigReport('example.org', i));
  const meanKiB = bodies.reduce((sum, b) => sum + b.length, 0) / bodies.length / 1024;
  const results: Record<string, unknown> = { meanGzipKiB: round(meanKiB, 1) };
  try {
    // SQLite as a server runs it, in WAL mode; and once, intake only, in SQLite's default rollback
    // journal, where every commit waits for several fsyncs.
    const variants = [
      { kind: 'sqlite', wal: true, page: true, label: 'SQLite (WAL)' },
      { kind: 'mariadb', wal: false, page: true, label: 'MariaDB' },
      { kind: 'sqlite', wal: false, page: false, label: 'SQLite (rollback journal)' },
    ] as const;
    for (const { kind, wal, page, label } of variants) {
      let db: DbSpec;
      if (kind === 'sqlite') db = { kind, file: `${temp}/reports-${uniqueSuffix()}.sqlite` };
      else {
        const name = `bench_reports_${uniqueSuffix()}`;
        await createDatabase(name);
        databases.push(name);
        db = { kind, database: name };
      }
      const knex = openKnex(db);
      let server: Server | null = null;
      try {
        if (wal) await knex.raw('PRAGMA journal_mode=WAL');
        await seedHost(knex, ['example.org', 'year.example']);
        const options = {
          knex,
          mailHostname: MAIL_HOSTNAME,
          authorize: () => true,
          logger: quiet,
          dns: { servers: [loopbackDns.address], timeoutMs: 500, retries: 0 },
          dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
          // A bench stores more reports per domain and day than the daily quota lets a real sender.
          reports: { perTokenPerHour: 100_000, dailyReportsPerDomain: 10_000, dailyRowsPerDomain: 1_000_000 },
        };
        const mtaSts = createMtaSts(options);
        await mtaSts.migrate();
        const app = express();
        app.use(TLSRPT_PATH, mtaSts.tlsrpt);
        app.use('/mta-sts', mtaSts.admin);
        app.use(API_PATH, mtaSts.api);
        server = createHttpsServer({ key: issued.key, cert: issued.cert }, app);
        await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
        const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: ca.cert });

        // (a) Intake: the token from the API, then every report posted, 8 in flight.
        const setup = await call(
          base,
          agent,
          'PUT',
          `${API_PATH}/example.org/reporting`,
          JSON.stringify({ rua: ['mailto:tls@example.org'] }),
          'application/json',
        );
        const path = new URL((JSON.parse(setup.text) as { reportingUri: string }).reportingUri).pathname;
        let next = 0;
        const statuses: Record<number, number> = {};
        const t0 = nowMs();
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < bodies.length) {
              const body = bodies[next++];
              const res = await call(base, agent, 'POST', path, body, 'application/tlsrpt+gzip');
              statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            }
          }),
        );
        const seconds = (nowMs() - t0) / 1000;
        if (statuses[201] !== REPORTS) throw new Error(`intake answered ${JSON.stringify(statuses)}, expected ${REPORTS} × 201`);
        console.log(`  ${label}: ${REPORTS} reports (mean ${meanKiB.toFixed(1)} KiB gzip) in ${seconds.toFixed(2)} s`);
        report.row({
          figure: '6',
          measure: `${REPORTS} reports of ${meanKiB.toFixed(0)} KiB gzip over HTTPS, ${label}`,
          value: `${seconds.toFixed(2)} s (${Math.round(REPORTS / seconds)}/s)`,
          goal: '≤ 10 s',
          met: seconds <= 10,
        });
        results[label] = { intakeSeconds: round(seconds, 2), reportsPerSecond: round(REPORTS / seconds, 0) };
        if (!page) {
          agent.destroy();
          continue;
        }

        // (b) A year of daily reports from 20 organisations for year.example, through the service (not timed).
        const service = MtaStsService.fromOptions(resolveOptions(options));
        const yearSetup = await service.reports.configure('year.example', ['mailto:tls@year.example']);
        if (yearSetup.status !== 'saved' || !yearSetup.reporting.reportingUri) throw new Error('could not set up reporting for year.example');
        const token = yearSetup.reporting.reportingUri.split('/').pop() as string;
        const today = Date.parse(`${day(Date.now())}T00:00:00Z`);
        const t1 = nowMs();
        for (let d = YEAR_DAYS; d >= 1; d--) {
          const date = day(today - d * DAY_MS);
          for (let org = 0; org < YEAR_ORGS; org++) {
            const stored = await service.reports.ingestHttps(token, dailyReport('year.example', org, date), false);
            if (stored.status !== 'created') throw new Error(`year report refused: ${JSON.stringify(stored)}`);
          }
        }
        console.log(`  ${label}: ${YEAR_DAYS * YEAR_ORGS} daily reports stored in ${((nowMs() - t1) / 1000).toFixed(1)} s (setup)`);
        // The page's own periods: a year, and the default 30 days.
        const views = { year: '/mta-sts/year.example/reports?days=365', days30: '/mta-sts/year.example/reports' };
        const timings: Record<string, { medianMs: number; p95Ms: number; maxMs: number }> = {};
        for (const [view, url] of Object.entries(views)) {
          const times: number[] = [];
          for (let r = 0; r < PAGE_ROUNDS + 3; r++) {
            const a = nowMs();
            const res = await call(base, agent, 'GET', url);
            const ms = nowMs() - a;
            if (res.status !== 200 || !res.text.includes(`Organisation ${YEAR_ORGS - 1}`))
              throw new Error(`reports page ${url}: ${res.status} ${res.text.slice(0, 200)}`);
            if (r >= 3) times.push(ms); // the first rounds warm the templates and the connection
          }
          timings[view] = { medianMs: round(median(times), 1), p95Ms: round(percentile(times, 95), 1), maxMs: round(Math.max(...times), 1) };
        }
        console.log(
          `  ${label}: reports page, a year: median ${timings.year.medianMs} ms, p95 ${timings.year.p95Ms} ms; 30 days: median ${timings.days30.medianMs} ms`,
        );
        results[label] = { ...(results[label] as object), page: timings };
        report.row({
          figure: '6',
          measure: `reports page, a year × ${YEAR_ORGS} organisations, ${label}: median / p95`,
          value: `${timings.year.medianMs} / ${timings.year.p95Ms} ms (30 days: ${timings.days30.medianMs} / ${timings.days30.p95Ms} ms)`,
          goal: '≤ 200 ms',
          met: timings.year.medianMs <= 200,
        });
        agent.destroy();
      } finally {
        if (server) await new Promise((resolve) => server!.close(resolve));
        await knex.destroy();
      }
    }
  } finally {
    ca.dispose();
  }
  report.figure('6', results);
}
