// Server under test for figure 9: the plugin alone in a bare Express app (`app.use(mtaSts.wellKnown)`,
// nothing else mounted), on SQLite, in a process of its own: what the plugin costs without the
// standalone server's machinery around it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createMtaSts } from '../../src/index';
import { DbSpec, MAIL_HOSTNAME, activateAll, domainNames, openKnex, seedHost } from '../lib/data';
import { childConfig, cpuUs, failChild, serveUntilStopped, tell } from '../lib/util';

export interface PluginConfig {
  db: DbSpec;
  seedDomains: number;
}

async function main(): Promise<void> {
  const config = childConfig<PluginConfig>();
  const knex = openKnex(config.db);
  await seedHost(knex, domainNames(config.seedDomains));
  // The plugin's defaults: the demo host's `domain` table, its `domain` and `active` columns.
  const mtaSts = createMtaSts({
    knex,
    mailHostname: MAIL_HOSTNAME,
    domainActiveColumn: 'active',
    logger: { error: () => undefined, warn: () => undefined, info: () => undefined },
  });
  await mtaSts.migrate();
  await activateAll(knex);
  const app = express();
  app.use(mtaSts.wellKnown);
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
      stats: () => tell({ type: 'stats', queries: 0, rss: process.memoryUsage().rss, cpuUs: cpuUs() }),
    },
  );
  tell({ type: 'ready', port: (server.address() as AddressInfo).port });
}

main().catch(failChild);
