// `npm run bench`: every performance figure of the plugin next to its reference, in one run on
// this machine. Prints a table and writes the same figures to bench/results.json.
// BENCH_ONLY=1,3 (or =overview) runs only some figures (for working on one); the figures in docs/performance.md come from a full run.
// `--quick` (or BENCH_QUICK=1): every figure with small sizes and short rounds, to see that each runs
// and gives its numbers (test/bench/quick.test.ts); its numbers mean nothing. BENCH_RESULTS: where the JSON goes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { figurePolicyThroughput, loopbackDns, type ServerSet } from './figures/throughput';
import { figureFreshness } from './figures/freshness';
import { figureDnsLatency } from './figures/dns-latency';
import { figureManyDomains } from './figures/many-domains';
import { figureMigration } from './figures/migration';
import { figureReports } from './figures/reports';
import { figureOverview } from './figures/overview';
import { figureFleet } from './figures/fleet';
import { figureHostile } from './figures/hostile';
import { figureLoggedThroughput } from './figures/logged-throughput';
import { figurePublishing } from './figures/publishing';
import { figureFailureDetails } from './figures/failure-details';
import { figureReportExport } from './figures/report-export';
import { Report } from './lib/report';
import { dropDatabases } from './lib/data';
import { Child, killAll, round, start } from './lib/util';
import { QUICK, sized } from './lib/mode';

const ROOT = join(__dirname, '..', '..');
const RESULTS = process.env.BENCH_RESULTS ?? join(ROOT, 'bench', QUICK ? 'results-quick.json' : 'results.json');

async function main(): Promise<void> {
  const started = Date.now();
  const only = new Set((process.env.BENCH_ONLY ?? '1,2,3,4,5,6,7,overview,8,9,10,11,12').split(',').map((s) => s.trim()));
  const temp = mkdtempSync(join(tmpdir(), 'mta-sts-bench-'));
  const databases: string[] = [];
  const report = new Report({
    date: new Date().toISOString(),
    quick: QUICK,
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
  });
  let servers: ServerSet | null = null;
  let dns: Child | null = null;
  const cleanup = async () => {
    await servers?.stopAll();
    await dns?.stop();
    killAll();
    await dropDatabases(databases).catch((err: unknown) => console.error('could not drop bench databases', databases, err));
    rmSync(temp, { recursive: true, force: true });
  };
  const interrupted = () => {
    killAll();
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);

  if (QUICK) console.log('Quick run: small sizes, short rounds; it shows that every figure runs, its numbers mean nothing.');
  console.log(
    `mta-sts-plugin bench: ${report.data.machine.cores} cores (${report.data.machine.cpu}), Node ${process.version}, load average ${loadavg()[0].toFixed(2)}`,
  );
  // Other work on the machine skews every figure: its load average is recorded with each figure.
  const load: Record<string, number[]> = {};
  const seconds: Record<string, number> = {};
  const figure = async (key: string, run: () => Promise<void>) => {
    const before = loadavg()[0];
    const t0 = Date.now();
    await run();
    load[key] = [round(before, 2), round(loadavg()[0], 2)];
    seconds[key] = round((Date.now() - t0) / 1000, 1);
    console.log(`  (figure ${key}: ${seconds[key]} s)`);
  };
  report.figure('loadAverage1min', load);
  report.figure('secondsPerFigure', seconds);
  try {
    // Every lookup the bench causes goes to this loopback server, never to the machine's resolver.
    dns = start('dns', join(__dirname, 'servers', 'dns.js'), { domains: sized(10_000, 1000), engine: 'indexed' });
    loopbackDns.address = String((await dns.next('ready')).address);
    if (only.has('1') || only.has('2')) {
      await figure('1', async () => {
        servers = (await figurePolicyThroughput({ temp, databases, report, measure: only.has('1') })).servers;
      });
      if (only.has('2')) await figure('2', () => figureFreshness({ servers: servers as ServerSet, report }));
      await (servers as ServerSet | null)?.stopAll();
      servers = null;
    }
    if (only.has('3')) await figure('3', () => figureDnsLatency({ temp, report }));
    if (only.has('4')) await figure('4', () => figureManyDomains({ temp, databases, report, dns: dns as Child }));
    if (only.has('5')) await figure('5', () => figureMigration({ report }));
    if (only.has('6')) await figure('6', () => figureReports({ temp, databases, report }));
    if (only.has('overview')) await figure('overview', () => figureOverview({ temp, databases, report }));
    if (only.has('7')) await figure('7', () => figureFleet({ temp, databases, report }));
    if (only.has('8')) await figure('8', () => figureHostile({ temp, databases, report }));
    if (only.has('9')) await figure('9', () => figureLoggedThroughput({ temp, report }));
    if (only.has('10')) await figure('10', () => figurePublishing({ temp, report }));
    if (only.has('11')) await figure('11', () => figureFailureDetails({ temp, databases, report }));
    if (only.has('12')) await figure('12', () => figureReportExport({ temp, report }));
  } finally {
    await cleanup();
  }
  const wall = (Date.now() - started) / 1000;
  report.data.wallSeconds = round(wall, 1);
  report.note(
    'machine',
    `${report.data.machine.cores} cores, ${report.data.machine.cpu}, ${report.data.machine.memoryGiB} GiB, Node ${process.version}${report.data.machine.mariadb ? `, MariaDB ${report.data.machine.mariadb}` : ''}`,
  );
  report.note(
    'machine',
    `load average (1 min) before/after each figure: ${Object.entries(load)
      .map(([k, [a, b]]) => `${k}: ${a}/${b}`)
      .join(', ')} (${report.data.machine.cores} cores; above ${report.data.machine.cores} other work competed for the CPU)`,
  );
  report.print();
  writeFileSync(RESULTS, `${JSON.stringify(report.data, null, 2)}\n`);
  console.log(`\nFigures written to ${RESULTS}; bench wall time ${round(wall, 1)} s.`);
}

main().catch((err: unknown) => {
  console.error(err);
  killAll();
  process.exit(1);
});
