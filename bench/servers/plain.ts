// Reference servers, each in a process of its own:
//   ceiling:   a bare Express app answering the policy as a constant string at the policy path;
//   static:    express.static serving the same policy from a file (what the plugin replaces);
//   pino-http: the ceiling with pino-http mounted first, as its README shows it, logging every
//              request at info into a file (what `mta-sts serve` logged with until issue 19).
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { POLICY_PATH, POLICY_TEXT } from '../lib/data';
import { childConfig, cpuUs, failChild, serveUntilStopped, tell } from '../lib/util';

export interface PlainConfig {
  kind: 'ceiling' | 'static' | 'pino-http';
  /** For `static`: the web root to create, holding .well-known/mta-sts.txt. */
  webRoot?: string;
  /** For `pino-http`: the file the log lines go to (as a supervisor redirects stdout to one). */
  logFile?: string;
}

async function main(): Promise<void> {
  const config = childConfig<PlainConfig>();
  const app = express();
  if (config.kind === 'pino-http') app.use(pinoHttp({ logger: pino(pino.destination({ dest: config.logFile as string, sync: true })) }));
  if (config.kind === 'ceiling' || config.kind === 'pino-http') {
    app.get(POLICY_PATH, (_req, res) => {
      res.type('text/plain; charset=utf-8').send(POLICY_TEXT);
    });
  } else {
    const root = config.webRoot as string;
    mkdirSync(join(root, '.well-known'), { recursive: true });
    writeFileSync(join(root, '.well-known', 'mta-sts.txt'), POLICY_TEXT);
    app.use(express.static(root, { dotfiles: 'allow' }));
  }
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.keepAliveTimeout = 60_000;
  serveUntilStopped(
    async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    {
      stats: () => tell({ type: 'stats', queries: 0, rss: process.memoryUsage().rss, cpuUs: cpuUs() }),
    },
  );
  tell({ type: 'ready', port: (server.address() as AddressInfo).port });
}

main().catch(failChild);
