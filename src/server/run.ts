// Starting and stopping the standalone server: the database, the app, the listening sockets, the
// logs, and a drain on SIGTERM/SIGINT. `mta-sts serve` calls this with validated settings.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { checkConnection, openDatabase } from '../config/database';
import { commandName } from './command-name';
import { missingHostPartError } from '../config/cli-settings';
import { ConfigError } from '../config/errors';
import { reportSettingError } from '../config/report-settings';
import type { ServerSettings } from '../config/server-settings';
import type { Logger } from '../logger';
import type { Server as HttpsServer } from 'node:https';
import { publisherFor } from '../publish';
import { missingHostParts } from '../service';
import { createAcmeParts } from './acme';
import { createPanel } from './app';
import { passwordFilePath, writePasswordFile } from './first-password';
import { Metrics } from './metrics';
import { failureCode, isOutage } from './outage';
import { installProcessGuard } from './process-guard';
import { requestLog } from './request-log';

/**
 * How long the server's statements wait for another process's lock on a SQLite file (the CLI, a
 * backup). better-sqlite3 waits synchronously: with its default of 5 s, every request carrying a
 * login cookie held the whole process, the policy file too, for 5 s while the file was locked.
 * 100 ms outlasts another writer's commit; the plugin uses the same bound for its statements.
 */
const SQLITE_BUSY_MS = 100;

export interface RunningServer {
  url: string;
  metricsUrl: string | null;
  /** Stops accepting, lets in-flight requests finish (at most drainSeconds), closes the database. */
  stop(): Promise<void>;
}

/**
 * The plugin's logger, fed into pino: the plugin's messages land in the same structured log. A
 * database that does not answer is not a bug: its error is logged without a stack trace (one per
 * failed request would bury the log during an outage), with its code and first line.
 */
function pluginLogger(log: pino.Logger): Logger {
  const outage = (err: Error) => ({
    failure: { type: err.name, code: failureCode(err), message: err.message.split('\n')[0].slice(0, 500) },
  });
  const detail = (value: unknown) =>
    value instanceof Error ? (isOutage(value) ? outage(value) : { err: value }) : value === undefined ? {} : { detail: value };
  return {
    error: (message, value) => log.error(detail(value), message),
    warn: (message, value) => log.warn(detail(value), message),
    info: (message, value) => log.info(detail(value), message),
  };
}

/**
 * Knex's own messages (a connection lost, an acquire that failed) into the structured log: one
 * line each, without the stack trace Knex prints to the console by default.
 */
function knexLog(log: pino.Logger): NonNullable<Parameters<typeof openDatabase>[2]>['log'] {
  const line = (message: unknown) =>
    String(message instanceof Error ? `${message.name}: ${message.message}` : message)
      .split('\n')[0]
      .slice(0, 200);
  return {
    warn: (message: unknown) => log.warn({ code: 'MTA_STS_KNEX' }, line(message)),
    error: (message: unknown) => log.error({ code: 'MTA_STS_KNEX' }, line(message)),
    deprecate: (method: unknown, alternative: unknown) => log.warn({ code: 'MTA_STS_KNEX' }, `${String(method)} is deprecated: ${String(alternative)}`),
    debug: () => undefined,
  };
}

