// Figure 2: policy cache correctness under load. Server (c) (the plugin in the demo host on
// SQLite) is loaded again by a load generator that records every response body (one process),
// while another process saves new policies through (c)'s API and polls a second instance B on
// the same database file to see how long B serves the old policy. See bench/load/*.ts.
import { join } from 'node:path';
import type { CheckingConfig, SaveVerdict } from '../load/checking';
import type { SaveRecord, SecondInstanceConfig } from '../load/second-instance';
import { MAIN_DOMAIN } from '../lib/data';
import type { Report } from '../lib/report';
import { median, round, sleep, start } from '../lib/util';
import { API_KEY, CONNECTIONS, ServerSet, panelConfig, startServer } from './throughput';
import { sized } from '../lib/mode';

const SAVES = sized(3, 1);
const CACHE_TTL_MS = 5000;
const POLL_MS = 5;

export async function figureFreshness(ctx: { servers: ServerSet; report: Report }): Promise<void> {
  const { report } = ctx;
  const a = ctx.servers.get('c');
  if (!a.db) throw new Error('server (c) has no database');
  console.log(`\nFigure 2: policy cache under load: ${SAVES} saves on (c) while it is loaded; a second instance on the same database`);
  const b = await startServer('c', '(c) second instance', 'panel.js', panelConfig(a.db, 0));
  try {
    const host = `mta-sts.${MAIN_DOMAIN}`;
    const checking: CheckingConfig = { url: `${a.base}/.well-known/mta-sts.txt`, host, connections: CONNECTIONS, maxSeconds: 60 };
    const loader = start('checking load', join(__dirname, '..', 'load', 'checking.js'), checking);
    await loader.next('started');
    await sleep(1000);
    const observer: SecondInstanceConfig = { a: a.base, b: b.base, host, domain: MAIN_DOMAIN, apiKey: API_KEY, saves: SAVES, maxSeconds: 40, pollMs: POLL_MS };
    const probe = start('second instance', join(__dirname, '..', 'load', 'second-instance.js'), observer);
    const seen = await probe.next('result', 60_000);
    const saves = seen.saves as SaveRecord[];
    const load = await loader.ask({ type: 'finish', saves }, 'result', 60_000);
    const verdicts = load.verdicts as SaveVerdict[];

    const sum = (field: keyof SaveVerdict) => verdicts.reduce((total, v) => total + v[field], 0);
    const switched = saves.filter((s) => s.bFirstNewMs !== null).map((s) => s.bFirstNewMs as number);
    const complete = saves.length === SAVES && switched.length === SAVES;
    const worst = complete ? Math.max(...switched) : Number.POSITIVE_INFINITY;
    for (const [i, s] of saves.entries()) {
      const v = verdicts[i];
      console.log(
        `  save ${i + 1} (answered in ${s.answeredAt - s.sentAt} ms): (c) then served the old policy to ${v.staleAfter} of ${v.observedAfter} requests ` +
          `(${v.inFlightOld} old ones were in flight); the second instance switched ${s.bFirstNewMs === null ? 'never' : `after ${s.bFirstNewMs} ms`} ` +
          `(still old at ${s.bLastOldMs ?? '-'} ms)`,
      );
    }
    report.row({
      figure: '2 cache freshness',
      measure: "(c) old policy to a request sent after the save's response",
      value: `${sum('staleAfter')} of ${sum('observedAfter')} responses`,
      reference: `${sum('inFlightOld')} old ones in flight at the save`,
      goal: '0',
      met: complete && sum('staleAfter') === 0 && sum('unexpected') === 0,
    });
    report.row({
      figure: '2 cache freshness',
      measure: 'second instance serves the old policy for (worst case)',
      value: Number.isFinite(worst) ? `${round(worst / 1000, 2)} s (max of ${SAVES})` : 'never switched',
      reference: `cache.ttlMs ${CACHE_TTL_MS / 1000} s`,
      ratio: Number.isFinite(worst) ? `${(worst / CACHE_TTL_MS).toFixed(2)}x` : '',
      goal: '<= 5 s',
      met: worst <= CACHE_TTL_MS && Number(seen.regressions) === 0 && Number(seen.unexpected) === 0,
    });
    report.row({
      figure: '2 cache freshness',
      measure: '(c) under this (body-recording) load',
      value: `${Math.round(Number(load.rps))} req/s (p99 ${Number(load.p99)} ms)`,
    });
    report.figure('2-cache-freshness', {
      timing: 'each save is made right after the second instance has (re)loaded its snapshot: its worst case',
      saves: saves.map((s, i) => ({ ...s, oldBody: undefined, newBody: undefined, ...verdicts[i] })),
      staleAfterSave: sum('staleAfter'),
      observedAfterSave: sum('observedAfter'),
      inFlightOld: sum('inFlightOld'),
      unexpected: sum('unexpected'),
      secondInstanceWorstMs: Number.isFinite(worst) ? worst : null,
      secondInstanceMedianMs: switched.length ? median(switched) : null,
      secondInstancePollMs: POLL_MS,
      secondInstanceMaxPollGapMs: seen.maxGapMs,
      secondInstanceRegressions: seen.regressions,
      secondInstanceUnexpected: seen.unexpected,
      load: { rps: load.rps, requests: load.requests, recorded: load.recorded, p50Ms: load.p50, p99Ms: load.p99, non2xx: load.non2xx, errors: load.errors },
    });
  } finally {
    await b.child.stop();
  }
}
