// Server under test (c)/(d): the plugin mounted in the demo host (demo/app.ts createPanel), on
// SQLite or MariaDB, in a process of its own. Counts every database query with knex's `query`
// event and reports the count over IPC, so the bench can tell the queries per request.
import type { Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { createPanel } from '../../src/server/app';
import { DbSpec, activateAll, domainNames, openKnex, seedHost } from '../lib/data';
import { childConfig, cpuUs, failChild, serveUntilStopped, tell } from '../lib/util';

export interface PanelConfig {
  db: DbSpec;
  /** Host domains to create and give an active policy; 0 for a second instance on seeded data. */
  seedDomains: number;
  apiKey: string;
  adminPassword: string;
  /** The bench's loopback DNS server (`ip:port`): the tab asks it for the MX hosts, never the machine's resolver. */
  dnsServer: string;
}

async function main(): Promise<void> {
  const config = childConfig<PanelConfig>();
  const knex = openKnex(config.db);
  if (config.seedDomains > 0) await seedHost(knex, domainNames(config.seedDomains));
  const { app } = await createPanel({
    knex,
    mailHostname: 'mail.example.org',
    adminPassword: config.adminPassword,
    apiKey: config.apiKey,
    dnsServers: [config.dnsServer],
  });
  if (config.seedDomains > 0) await activateAll(knex);

  // Counted from here on: everything before is setup.
  let queries = 0;
  knex.on('query', () => {
    queries += 1;
  });

  // How long the event loop is held up (by a reload, GC, ...), reset by each `stats` request.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.keepAliveTimeout = 60_000;
  serveUntilStopped(
    async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await knex.destroy();
    },
    {
      stats: () => {
        tell({
          type: 'stats',
          queries,
          rss: process.memoryUsage().rss,
          cpuUs: cpuUs(),
          loopDelayMaxMs: loopDelay.max / 1e6,
          loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        });
        loopDelay.reset();
      },
    },
  );
  tell({ type: 'ready', port: (server.address() as AddressInfo).port });
}

main().catch(failChild);