export async function startServer(settings: ServerSettings, out: NodeJS.WritableStream = process.stdout): Promise<RunningServer> {
  // JSON lines on stdout; secrets never reach it: the request log keeps no headers but the host, no bodies.
  const log = pino({ level: settings.logLevel, base: { service: 'mta-sts' } });
  const { knex, target } = openDatabase(settings.database, 'database', {
    sqliteBusyMs: SQLITE_BUSY_MS,
    log: knexLog(log),
    // Only the server's own database is created when missing; a panel's must exist.
    createSqlite: settings.embedded,
  });
  try {
    await checkConnection(knex, target);
    // Every table and column the settings name, before anything reads them: a wrong preset or
    // mapping is one sentence naming the flag that changes it, not a server that serves nothing.
    // The embedded default creates its own tables (./host-schema.ts).
    if (!settings.embedded) {
      const [missing] = await missingHostParts(knex, settings.schema);
      if (missing) throw missingHostPartError(missing, target.display, "the server never creates a panel's domain table");
    }
    const generated = settings.embedded && settings.adminPassword === undefined;
    const adminPassword = settings.adminPassword ?? (settings.embedded ? randomBytes(12).toString('base64url') : undefined);
    const metrics = new Metrics();
    // One line per request (request id, method, path, host, status, duration, address), nothing
    // from its headers or body: secrets never reach the log.
    const requestLogger = requestLog(log);
    const panel = await createPanelNamingSettings({
      knex,
      mailHostname: settings.mailHostname,
      adminPassword,
      embedded: settings.embedded,
      schema: settings.schema,
      demoDomains: settings.demoDomains,
      apiKey: settings.apiKey,
      dnsServers: settings.dnsServers,
      ...(settings.dnsCheckAllowAddresses.length > 0 ? { dnsCheck: { allowAddresses: settings.dnsCheckAllowAddresses } } : {}),
      reports: { ...settings.reports.options, ...(settings.reportsImap ? { imap: settings.reportsImap } : {}) },
      ...(settings.checkIntervalMinutes > 0
        ? { scheduler: { intervalMs: settings.checkIntervalMinutes * 60_000, leaseMs: settings.checkLeaseSeconds * 1000 } }
        : {}),
      alerts: settings.alerts,
      ...(settings.delegation ? { delegation: settings.delegation } : {}),
      secureCookies: settings.secureCookies,
      trustedProxies: settings.trustedProxies,
      authHeader: settings.authHeader,
      logger: pluginLogger(log),
      metrics,
      metricsOnApi: settings.metricsPort === null,
      requestLogger,
    });
    // The generated password: never on stdout, which a journal or container log keeps, but in a file
    // only this user can read; written before listening, so that a failure stops the start.
    const passwordFile = panel.createdAdmin && generated ? passwordFilePath(target) : null;
    if (passwordFile !== null && adminPassword !== undefined) writePasswordFile(passwordFile, adminPassword);
    // With --acme the main port answers the policy file and the CA's challenges and redirects the
    // rest to the HTTPS port, where the panel is served with the certificates the client obtains.
    const acme = settings.acme ? createAcmeParts({ ...settings, acme: settings.acme }, knex, panel, pluginLogger(log)) : null;
    const server = createServer(acme ? acme.httpApp : panel.app);
    await listen(server, settings.port, settings.host, 'port');
    // The mailbox of TLS report mails, when one is configured: polled every 5 minutes.
    panel.mtaSts.reportFetcher?.start();
    // Old reports, and the oldest beyond the cap, deleted every MTA_STS_REPORTS_PRUNE_MINUTES: the first run now.
    const pruner = settings.reports.pruneMinutes > 0 ? startPruning(() => panel.mtaSts.pruneReports(), settings.reports.pruneMinutes, pluginLogger(log)) : null;
    // The scheduled DNS Check of every served domain, and its alerts: the first run now.
    const scheduler = settings.checkIntervalMinutes > 0 ? panel.mtaSts.createScheduler() : null;
    scheduler?.start();
    if (scheduler) metrics.schedulerActive(() => scheduler.active);
    // The DNS records after each change, and their drift repair, by the holder of the `dns-publish` lease.
    const publishing = settings.dnsUpdate
      ? panel.mtaSts.createDnsPublishing(publisherFor(settings.dnsUpdate), {
          repairMs: Math.round(settings.dnsRepairMinutes * 60_000),
          leaseMs: settings.checkLeaseSeconds * 1000,
        })
      : null;
    publishing?.start();
    if (acme && settings.acme) {
      await listen(acme.https, settings.acme.httpsPort, settings.host, 'httpsPort');
      acme.certs.start();
    }
    let metricsServer: Server | null = null;
    if (settings.metricsPort !== null) {
      metricsServer = createServer((req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: metrics are at /metrics\n');
          return;
        }
        metrics.registry
          .metrics()
          .then((text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text))
          .catch(() => res.writeHead(500).end());
      });
      // Loopback unless --metrics-host opens it: the metrics port has no authentication.
      await listen(metricsServer, settings.metricsPort, settings.metricsHost, 'metricsPort');
    }
    const port = (server.address() as AddressInfo).port;
    const httpsPort = acme ? (acme.https.address() as AddressInfo).port : null;
    const url = httpsPort === null ? `http://localhost:${port}/` : `https://localhost:${httpsPort}/`;
    const metricsAddress = metricsServer ? (metricsServer.address() as AddressInfo) : null;
    const metricsUrl = metricsAddress
      ? `http://${metricsAddress.family === 'IPv6' ? `[${metricsAddress.address}]` : metricsAddress.address}:${metricsAddress.port}/metrics`
      : null;
    // For the person starting it: plain lines on stdout, as the demo always printed them.
    out.write(`MTA-STS server: ${url}\n`);
    if (passwordFile !== null) {
      out.write(
        `Log in as admin with the generated password in ${passwordFile} (readable only by this user; change it with \`${commandName()} admin passwd admin\`, then delete the file)\n`,
      );
      if ((out as { isTTY?: boolean }).isTTY === true) out.write(`The generated password, shown once on this terminal: ${adminPassword}\n`);
    } else if (panel.createdAdmin) {
      out.write('Log in as admin with the password from ADMIN_PASSWORD\n');
    } else if ((await panel.accounts.count()) === 0 && !settings.authHeader) {
      out.write(`No account yet: create one with \`${commandName()} admin add <user>\`\n`);
    }
    out.write(`Policy file: curl -H 'Host: mta-sts.<domain>' http://localhost:${port}/.well-known/mta-sts.txt\n`);
    out.write(settings.apiKey ? 'JSON API at /api/v1/mta-sts (header X-API-Key)\n' : 'JSON API closed (set API_KEY to open it)\n');
    out.write(
      metricsUrl
        ? `Metrics: ${metricsUrl}\n`
        : settings.apiKey
          ? 'Metrics at /metrics (header X-API-Key)\n'
          : 'Metrics closed (set API_KEY or --metrics-port)\n',
    );
    if (httpsPort !== null)
      out.write(`ACME: certificates for every mta-sts.<domain> with a policy, from ${settings.acme?.directoryUrl}; HTTP on ${port} answers challenges\n`);
    if (scheduler)
      out.write(
        `DNS Check of every served domain every ${settings.checkIntervalMinutes} minutes${settings.alerts.email || settings.alerts.webhook ? ', with alerts' : ''}\n`,
      );
    if (settings.reportsImap) out.write(`TLS reports fetched from ${settings.reportsImap.url} every 5 minutes\n`);
    if (pruner) out.write(`Stored TLS reports pruned every ${settings.reports.pruneMinutes} minutes\n`);
    if (settings.dnsUpdate)
      out.write(
        `DNS records published to ${settings.dnsUpdate.display} after each change${settings.dnsRepairMinutes > 0 ? `, repaired every ${settings.dnsRepairMinutes} minutes` : ''}\n`,
      );
    log.info({ database: target.display, preset: settings.preset, embedded: settings.embedded, port, httpsPort }, 'started');
    // From now on no dependency's rejection or throwing callback ends the process (see process-guard.ts).
    const removeGuard = installProcessGuard(log);

    let stopping: Promise<void> | null = null;
    const stop = () =>
      (stopping ??= (async () => {
        log.info('stopping: draining in-flight requests');
        await acme?.certs.stop();
        // A poll in progress finishes before the database closes.
        await panel.mtaSts.reportFetcher?.stop();
        // A run in progress finishes its current page first.
        await scheduler?.stop();
        await publishing?.stop();
        await pruner?.stop();
        const closed = Promise.all([close(server), metricsServer ? close(metricsServer) : Promise.resolve(), acme ? close(acme.https) : Promise.resolve()]);
        // Idle keep-alive connections would hold close() open; in-flight requests are left to finish.
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), settings.drainSeconds * 1000);
        await closed;
        clearTimeout(timer);
        panel.close();
        await knex.destroy();
        removeGuard();
        log.info('stopped');
        log.flush();
      })());
    return { url, metricsUrl, stop };
  } catch (err) {
    await knex.destroy();
    throw err;
  }
}

