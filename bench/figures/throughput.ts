// Figure 1: policy file throughput. Four servers, each in its own process, driven in turn by
// autocannon in another process, interleaved round by round so that drift in the machine's speed
// hits all four alike: (a) bare Express answering a constant string (the ceiling), (b)
// express.static serving the same policy from a file (what the plugin replaces), (c) the plugin in
// the demo host on SQLite and (d) on MariaDB, warm.
import { join } from 'node:path';
import { DbSpec, MAIN_DOMAIN, POLICY_TEXT, createDatabase, uniqueSuffix } from '../lib/data';
import { getPolicy } from '../lib/http';
import { LoadResult, autocannon } from '../lib/load';
import type { Report } from '../lib/report';
import { Child, median, round, start } from '../lib/util';
import type { PanelConfig } from '../servers/panel';
import type { PlainConfig } from '../servers/plain';
import type { PluginConfig } from '../servers/plugin';
import { QUICK, sized } from '../lib/mode';

export const API_KEY = 'bench-api-key-0123456789abcdef';
export const ADMIN_PASSWORD = 'bench-admin-password';
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? sized(3, 1));
export const SECONDS = Number(process.env.BENCH_SECONDS ?? sized(10, 1));
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? sized(50, 10));
const WARMUP_SECONDS = 2;
/** A reload of the served-policy cache: the domain table and the alias table, once per TTL (5 s) at most. */
const RELOAD_QUERIES = 2;

export type ServerKey = 'a' | 'b' | 'c' | 'd';

export interface ServerHandle {
  key: ServerKey;
  label: string;
  child: Child;
  base: string;
  db?: DbSpec;
}

export class ServerSet {
  constructor(readonly list: ServerHandle[]) {}

  get(key: ServerKey): ServerHandle {
    return this.list.find((s) => s.key === key) as ServerHandle;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.list.map((s) => s.child.stop()));
  }
}

/** The server's database queries and CPU time (µs) so far. */
export async function statsOf(server: ServerHandle): Promise<{ queries: number; cpuUs: number }> {
  const stats = await server.child.ask({ type: 'stats' }, 'stats');
  return { queries: Number(stats.queries), cpuUs: Number(stats.cpuUs) };
}

/** Starts a server child and waits until it listens. */
export async function startServer(
  key: ServerKey,
  label: string,
  script: string,
  config: PanelConfig | PlainConfig | PluginConfig,
  db?: DbSpec,
): Promise<ServerHandle> {
  const child = start(label, join(__dirname, '..', 'servers', script), config);
  const ready = await child.next('ready', 300_000);
  return { key, label, child, base: `http://127.0.0.1:${Number(ready.port)}`, db };
}

/** The loopback DNS server every bench panel uses (set by run.ts before any panel starts). */
export const loopbackDns = { address: '' };

export function panelConfig(db: DbSpec, seedDomains: number): PanelConfig {
  if (!loopbackDns.address) throw new Error('the bench DNS server is not running');
  return { db, seedDomains, apiKey: API_KEY, adminPassword: ADMIN_PASSWORD, dnsServer: loopbackDns.address };
}

/** Runs `run` for each item, one after the other. */
function sequentially<T>(items: T[]): (run: (item: T) => Promise<void>) => Promise<void> {
  return async (run) => {
    for (const item of items) await run(item);
  };
}

