// Figure 4's DNS Check of many domains, in a process of its own so that its memory is its own:
// a host with `domains` domains on SQLite, every one with an active policy, checked in ONE call of
// the library (`checkMany`, bounded concurrency, a progress callback) against loopback DNS.
// Reports the wall time and the peak memory (RSS and V8 heap, sampled every 10 ms).
import { getHeapStatistics } from 'node:v8';
import { createMtaSts } from '../../src';
import { MAIL_HOSTNAME, activateAll, domainNames, openKnex, seedHost } from '../lib/data';
import { childConfig, cpuUs, failChild, nowMs, tell } from '../lib/util';

export interface ManyCheckConfig {
  file: string;
  dnsServer: string;
  domains: number;
  concurrency: number;
}

async function main(): Promise<void> {
  const config = childConfig<ManyCheckConfig>();
  const knex = openKnex({ kind: 'sqlite', file: config.file });
  const names = domainNames(config.domains);
  await seedHost(knex, names);
  const mtaSts = createMtaSts({
    knex,
    mailHostname: MAIL_HOSTNAME,
    dns: { servers: [config.dnsServer], timeoutMs: 2000, retries: 1 },
    dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
  });
  await mtaSts.migrate();
  await activateAll(knex);

  global.gc?.();
  const heapUsed = () => getHeapStatistics().used_heap_size;
  const base = { rss: process.memoryUsage.rss(), heapUsed: heapUsed() };
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  // Sampled every 10 ms (cheap calls: process.memoryUsage() itself reads /proc and would cost more).
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakHeap = Math.max(peakHeap, heapUsed());
  };
  const sampler = setInterval(sample, 10);
  let progressCalls = 0;
  let lastDone = 0;
  let ordered = true;
  const cpu0 = cpuUs();
  const t0 = nowMs();
  const results = await mtaSts.checkMany(names, {
    concurrency: config.concurrency,
    onProgress: ({ done, total }) => {
      progressCalls += 1;
      if (done !== lastDone + 1 || total !== names.length) ordered = false;
      lastDone = done;
    },
  });
  const seconds = (nowMs() - t0) / 1000;
  const cpuSeconds = (cpuUs() - cpu0) / 1e6;
  clearInterval(sampler);
  sample();

  const statuses: Record<string, number> = {};
  let inOrder = true;
  results.forEach((result, i) => {
    if (result?.domain !== names[i]) inOrder = false;
    for (const check of result?.checks ?? []) statuses[`${check.name}:${check.status}`] = (statuses[`${check.name}:${check.status}`] ?? 0) + 1;
  });
  await knex.destroy();
  tell({
    type: 'result',
    seconds,
    cpuSeconds,
    domains: names.length,
    concurrency: config.concurrency,
    progressCalls,
    progressCounted: ordered,
    inOrder,
    statuses,
    baseRssMiB: base.rss / 2 ** 20,
    peakRssMiB: peakRss / 2 ** 20,
    baseHeapMiB: base.heapUsed / 2 ** 20,
    peakHeapMiB: peakHeap / 2 ** 20,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  });
  process.exit(0);
}

main().catch(failChild);
