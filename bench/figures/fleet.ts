// Figure 7: a fleet of 100,000 domains, every one with an active policy, on SQLite and on MariaDB.
// Instance A seeds the database; instance B starts on it as a second server would. Measured on B:
// the first policy request after it is ready, then under 5 policy requests per second the CPU the
// server spends (keeping the served set fresh is all it does besides answering), the database
// queries per second, and the resident memory; then how long B serves a policy A saved through
// the API, and a domain the host deactivated in its own table. Last, the scheduled DNS Check of
// 10,000 domains against loopback DNS: wall time and peak memory.
import { join } from 'node:path';
import { DbSpec, createDatabase, domainNames, openKnex, uniqueSuffix } from '../lib/data';
import { getPolicy, request } from '../lib/http';
import type { Report } from '../lib/report';
import { nowMs, round, sleep, start } from '../lib/util';
import type { FleetCheckConfig } from '../servers/fleet-check';
import { API_KEY, loopbackDns, panelConfig, startServer, type ServerHandle } from './throughput';
import { sized } from '../lib/mode';

const DOMAINS = Number(process.env.BENCH_FLEET_DOMAINS ?? sized(100_000, 500));
const RATE = 5;
const LOAD_SECONDS = Number(process.env.BENCH_FLEET_SECONDS ?? sized(30, 1));
const CACHE_TTL_MS = 5000;
/** The traffic B gets before it is measured: one cache lifetime (a second in a quick run). */
const WARMUP_SECONDS = sized(CACHE_TTL_MS / 1000 + 1, 1);
const CHECK_DOMAINS = sized(10_000, 100);
const CHECK_CONCURRENCY = 50;

/** `RATE` policy requests a second for `seconds`, each for a random domain; how many got anything but 200. */
async function steadyLoad(server: ServerHandle, names: string[], seconds: number): Promise<number> {
  let failed = 0;
  const end = nowMs() + seconds * 1000;
  const pending: Array<Promise<void>> = [];
  for (let next = nowMs(); next < end; next += 1000 / RATE) {
    await sleep(Math.max(0, next - nowMs()));
    const domain = names[1 + Math.floor(Math.random() * (names.length - 1))];
    pending.push(
      getPolicy(server.base, `mta-sts.${domain}`).then((reply) => {
        if (reply.status !== 200) failed += 1;
      }),
    );
  }
  await Promise.all(pending);
  return failed;
}

/** Polls B every 20 ms until `done(reply)`; the time it took, or null after `limitMs`. */
async function until(server: ServerHandle, host: string, done: (status: number, body: string) => boolean, limitMs: number): Promise<number | null> {
  const t0 = nowMs();
  while (nowMs() - t0 < limitMs) {
    const reply = await getPolicy(server.base, host);
    if (done(reply.status, reply.body)) return nowMs() - t0;
    await sleep(20);
  }
  return null;
}