export async function figurePolicyThroughput(ctx: { temp: string; databases: string[]; report: Report; measure: boolean }): Promise<{ servers: ServerSet }> {
  const { temp, databases, report } = ctx;
  const database = `bench_mta_sts_${uniqueSuffix()}`;
  await createDatabase(database);
  databases.push(database);
  const sqlite: DbSpec = { kind: 'sqlite', file: join(temp, 'panel.sqlite') };
  const mariadb: DbSpec = { kind: 'mariadb', database };
  const servers = new ServerSet(
    await Promise.all([
      startServer('a', '(a) bare Express, constant string', 'plain.js', { kind: 'ceiling' }),
      startServer('b', '(b) express.static, policy file', 'plain.js', { kind: 'static', webRoot: join(temp, 'www') }),
      startServer('c', '(c) plugin in demo host, SQLite', 'panel.js', panelConfig(sqlite, 2), sqlite),
      startServer('d', '(d) plugin in demo host, MariaDB', 'panel.js', panelConfig(mariadb, 2), mariadb),
    ]),
  );
  const host = `mta-sts.${MAIN_DOMAIN}`;
  for (const server of servers.list) {
    const reply = await getPolicy(server.base, host);
    if (reply.status !== 200 || reply.body !== POLICY_TEXT)
      throw new Error(`${server.label} does not serve the bench policy: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  if (!ctx.measure) return { servers };

  console.log(`\nFigure 1: policy file throughput, ${ROUNDS} rounds x ${SECONDS} s x 4 servers, ${CONNECTIONS} connections`);
  // A quick run skips the warm-up: its numbers mean nothing anyway.
  for (const server of QUICK ? [] : servers.list) {
    await autocannon({ url: `${server.base}/.well-known/mta-sts.txt`, host, connections: CONNECTIONS, seconds: WARMUP_SECONDS });
  }
  type Measured = LoadResult & { queries: number; cpuUsPerRequest: number; serverCpuPercent: number };
  const rounds: Array<Record<ServerKey, Measured>> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round_ = {} as Record<ServerKey, Measured>;
    // The order rotates from round to round, so no server always runs first or last.
    const order = servers.list.map((_, i) => servers.list[(i + r) % servers.list.length]);
    // A quick run loads the four at once: its numbers mean nothing, and it saves three process starts.
    const each = QUICK ? (run: (s: ServerHandle) => Promise<void>) => Promise.all(order.map(run)) : sequentially(order);
    await each(async (server) => {
      const before = await statsOf(server);
      const result = await autocannon({ url: `${server.base}/.well-known/mta-sts.txt`, host, connections: CONNECTIONS, seconds: SECONDS });
      const after = await statsOf(server);
      const queries = after.queries - before.queries;
      const cpuUs = after.cpuUs - before.cpuUs;
      if (result.non2xx || result.errors || result.timeouts)
        throw new Error(`${server.label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
      round_[server.key] = { ...result, queries, cpuUsPerRequest: round(cpuUs / result.total, 1), serverCpuPercent: round((100 * cpuUs) / (SECONDS * 1e6), 0) };
      console.log(
        `  round ${r + 1} ${server.label}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms, ` +
          `server CPU ${round_[server.key].serverCpuPercent}% (${round_[server.key].cpuUsPerRequest} µs/request), ${queries} queries in ${result.total} requests`,
      );
    });
    rounds.push(round_);
  }

  const med = (key: ServerKey, field: keyof Measured) => median(rounds.map((r) => r[key][field]));
  const ratio = (x: ServerKey, y: ServerKey) => median(rounds.map((r) => r[x].rps / r[y].rps));
  const summary: Record<string, unknown> = {};
  for (const server of servers.list) {
    const k = server.key;
    const queries = rounds.reduce((sum, r) => sum + r[k].queries, 0);
    const requests = rounds.reduce((sum, r) => sum + r[k].total, 0);
    summary[k] = {
      label: server.label,
      rps: round(med(k, 'rps'), 0),
      p50Ms: med(k, 'p50'),
      p99Ms: med(k, 'p99'),
      serverCpuUsPerRequest: med(k, 'cpuUsPerRequest'),
      serverCpuPercent: med(k, 'serverCpuPercent'),
      queriesPerRequest: queries / requests,
      queries,
      requests,
      vsStatic: round(ratio(k, 'b'), 3),
      vsCeiling: round(ratio(k, 'a'), 3),
    };
    const plugin = k === 'c' || k === 'd';
    report.row({
      figure: '1 policy file',
      measure: `${server.label}: req/s (p99, server CPU per request)`,
      value: `${Math.round(med(k, 'rps'))} (p99 ${med(k, 'p99')} ms, ${Math.round(med(k, 'cpuUsPerRequest'))} µs CPU)`,
      reference: plugin ? `(b) ${Math.round(med('b', 'rps'))}, (a) ${Math.round(med('a', 'rps'))}` : '',
      ratio: plugin ? `${ratio(k, 'b').toFixed(2)}x (b), ${ratio(k, 'a').toFixed(2)}x (a)` : k === 'b' ? `${ratio('b', 'a').toFixed(2)}x (a)` : '',
      goal: plugin ? '>= 1.0x (b), >= 0.9x (a)' : '',
      met: plugin ? ratio(k, 'b') >= 1.0 && ratio(k, 'a') >= 0.9 : null,
    });
  }
  for (const k of ['c', 'd'] as const) {
    const s = summary[k] as { queries: number; requests: number; queriesPerRequest: number };
    report.row({
      figure: '1 policy file',
      measure: `${servers.get(k).label.slice(0, 3)} DB queries per request, warm`,
      value: `${s.queriesPerRequest.toFixed(6)} (${s.queries} in ${s.requests}: background reloads, ${RELOAD_QUERIES} queries each)`,
      // Requests cause no query; the served set is renewed in the background from 80% of its 5 s
      // lifetime, i.e. every 4 s whatever the request rate, so at most this many reloads a round.
      goal: '0 per request',
      met: s.queries <= RELOAD_QUERIES * ROUNDS * (Math.ceil(SECONDS / 4) + 1),
    });
  }
  report.figure('1-policy-throughput', { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, summary, perRound: rounds });
  return { servers };
}
