// Figure 6's scheduled DNS Check of many domains, in a process of its own so that its memory is
// its own: a host with `domains` domains on SQLite, every one with an active policy, checked by
// one `runScheduledChecks()` (page by page, results stored) against loopback DNS. Reports the
// wall time and the peak memory (RSS and V8 heap, sampled every 10 ms).
import { getHeapStatistics } from 'node:v8';
import { createMtaSts } from '../../src';
import { MAIL_HOSTNAME, activateAll, domainNames, openKnex, seedHost } from '../lib/data';
import { childConfig, failChild, nowMs, tell } from '../lib/util';

export interface FleetCheckConfig {
  file: string;
  dnsServer: string;
  domains: number;
  concurrency: number;
}

async function main(): Promise<void> {
  const config = childConfig<FleetCheckConfig>();
  const knex = openKnex({ kind: 'sqlite', file: config.file });
  await seedHost(knex, domainNames(config.domains));
  const mtaSts = createMtaSts({
    knex,
    mailHostname: MAIL_HOSTNAME,
    dns: { servers: [config.dnsServer], timeoutMs: 2000, retries: 1 },
    dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
    scheduler: { concurrency: config.concurrency },
  });
  await mtaSts.migrate();
  await activateAll(knex);
  global.gc?.();
  const heapUsed = () => getHeapStatistics().used_heap_size;
  const base = { rss: process.memoryUsage.rss(), heapUsed: heapUsed() };
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, heapUsed());
  }, 10);
  const t0 = nowMs();
  const summary = await mtaSts.runScheduledChecks();
  const seconds = (nowMs() - t0) / 1000;
  clearInterval(sampler);
  const [{ stored }] = await knex('mta_sts_last_checks').whereNotNull('result').count<Array<{ stored: unknown }>>({ stored: '*' });
  await knex.destroy();
  tell({
    type: 'result',
    seconds,
    checked: summary.checked,
    stored: Number(stored),
    baseRssMiB: base.rss / 2 ** 20,
    peakRssMiB: peakRss / 2 ** 20,
    baseHeapMiB: base.heapUsed / 2 ** 20,
    peakHeapMiB: peakHeap / 2 ** 20,
  });
  process.exit(0);
}

main().catch(failChild);
