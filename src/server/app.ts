// The standalone server's web app: the policy file, a login, a domain list and a domain edit page
// with the MTA-STS tab, health and metrics. It grew out of the demo host panel and is still one:
// it uses the plugin exactly as any host does, through createMtaSts and its hooks (./plugin.ts).
// This file is the wiring: the stores, then every mount in its order; the routes are in
// ./login-routes.ts, ./domain-routes.ts and ./error-pages.ts.
import { join } from 'node:path';
import express, { RequestHandler } from 'express';
import type { Knex } from 'knex';
import { API_PATH, MtaSts, MtaStsOptions } from '../index';
import { missingHostPartError } from '../config/cli-settings';
import { presetSchema, type SchemaMapping } from '../config/presets';
import { consoleLogger, type Logger } from '../logger';
import { resolveOptions } from '../options';
import { DEFAULT_TABLE_PREFIX, storageOptions } from '../options/storage';
import { missingHostParts, MtaStsService } from '../service';
import { BoundedDb } from '../service/database';
import { Accounts } from './accounts';
import { createPanelCsrf, type CookieSecurity } from './cookies';
import { addDomainRoutes, domainPageRenderer } from './domain-routes';
import { addErrorPages } from './error-pages';
import { healthHandler } from './health';
import { HostDomains } from './host-domains';
import { migrateHost, seedDomains } from './host-schema';
import { languageSwitch } from './i18n';
import { LoginLimit } from './login-limit';
import { addLoginRoutes, endRemovedAccounts } from './login-routes';
import { hsts, pageHeaders } from './headers';
import { Metrics } from './metrics';
import { pageRenderer, VIEWS } from './pages';
import { ApiKey, createPanelPlugin, type PassedOn } from './plugin';
import { serverSecret } from './secrets';
import { migrateServerTables } from './server-schema';
import { Sessions } from './sessions';

/** The server's settings; those it passes to the plugin as they are come from `PassedOn` (./plugin.ts). */
export interface PanelOptions extends PassedOn {
  knex: Knex;
  mailHostname: string;
  /** Creates the account `admin` with this password when there is no account yet (the embedded default's first start). */
  adminPassword?: string;
  /**
   * The embedded default: create the demo's own domain tables and seed them. False when attached
   * to a panel's database: its domain table is the panel's, never created or seeded here.
   */
  embedded?: boolean;
  /** Where the panel keeps its domains (default: the embedded tables, mailcow-shaped). */
  schema?: SchemaMapping;
  /** Prefix of the plugin's own tables (accounts, sessions, secrets, history...). Default `mta_sts_`. */
  tablePrefix?: string;
  /** Reverse proxies (addresses or CIDRs) whose X-Forwarded-* and login header are believed. */
  trustedProxies?: string[];
  /** The header a trusted proxy names the logged-in user in, e.g. `X-Remote-User`. */
  authHeader?: string | null;
  logger?: Logger;
  metrics?: Metrics;
  /** Serve /metrics behind the API key (when no separate metrics port is used). */
  metricsOnApi?: boolean;
  /** The request log (./request-log.ts) or another, mounted first. */
  requestLogger?: RequestHandler;
  /** Without one, the JSON API is closed. */
  apiKey?: string;
  /** Domains seeded into an empty domain table. */
  demoDomains?: string[];
  /**
   * Cookies `Secure` and `__Host-` prefixed, and HSTS. Default 'auto': when the request came over
   * TLS (directly, or as a trusted proxy's X-Forwarded-Proto says); true always; false never.
   */
  secureCookies?: CookieSecurity;
}

export interface Panel {
  app: express.Express;
  mtaSts: MtaSts;
  accounts: Accounts;
  metrics: Metrics;
  /** True when this start created the account `admin` (print its password). */
  createdAdmin: boolean;
  /** Stops the session store's clean-up timer (the Knex instance is the caller's). */
  close(): void;
}

const BOOTSTRAP = join(require.resolve('bootstrap/package.json'), '..', 'dist');

/** How long a policy request waits for the database before the last known good answers. */
const POLICY_WAIT_MS = 200;