export async function figureFleet(ctx: { temp: string; databases: string[]; report: Report }): Promise<void> {
  const { temp, databases, report } = ctx;
  console.log(`\nFigure 7: ${DOMAINS} domains at ${RATE} policy requests/s; scheduled DNS Check of ${CHECK_DOMAINS} domains`);
  const names = domainNames(DOMAINS);
  const figures: Record<string, unknown> = {};
  // A quick run measures SQLite only (figures 1, 6, overview and 8 still run MariaDB in it).
  for (const kind of sized(['sqlite', 'mariadb'] as const, ['sqlite'] as const)) {
    let db: DbSpec;
    if (kind === 'sqlite') db = { kind, file: join(temp, `fleet-${DOMAINS}.sqlite`) };
    else {
      const database = `bench_mta_sts_${uniqueSuffix()}`;
      await createDatabase(database);
      databases.push(database);
      db = { kind, database };
    }
    const a = await startServer('c', `${kind} fleet A`, 'panel.js', panelConfig(db, DOMAINS), db);
    let b: ServerHandle | null = null;
    let reference: ServerHandle | null = null;
    try {
      // The same server with 2 domains, loaded alike at the same time: what answering the requests
      // costs (and the bench's own event-loop probe), so that B's CPU minus its CPU is freshness.
      let refDb: DbSpec;
      if (kind === 'sqlite') refDb = { kind, file: join(temp, 'fleet-reference.sqlite') };
      else {
        const database = `bench_mta_sts_${uniqueSuffix()}`;
        await createDatabase(database);
        databases.push(database);
        refDb = { kind, database };
      }
      // B and the reference start at once (B on A's data, the reference seeding its own).
      const started = await Promise.allSettled([
        startServer('c', `${kind} fleet B`, 'panel.js', panelConfig(db, 0), db),
        startServer('c', `${kind} reference`, 'panel.js', panelConfig(refDb, 2), refDb),
      ]);
      b = started[0].status === 'fulfilled' ? started[0].value : null;
      reference = started[1].status === 'fulfilled' ? started[1].value : null;
      for (const result of started) if (result.status === 'rejected') throw result.reason;
      if (!b || !reference) throw new Error('fleet: B or the reference did not start');
      const refServer = reference;
      const t0 = nowMs();
      const first = await getPolicy(b.base, `mta-sts.${names[names.length - 1]}`);
      const firstMs = nowMs() - t0;
      // Not thrown: a server that answers 503 while it loads the whole set is what this figure is about.
      const firstStatus = first.status;
      // One ttl of traffic first: the figure is the steady state.
      const warmupFailed = await steadyLoad(b, names, WARMUP_SECONDS);
      await steadyLoad(refServer, domainNames(2), sized(2, 1));
      const before = await b.child.ask({ type: 'stats' }, 'stats');
      const refBefore = await refServer.child.ask({ type: 'stats' }, 'stats');
      const [loadFailed] = await Promise.all([steadyLoad(b, names, LOAD_SECONDS), steadyLoad(refServer, domainNames(2), LOAD_SECONDS)]);
      const after = await b.child.ask({ type: 'stats' }, 'stats');
      const refAfter = await refServer.child.ask({ type: 'stats' }, 'stats');
      const cpuPercent = (100 * (Number(after.cpuUs) - Number(before.cpuUs))) / (LOAD_SECONDS * 1e6);
      const refCpuPercent = (100 * (Number(refAfter.cpuUs) - Number(refBefore.cpuUs))) / (LOAD_SECONDS * 1e6);
      const freshnessPercent = cpuPercent - refCpuPercent;
      const queriesPerSecond = (Number(after.queries) - Number(before.queries)) / LOAD_SECONDS;
      const rssMiB = Number(after.rss) / 2 ** 20;

      // A plugin change on A, seen by B, while B keeps getting its 5 requests a second.
      const target = names[Math.floor(names.length / 2)];
      const background = steadyLoad(b, names, sized(12, 1));
      const saved = await request(`${a.base}/api/v1/mta-sts/${target}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY },
        body: JSON.stringify({ mode: 'testing' }),
      });
      if (saved.status !== 200) throw new Error(`save on A: ${saved.status} ${saved.body}`);
      const pluginMs = await until(b, `mta-sts.${target}`, (status, body) => status === 200 && body.includes('mode: testing'), 20_000);
      // A host-side deactivation: the host's own UPDATE of its own column, not through the plugin.
      const gone = names[Math.floor(names.length / 3)];
      const knex = openKnex(db, 1);
      const t1 = nowMs();
      await knex('domain').where('domain', gone).update({ active: 0 });
      const written = nowMs() - t1;
      await knex.destroy();
      const hostMs = await until(b, `mta-sts.${gone}`, (status) => status === 404, 20_000);
      await background;
      const row = {
        firstMs: round(firstMs, 1),
        firstStatus,
        warmupFailed,
        loadFailed,
        cpuPercent: round(cpuPercent, 2),
        refCpuPercent: round(refCpuPercent, 2),
        freshnessPercent: round(freshnessPercent, 2),
        queriesPerSecond: round(queriesPerSecond, 2),
        rssMiB: round(rssMiB, 0),
        pluginMs,
        hostMs,
        hostWriteMs: round(written, 1),
      };
      figures[kind] = row;
      console.log(`  ${kind}: ${JSON.stringify(row)}`);
      const label = kind === 'sqlite' ? 'SQLite' : 'MariaDB';
      report.row({
        figure: '7 fleet',
        measure: `${label}, ${DOMAINS} domains: first policy request after start`,
        value: `${round(firstMs, 0)} ms (${firstStatus})`,
        goal: '<= 100 ms, 200',
        met: firstMs <= 100 && firstStatus === 200,
      });
      report.row({
        figure: '7 fleet',
        measure: `${label}: policy requests answered other than 200 (first ${WARMUP_SECONDS} s after start / the ${LOAD_SECONDS} s measured)`,
        value: `${warmupFailed} / ${loadFailed}`,
        goal: '0 / 0',
        met: warmupFailed === 0 && loadFailed === 0,
      });
      report.row({
        figure: '7 fleet',
        measure: `${label}: server CPU for freshness at ${RATE} req/s (B's minus the 2-domain reference's)`,
        value: `${round(freshnessPercent, 2)}% of a core`,
        reference: `B ${round(cpuPercent, 2)}%, reference ${round(refCpuPercent, 2)}%`,
        goal: '<= 2%',
        met: freshnessPercent <= 2,
      });
      report.row({
        figure: '7 fleet',
        measure: `${label}: database queries per second`,
        value: `${round(queriesPerSecond, 2)}`,
        goal: '<= 2',
        met: queriesPerSecond <= 2,
      });
      report.row({ figure: '7 fleet', measure: `${label}: resident memory`, value: `${round(rssMiB, 0)} MiB`, goal: '<= 160 MiB', met: rssMiB <= 160 });
      for (const [what, ms] of [
        ['a save on A', pluginMs],
        ['a host-side deactivation', hostMs],
      ] as const) {
        report.row({
          figure: '7 fleet',
          measure: `${label}: B serves the old state after ${what}`,
          value: ms === null ? 'never switched' : `${round(ms / 1000, 2)} s`,
          goal: `<= cache.ttlMs ${CACHE_TTL_MS / 1000} s`,
          met: ms !== null && ms <= CACHE_TTL_MS,
        });
      }
    } finally {
      await reference?.child.stop();
      await b?.child.stop();
      await a.child.stop();
    }
  }
  const config: FleetCheckConfig = {
    file: join(temp, 'fleet-check.sqlite'),
    dnsServer: loopbackDns.address,
    domains: CHECK_DOMAINS,
    concurrency: CHECK_CONCURRENCY,
  };
  const result = await start('fleet check', join(__dirname, '..', 'servers', 'fleet-check.js'), config, ['--expose-gc']).next('result', 600_000);
  console.log(`  scheduled DNS Check: ${JSON.stringify(result)}`);
  const seconds = Number(result.seconds);
  report.row({
    figure: '7 fleet',
    measure: `scheduled DNS Check of ${CHECK_DOMAINS} domains, concurrency ${CHECK_CONCURRENCY}, results stored`,
    value: `${round(seconds, 1)} s`,
    reference: 'loopback DNS, probes disabled',
    goal: '<= 60 s',
    met: seconds <= 60 && Number(result.checked) === CHECK_DOMAINS && Number(result.stored) === CHECK_DOMAINS,
  });
  report.row({
    figure: '7 fleet',
    measure: `scheduled DNS Check of ${CHECK_DOMAINS} domains: peak memory`,
    value: `RSS ${round(Number(result.peakRssMiB), 0)} MiB, heap ${round(Number(result.peakHeapMiB), 0)} MiB`,
    reference: `before: RSS ${round(Number(result.baseRssMiB), 0)} MiB, heap ${round(Number(result.baseHeapMiB), 0)} MiB`,
  });
  figures.scheduledCheck = { ...result, type: undefined };
  report.figure('6-fleet', figures);
}
