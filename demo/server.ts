// The demo host panel's entry point: the only place that reads the environment.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { Knex } from 'knex';
import { parseCidrs } from '../src/probes';
import { createPanel } from './app';

function database(url: string | undefined): Knex {
  if (!url || url.startsWith('sqlite:')) {
    const file = resolve(url ? url.slice('sqlite:'.length) : 'data/panel.sqlite');
    mkdirSync(dirname(file), { recursive: true });
    return knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    return knexFactory({ client: 'mysql2', connection: url.replace(/^mariadb:/, 'mysql:') });
  }
  throw new Error(`DATABASE_URL must start with sqlite: or mysql:// (got "${url}")`);
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(/[\s,]+/).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

/** A bad setting: said in one sentence, exit code 2 (usage error), no stack trace. */
class ConfigError extends Error {}

/**
 * DNS_CHECK_ALLOW_ADDRESSES: comma-separated CIDRs the DNS Check may probe although they are
 * loopback, private or otherwise special-purpose (the plugin's dnsCheck.allowAddresses). Empty by
 * default, so a domain's DNS cannot aim the check into the network the panel runs in.
 */
function allowAddresses(value: string | undefined): string[] {
  const items = (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  try {
    parseCidrs(items, 'DNS_CHECK_ALLOW_ADDRESSES');
  } catch (err) {
    const bad = /\(got (.*)\)$/.exec((err as Error).message)?.[1] ?? '';
    throw new ConfigError(`DNS_CHECK_ALLOW_ADDRESSES must be a comma-separated list of CIDR ranges such as 10.0.0.0/8,fd00::/8 (${bad} is not one).`);
  }
  return items;
}

/**
 * REPORTS_IMAP_URL (imaps://user@host:port/mailbox): fetch TLS report mails from that mailbox every
 * 5 minutes, moving them to REPORTS_IMAP_DONE (else marking them seen); the password from
 * REPORTS_IMAP_PASSWORD, as the command's MTA_STS_IMAP_PASSWORD.
 */
function reportsImap(env: NodeJS.ProcessEnv): { reports: { imap: { url: string; password: string; doneMailbox?: string } } } | Record<string, never> {
  if (!env.REPORTS_IMAP_URL) return {};
  const password = env.REPORTS_IMAP_PASSWORD ?? env.MTA_STS_IMAP_PASSWORD ?? '';
  if (password === '') throw new ConfigError('REPORTS_IMAP_URL is set, so REPORTS_IMAP_PASSWORD must be too.');
  return { reports: { imap: { url: env.REPORTS_IMAP_URL, password, ...(env.REPORTS_IMAP_DONE ? { doneMailbox: env.REPORTS_IMAP_DONE } : {}) } } };
}

async function main(): Promise<void> {
  const env = process.env;
  const allowed = allowAddresses(env.DNS_CHECK_ALLOW_ADDRESSES);
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number (got "${env.PORT}")`);
  const generated = !env.ADMIN_PASSWORD;
  const adminPassword = env.ADMIN_PASSWORD || randomBytes(9).toString('base64url');
  const knex = database(env.DATABASE_URL);
  const imap = reportsImap(env);
  // The plugin names a bad reports.imap option (from REPORTS_IMAP_*) in a TypeError: a setting, like the others.
  const panel = await createPanel({
    knex,
    ...imap,
    mailHostname: env.MAIL_HOSTNAME || 'mail.example.org',
    adminPassword,
    apiKey: env.API_KEY || undefined,
    dnsServers: list(env.DNS_SERVERS),
    demoDomains: list(env.DEMO_DOMAINS),
    ...(allowed.length > 0 ? { dnsCheck: { allowAddresses: allowed } } : {}),
  }).catch((err: unknown) => {
    if (err instanceof TypeError && err.message.startsWith('options.reports.imap')) throw new ConfigError(`REPORTS_IMAP_*: ${err.message}`);
    throw err;
  });
  const { app, mtaSts } = panel;
  const server = app.listen(port, () => {
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    console.log(`Demo mail panel: http://localhost:${actual}/`);
    console.log(`Log in as admin with password ${generated ? `${adminPassword} (generated; set ADMIN_PASSWORD to choose one)` : 'from ADMIN_PASSWORD'}`);
    console.log(`Policy file: curl -H 'Host: mta-sts.<domain>' http://localhost:${actual}/.well-known/mta-sts.txt`);
    console.log(env.API_KEY ? `JSON API at /api/v1/mta-sts (header X-API-Key)` : 'JSON API closed (set API_KEY to open it)');
  });
  // The mailbox poller, when REPORTS_IMAP_URL names one: stopped (a poll in progress finished) before the database closes.
  mtaSts.reportFetcher?.start();
  if (mtaSts.reportFetcher) console.log(`TLS reports fetched from ${env.REPORTS_IMAP_URL} every 5 minutes`);
  const stop = () => server.close(() => void Promise.resolve(mtaSts.reportFetcher?.stop()).then(() => knex.destroy().then(() => process.exit(0))));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
