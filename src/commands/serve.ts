// `mta-sts serve`: the standalone server. A thin adapter: settings in, src/server/ does the rest.
import { Command } from 'commander';
import { resolveServerSettings, type ServerFlags } from '../config/server-settings';
import { serveUntilSignalled } from '../server/run';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the standalone server: the policy file, the admin pages with the MTA-STS tab, the API, /healthz and metrics')
    .option('--port <n>', 'HTTP port (PORT; default 3000)')
    .option('--host <address>', 'address to listen on (HOST; default every address)')
    .option('--metrics-port <n>', 'a second port serving only /metrics (METRICS_PORT); without it /metrics needs the API key')
    .option('--metrics-host <address>', 'the address the metrics port listens on, without authentication (METRICS_HOST; default 127.0.0.1)')
    .option('--auth-header <name>', 'trust this login header (e.g. X-Remote-User) from --trusted-proxy (MTA_STS_AUTH_HEADER)')
    .option('--trusted-proxy <list>', 'reverse proxy addresses or CIDRs, comma-separated, whose X-Forwarded-* headers count (MTA_STS_TRUSTED_PROXY)')
    .option('--secure-cookies <yes|no>', "Secure __Host- cookies always, or never (MTA_STS_SECURE_COOKIES; default: over TLS, --acme's or a trusted proxy's)")
    .option('--embedded', "the database is the server's own: create and seed its demo domain tables (MTA_STS_EMBEDDED; default only without --database)")
    .option('--demo-domains <list>', 'domains seeded into a new embedded database (DEMO_DOMAINS)')
    .option('--dns-check-allow-addresses <list>', 'CIDRs the DNS Check may probe although special-purpose (DNS_CHECK_ALLOW_ADDRESSES)')
    .option('--acme', 'obtain certificates for every mta-sts.<domain> by ACME and serve HTTPS (MTA_STS_ACME); the key from MTA_STS_ACME_KEY')
    .option('--acme-directory <url>', "the CA's ACME directory URL (MTA_STS_ACME_DIRECTORY)")
    .option('--acme-email <address>', 'contact address for the CA (MTA_STS_ACME_EMAIL)')
    .option('--acme-accept-terms <yes|no>', "accept the CA's terms of service (MTA_STS_ACME_ACCEPT_TERMS); must be yes")
    .option('--acme-addresses <list>', "this server's public IP addresses; names pointing elsewhere are skipped (MTA_STS_ACME_ADDRESSES)")
    .option('--acme-directory-ca <file>', "extra CA (PEM) trusted for the directory's HTTPS, e.g. a test CA (MTA_STS_ACME_DIRECTORY_CA)")
    .option('--https-port <n>', 'HTTPS port with --acme (HTTPS_PORT; default 443); --port then answers challenges (80 in production)')
    .option('--dns-update <url>', 'publish the DNS records after each change: rfc2136://<server>[:<port>] or pdns+http(s)://<host>:<port> (MTA_STS_DNS_UPDATE)')
    .option('--dns-zones <list>', "the zones to update, comma-separated (MTA_STS_DNS_ZONES; default: each name's zone, from the server)")
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (LOG_LEVEL; default info)')
    .addHelpText(
      'after',
      '\nSecrets only from the environment or the config file, never flags: API_KEY, ADMIN_PASSWORD (first start of the embedded default), MTA_STS_ACME_KEY, MTA_STS_TSIG_KEY, MTA_STS_PDNS_API_KEY.',
    )
    .action(async (opts: ServerFlags) => {
      const settings = resolveServerSettings({ ...program.opts<ServerFlags>(), ...opts }, process.env);
      await serveUntilSignalled(settings);
    });
}