/** The plugin names a bad `reports.imap` (from REPORTS_IMAP_*) in a TypeError: said as the setting it came from. */
async function createPanelNamingSettings(options: Parameters<typeof createPanel>[0]): ReturnType<typeof createPanel> {
  try {
    return await createPanel(options);
  } catch (err) {
    if (err instanceof TypeError && err.message.startsWith('options.reports.imap')) {
      throw new ConfigError('reportsImapUrl', `(REPORTS_IMAP_URL) is not usable: ${err.message}`);
    }
    const reportSetting = reportSettingError(err);
    if (reportSetting) throw reportSetting;
    if (err instanceof TypeError && err.message.startsWith('options.alerts')) {
      throw new ConfigError('alerts', `(MTA_STS_ALERT_*) are not usable: ${err.message}`);
    }
    throw err;
  }
}

/** Prunes now and every `minutes`, one run at a time; a failed run is logged and tried again next time. */
function startPruning(prune: () => Promise<number>, minutes: number, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const run = () => {
    // A run longer than the interval is not joined by a second one.
    running ??= prune()
      .then(
        (deleted) => {
          if (deleted > 0) logger.info(`pruned ${deleted} stored TLS reports`);
        },
        (err: unknown) => logger.error(`pruning the stored TLS reports failed; trying again in ${minutes} minutes`, err),
      )
      .finally(() => (running = null));
  };
  run();
  const timer = setInterval(run, minutes * 60_000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

function listen(server: Server, port: number, host: string | undefined, setting: 'port' | 'metricsPort' | 'httpsPort'): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ConfigError(setting, `${port} cannot be used (${err.code ?? err.message}): another program listens there, or it needs privileges`)),
    );
    server.listen(port, host, () => resolve());
  });
}

function close(server: Server | HttpsServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Runs until SIGTERM or SIGINT, then drains and exits 0. The handlers are installed before the
 * server starts, so a signal during start-up (a supervisor stopping it at once) still drains.
 */
export async function serveUntilSignalled(settings: ServerSettings): Promise<void> {
  let signalled: () => void = () => undefined;
  const signal = new Promise<void>((resolve) => (signalled = resolve));
  const onSignal = () => signalled();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const running = await startServer(settings);
    await signal;
    await running.stop().catch(() => undefined);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
