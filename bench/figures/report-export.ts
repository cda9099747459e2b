// Figure 12: the export of a period's TLS report failures (CSV, streamed). A year of daily reports
// from 20 organisations (7,300 reports, 5 failure details each: 36,500 rows) exported whole, and a
// tenth of it (the last 37 days): rows per second, and how much the process's peak RSS grows
// during each export. The export reads 16 reports at a time and writes as the client reads, so the
// growth should be about the same for both: flat memory, whatever the period holds.
// The plugin runs in the bench process behind a loopback HTTP server; the client counts and drops.
import { readFileSync, writeFileSync } from 'node:fs';
import { request, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import express from 'express';
import { API_PATH, createMtaSts } from '../../src';
import { resolveOptions } from '../../src/options';
import { MtaStsService } from '../../src/service';
import { MAIL_HOSTNAME, openKnex, seedHost, uniqueSuffix } from '../lib/data';
import type { Report } from '../lib/report';
import { nowMs, round } from '../lib/util';
import { loopbackDns } from './throughput';
import { sized } from '../lib/mode';

const DAYS = sized(365, 20);
const ORGS = sized(20, 2);
const DETAILS = 5;
const SMALL_DAYS = Math.ceil(DAYS / 10);
const DAY_MS = 86_400_000;
const MIB = 1024 * 1024;
const RESULT_TYPES = ['starttls-not-supported', 'certificate-host-mismatch', 'certificate-expired', 'certificate-not-trusted', 'validation-failure'];
const quiet = { error: (m: string, d?: unknown) => console.error(m, d), warn: () => undefined, info: () => undefined };
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

function dailyReport(domain: string, org: number, date: string): Buffer {
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
          summary: { 'total-successful-session-count': 100 + org, 'total-failure-session-count': DETAILS * 3 },
          'failure-details': Array.from({ length: DETAILS }, (_, j) => ({
            'result-type': RESULT_TYPES[(org + j) % RESULT_TYPES.length],
            'sending-mta-ip': `203.0.113.${(org * 7 + j) % 250}`,
            'receiving-mx-hostname': `mail.${domain}`,
            'receiving-mx-helo': `mail.${domain}`,
            'receiving-ip': '192.0.2.25',
            'failed-session-count': 3,
            'additional-information': `https://org${org}.example/tlsrpt/${date}/${j}`,
            'failure-reason-code': `X509_V_ERR_${j}`,
          })),
        },
      ],
    }),
  );
}

/** A full garbage collection, so that each export starts from the same heap (the bench runs without --expose-gc). */
function collect(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Resets the kernel's peak RSS of this process (VmHWM), where Linux lets it; false elsewhere. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function peakRss(): number | null {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : null;
}

/** GETs the export, counting bytes and lines and dropping them; RSS sampled every 5 ms meanwhile. */
async function exportOnce(base: string, path: string, header = 1): Promise<{ seconds: number; rows: number; bytes: number; growthMiB: number }> {
  collect();
  const kernelPeak = resetPeak();
  const before = process.memoryUsage.rss();
  let sampled = before;
  const timer = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 5);
  const t0 = nowMs();
  try {
    const { rows, bytes } = await new Promise<{ rows: number; bytes: number }>((resolve, reject) => {
      const req = request(`${base}${path}`, (res) => {
        if (res.statusCode !== 200) reject(new Error(`export answered ${res.statusCode}`));
        let lines = 0;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        });
        res.on('end', () => resolve({ rows: lines - header, bytes: size }));
      });
      req.on('error', reject);
      req.end();
    });
    const seconds = (nowMs() - t0) / 1000;
    const peak = (kernelPeak ? peakRss() : null) ?? sampled;
    return { seconds, rows, bytes, growthMiB: Math.max(0, peak - before) / MIB };
  } finally {
    clearInterval(timer);
  }
}

