// Figure 9: the standalone server's policy route against bare Express, with every request logged.
// Four servers, each in its own process, driven in turn by autocannon in another process and
// interleaved round by round: (a) bare Express answering a constant string (the ceiling), (b) the
// same with pino-http mounted the usual way (what a request log costs there), (c) the plugin alone
// in a bare Express app, (d) `mta-sts serve` as an operator runs it, logging every request at info
// into a file. The log files are counted: one line per request, or the figure is not met.
import { readFileSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { MAIN_DOMAIN, POLICY_TEXT } from '../lib/data';
import { getPolicy } from '../lib/http';
import { type LoadResult, autocannon } from '../lib/load';
import { QUICK, sized } from '../lib/mode';
import type { Report } from '../lib/report';
import { setBenchPolicy, startServeLogged, type LoggedServe } from '../lib/serve-process';
import { median, round, sleep } from '../lib/util';
import type { PlainConfig } from '../servers/plain';
import type { PluginConfig } from '../servers/plugin';
import { loopbackDns, startServer, statsOf, type ServerHandle } from './throughput';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? sized(5, 1));
const SECONDS = Number(process.env.BENCH_SECONDS ?? sized(10, 1));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? sized(50, 10));
const WARMUP_SECONDS = 2;
const GOAL = 0.9;

type Key = 'a' | 'b' | 'c' | 'd';
interface Under {
  key: Key;
  label: string;
  base: string;
  /** Server CPU so far, in µs. */
  cpuUs(): Promise<number>;
  /** The file its request lines go to, if it logs. */
  logFile?: string;
  stop(): Promise<void>;
}

/** A process's CPU time (user + system) from /proc, in µs (Linux; clock ticks of 10 ms). */
function procCpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** How many request lines a log file holds (pino-http's and the server's both say "request completed"). */
async function requestLines(file: string): Promise<number> {
  const needle = '"msg":"request completed"';
  let count = 0;
  let carry = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = carry + (chunk as string);
    for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) count += 1;
    carry = text.slice(-needle.length + 1);
  }
  return count;
}

function child(key: Key, handle: ServerHandle, logFile?: string): Under {
  return { key, label: handle.label, base: handle.base, cpuUs: async () => (await statsOf(handle)).cpuUs, logFile, stop: () => handle.child.stop() };
}

function serveUnder(serve: LoggedServe): Under {
  return {
    key: 'd',
    label: '(d) mta-sts serve, info log to a file',
    base: serve.base,
    cpuUs: async () => procCpuUs(serve.pid),
    logFile: serve.logFile,
    stop: () => serve.stop(),
  };
}