/** The server's app: a login, a domain list and a domain edit page with the MTA-STS tab. */
export async function createPanel(options: PanelOptions): Promise<Panel> {
  const { knex } = options;
  const schema = options.schema ?? presetSchema('default');
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  const logger = options.logger ?? consoleLogger;
  const metrics = options.metrics ?? new Metrics();
  const secure = options.secureCookies ?? 'auto';

  // Only the embedded default has tables of its own to create; a panel's are the panel's.
  if (options.embedded !== false) {
    await migrateHost(knex, prefix);
    await seedDomains(knex, options.demoDomains ?? ['example.org', 'example.net']);
  }
  const domains = await HostDomains.open(knex, schema);
  // Where the plugin finds the domains and keeps its own tables: the same for the migration and the plugin.
  const storage = { ...storageOptions(knex, schema, prefix), mailHostname: options.mailHostname, logger };
  const resolved = resolveOptions(storage);
  await MtaStsService.fromOptions(resolved).schema.migrate();
  // The server's own tables (accounts, sessions, secrets, failed logins): its own chain, not the library's.
  await migrateServerTables(knex, prefix);
  const secrets = `${prefix}server_secrets`;
  const [sessionSecret, loginSecret, tabSecret] = await Promise.all(['session', 'login-csrf', 'tab-csrf'].map((name) => serverSecret(knex, secrets, name)));
  // The public login's queries under the plugin's deadline, the same as its own (503 past it).
  const bounded = new BoundedDb(knex, resolved.database.timeoutMs);
  const accounts = new Accounts(knex, `${prefix}users`, bounded);
  let createdAdmin = false;
  if (options.adminPassword !== undefined && (await accounts.count()) === 0) {
    try {
      await accounts.add('admin', options.adminPassword);
      createdAdmin = true;
    } catch (err) {
      // Two servers started at once on a new database: the other one created it a moment before.
      if (!(await accounts.exists('admin'))) throw err;
    }
  }
  const sessions = new Sessions({
    knex,
    table: `${prefix}sessions`,
    secret: sessionSecret,
    secure,
    logger,
    authHeader: options.authHeader ?? null,
  });
  const panelCsrf = createPanelCsrf({ secure, secret: loginSecret, sessionId: (req) => sessions.id(req) });
  const logins = new LoginLimit(knex, `${prefix}login_failures`, Date.now, bounded);
  const page = pageRenderer(sessions, panelCsrf);
  const domainPage = domainPageRenderer(domains, page);
  const apiKey = new ApiKey(options.apiKey);
  const base: MtaStsOptions = {
    ...storage,
    observer: metrics.observer(),
    // The policy file answers within 250 ms while the database is cut: an expired snapshot waits
    // this long for its renewal, then the last known good answers (the plugin's default is 1 s).
    cache: { waitMs: POLICY_WAIT_MS },
  };
  const { mtaSts, markApi } = createPanelPlugin({ base, passedOn: options, tabSecret, secure, sessions, apiKey, page, domainPage });

  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For/-Proto believed only from the configured proxies (req.ip, req.secure).
  app.set('trust proxy', options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false);

  // ---- Request logging and metrics: mounted here and nowhere else, before everything they measure.
  if (options.requestLogger) app.use(options.requestLogger);
  app.use(metrics.countPolicyResponses);
  // ---- End of request logging and metrics.

  app.use(hsts(secure));
  // The policy file first: the stale static file in public/ must never be served again.
  app.use(mtaSts.wellKnown);
  // Degraded while a table or column the settings name is missing: in the sentence `serve` refuses to start with.
  const schemaProblem = async () => {
    const [missing] = await missingHostParts(knex, schema);
    return missing ? missingHostPartError(missing, 'the database', "the server never creates a panel's domain table").message : null;
  };
  app.get('/healthz', healthHandler(knex, `${prefix}sessions`, metrics, schemaProblem));
  if (options.metricsOnApi) {
    app.get('/metrics', (req, res, next) => {
      if (!apiKey.valid(req)) return res.status(req.get('x-api-key') === undefined ? 401 : 403).json({ error: 'an X-API-Key is required for /metrics' });
      metrics.registry
        .metrics()
        .then((text) => res.type(metrics.registry.contentType).send(text))
        .catch(next);
    });
  }
  app.use(express.static(join(VIEWS, 'public'), { dotfiles: 'allow' }));
  app.use('/assets/bootstrap', express.static(BOOTSTRAP));
  app.use(pageHeaders);
  app.use(sessions.middleware);
  app.use(endRemovedAccounts(accounts));
  app.use(express.urlencoded({ extended: false, limit: '8kb' }));

  addLoginRoutes(app, { accounts, sessions, logins, metrics, panelCsrf, page });
  addDomainRoutes(app, { mtaSts, domains, sessions, panelCsrf, page, domainPage });
  app.post('/language', languageSwitch(secure));
  app.use('/mta-sts', mtaSts.admin);
  app.use(API_PATH, markApi, mtaSts.api);
  app.use(mtaSts.mounts.find((m) => m.export === 'openapi')?.path ?? '/api/v1/openapi.json', mtaSts.openapi);
  // The public TLS report intake (before the 404), at the path of reports.intakeUrl.
  app.use(mtaSts.mounts.find((m) => m.export === 'tlsrpt')?.path ?? '/tlsrpt/v1', mtaSts.tlsrpt);
  const jsonPaths = mtaSts.mounts.filter((m) => m.export === 'api' || m.export === 'tlsrpt').map((m) => m.path);
  addErrorPages(app, { logger, page, jsonPaths });
  return { app, mtaSts, accounts, metrics, createdAdmin, close: () => sessions.close() };
}