export async function figureReportExport(ctx: { temp: string; report: Report }): Promise<void> {
  const { temp, report } = ctx;
  console.log(`\nFigure 12: export of a period's report failures (CSV): ${DAYS} days × ${ORGS} organisations × ${DETAILS} details, and a tenth of it`);
  const knex = openKnex({ kind: 'sqlite', file: `${temp}/export-${uniqueSuffix()}.sqlite` });
  let server: Server | null = null;
  try {
    await knex.raw('PRAGMA journal_mode=WAL');
    await seedHost(knex, ['year.example']);
    const options = {
      knex,
      mailHostname: MAIL_HOSTNAME,
      authorize: () => true,
      logger: quiet,
      dns: { servers: [loopbackDns.address], timeoutMs: 500, retries: 0 },
      dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
      reports: { perTokenPerHour: 100_000, dailyReportsPerDomain: 10_000, dailyRowsPerDomain: 1_000_000 },
    };
    const mtaSts = createMtaSts(options);
    await mtaSts.migrate();
    // The year, through the intake's service (not timed).
    const service = MtaStsService.fromOptions(resolveOptions(options));
    const setup = await service.reports.configure('year.example', ['mailto:tls@year.example']);
    if (setup.status !== 'saved' || !setup.reporting.reportingUri) throw new Error('could not set up reporting for year.example');
    const token = setup.reporting.reportingUri.split('/').pop() as string;
    const today = Date.parse(`${day(Date.now())}T00:00:00Z`);
    const t1 = nowMs();
    for (let d = DAYS; d >= 1; d--) {
      const date = day(today - d * DAY_MS);
      for (let org = 0; org < ORGS; org++) {
        const stored = await service.reports.ingestHttps(token, dailyReport('year.example', org, date), false);
        if (stored.status !== 'created') throw new Error(`year report refused: ${JSON.stringify(stored)}`);
      }
    }
    console.log(`  ${DAYS * ORGS} reports stored in ${((nowMs() - t1) / 1000).toFixed(1)} s (setup)`);
    const app = express();
    app.use(API_PATH, mtaSts.api);
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const to = day(today - DAY_MS);
    const path = (days: number, format = 'csv') => `${API_PATH}/year.example/reports/export?from=${day(today - days * DAY_MS)}&to=${to}&format=${format}`;

    await exportOnce(base, path(SMALL_DAYS)); // warms the code paths, the templates and the connection
    const small = await exportOnce(base, path(SMALL_DAYS));
    const year = await exportOnce(base, path(DAYS));
    const jsonl = await exportOnce(base, path(DAYS, 'jsonl'), 0);
    const expected = DAYS * ORGS * DETAILS;
    if (year.rows !== expected) throw new Error(`the year's export has ${year.rows} rows, expected ${expected}`);
    const rate = (r: { rows: number; seconds: number }) => Math.round(r.rows / r.seconds);
    for (const [label, r] of [
      [`${SMALL_DAYS} days`, small],
      [`${DAYS} days`, year],
      [`${DAYS} days (JSON Lines)`, jsonl],
    ] as const) {
      console.log(
        `  ${label}: ${r.rows} rows, ${(r.bytes / MIB).toFixed(1)} MiB in ${r.seconds.toFixed(2)} s (${rate(r)} rows/s), peak RSS growth ${r.growthMiB.toFixed(1)} MiB`,
      );
    }
    report.row({
      figure: '12',
      measure: `export of a year's failures as CSV (${year.rows} rows, ${(year.bytes / MIB).toFixed(0)} MiB from ${DAYS * ORGS} stored reports)`,
      value: `${year.seconds.toFixed(2)} s (${rate(year)} rows/s; JSON Lines ${rate(jsonl)} rows/s)`,
      goal: '≥ 10,000 rows/s',
      met: rate(year) >= 10_000,
    });
    const flat = year.growthMiB <= small.growthMiB + 32;
    report.row({
      figure: '12',
      measure: `peak RSS growth during the export: a year vs. ${SMALL_DAYS} days (${small.rows} rows)`,
      value: `${year.growthMiB.toFixed(1)} MiB vs. ${small.growthMiB.toFixed(1)} MiB`,
      goal: 'flat: within 32 MiB',
      met: flat,
    });
    report.figure('12', {
      reports: DAYS * ORGS,
      rows: year.rows,
      year: { seconds: round(year.seconds, 2), rowsPerSecond: rate(year), mib: round(year.bytes / MIB, 1), rssGrowthMiB: round(year.growthMiB, 1) },
      small: { days: SMALL_DAYS, rows: small.rows, seconds: round(small.seconds, 2), rssGrowthMiB: round(small.growthMiB, 1) },
      jsonl: { seconds: round(jsonl.seconds, 2), rowsPerSecond: rate(jsonl), rssGrowthMiB: round(jsonl.growthMiB, 1) },
    });
  } finally {
    if (server) await new Promise((resolve) => server!.close(resolve));
    await knex.destroy();
  }
}