export async function figureLoggedThroughput(ctx: { temp: string; report: Report }): Promise<void> {
  const { temp, report } = ctx;
  const host = `mta-sts.${MAIN_DOMAIN}`;
  const pinoLog = join(temp, 'pino-http.log');
  const serveLog = join(temp, 'serve.log');
  const list: Under[] = [];
  try {
    const [a, b, c, d] = await Promise.all([
      startServer('a', '(a) bare Express, constant string', 'plain.js', { kind: 'ceiling' } satisfies PlainConfig),
      startServer('b', '(b) bare Express + pino-http, info log to a file', 'plain.js', { kind: 'pino-http', logFile: pinoLog } satisfies PlainConfig),
      startServer('c', '(c) plugin alone in bare Express, SQLite', 'plugin.js', {
        db: { kind: 'sqlite', file: join(temp, 'plugin.sqlite') },
        seedDomains: 2,
      } satisfies PluginConfig),
      startServeLogged(`sqlite:${join(temp, 'serve.sqlite')}`, loopbackDns.address, serveLog),
    ]);
    list.push(child('a', a), child('b', b, pinoLog), child('c', c), serveUnder(d));
    await setBenchPolicy(d.base, MAIN_DOMAIN);
    // A line is written when its response closes, a moment after the client has it.
    await sleep(300);
    // From here every request each server gets is counted, the checks and the warm-up included, to match its log.
    const linesBefore = { b: await requestLines(pinoLog), d: await requestLines(serveLog) };
    const sent: Record<Key, number> = { a: 0, b: 0, c: 0, d: 0 };
    for (const server of list) {
      const reply = await getPolicy(server.base, host);
      sent[server.key] += 1;
      if (reply.status !== 200 || reply.body !== POLICY_TEXT)
        throw new Error(`${server.label} does not serve the bench policy: ${reply.status} ${JSON.stringify(reply.body)}`);
    }

    console.log(`\nFigure 9: policy route with every request logged, ${ROUNDS} rounds x ${SECONDS} s x 4 servers, ${CONNECTIONS} connections`);
    for (const server of QUICK ? [] : list) {
      const warm = await autocannon({ url: `${server.base}/.well-known/mta-sts.txt`, host, connections: CONNECTIONS, seconds: WARMUP_SECONDS });
      sent[server.key] += warm.total;
    }
    type Measured = LoadResult & { cpuUsPerRequest: number };
    const rounds: Array<Record<Key, Measured>> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round_ = {} as Record<Key, Measured>;
      // The order rotates from round to round, so no server always runs first or last.
      const order = list.map((_, i) => list[(i + r) % list.length]);
      const measure = async (server: Under) => {
        const before = await server.cpuUs();
        const result = await autocannon({ url: `${server.base}/.well-known/mta-sts.txt`, host, connections: CONNECTIONS, seconds: SECONDS });
        const cpuUs = (await server.cpuUs()) - before;
        sent[server.key] += result.total;
        if (result.non2xx || result.errors || result.timeouts)
          throw new Error(`${server.label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
        round_[server.key] = { ...result, cpuUsPerRequest: round(cpuUs / result.total, 1) };
        console.log(
          `  round ${r + 1} ${server.label}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms, server CPU ${round_[server.key].cpuUsPerRequest} µs/request`,
        );
      };
      // A quick run loads the four at once: its numbers mean nothing.
      if (QUICK) await Promise.all(order.map(measure));
      else for (const server of order) await measure(server);
      rounds.push(round_);
    }

    const med = (key: Key, field: keyof Measured) => median(rounds.map((r) => r[key][field]));
    const ratio = (key: Key) => median(rounds.map((r) => r[key].rps / r.a.rps));
    // The same comparison by server CPU per request, which other work on the machine skews less than
    // req/s: a server given a whole core answers in inverse proportion to it.
    const cpuRatio = (key: Key) => median(rounds.map((r) => r.a.cpuUsPerRequest / r[key].cpuUsPerRequest));
    const summary: Record<string, unknown> = {};
    for (const server of list) {
      const k = server.key;
      const ratios = rounds.map((r) => round(r[k].rps / r.a.rps, 3));
      summary[k] = {
        label: server.label,
        rps: round(med(k, 'rps'), 0),
        p99Ms: med(k, 'p99'),
        serverCpuUsPerRequest: med(k, 'cpuUsPerRequest'),
        vsCeiling: round(ratio(k), 3),
        ratios,
        cpuVsCeiling: round(cpuRatio(k), 3),
      };
      report.row({
        figure: '9 policy route, logged',
        measure: `${server.label}: req/s (p99, server CPU per request)`,
        value: `${Math.round(med(k, 'rps'))} (p99 ${med(k, 'p99')} ms, ${Math.round(med(k, 'cpuUsPerRequest'))} µs CPU)`,
        reference: k === 'a' ? '' : `(a) ${Math.round(med('a', 'rps'))}`,
        ratio:
          k === 'a'
            ? ''
            : `${ratio(k).toFixed(2)}x (a), rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}; by CPU per request ${cpuRatio(k).toFixed(2)}x`,
        goal: k === 'd' ? `>= ${GOAL}x (a)` : '',
        met: k === 'd' ? ratio(k) >= GOAL : null,
      });
    }
    // In flight when autocannon stops, a request is still answered and logged but not counted by it:
    // up to one per connection per run.
    const slack = CONNECTIONS * (ROUNDS + (QUICK ? 0 : 1));
    await sleep(500);
    for (const server of list.filter((s) => s.logFile !== undefined)) {
      const k = server.key as 'b' | 'd';
      const lines = (await requestLines(server.logFile as string)) - linesBefore[k];
      summary[`${k}Lines`] = { lines, requests: sent[k] };
      report.row({
        figure: '9 policy route, logged',
        measure: `${server.label.slice(0, 3)} request lines in its log per request`,
        value: `${(lines / sent[k]).toFixed(4)} (${lines} lines, ${sent[k]} requests counted by the load generator)`,
        goal: k === 'd' ? '1 per request' : '',
        met: k === 'd' ? lines >= sent[k] && lines <= sent[k] + slack : null,
      });
    }
    report.figure('9-policy-route-logged', { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, summary, perRound: rounds });
  } finally {
    await Promise.all(list.map((s) => s.stop()));
  }
}
