// What every command that touches the database shares: the settings, one Knex instance, the
// service over it, and a clean close. Commands are thin: the rules live in the service.
import { userInfo } from 'node:os';
import type { Knex } from 'knex';
import { checkConnection, openDatabase } from '../config/database';
import { ConfigError } from '../config/errors';
import { publisherFor } from '../publish';
import { configuredTarget } from './publish-target';
import { attachedToPanel, missingHostPartError, requireMailHostname, resolveSettings, type SettingFlags, type Settings } from '../config/cli-settings';
import type { Logger } from '../logger';
import { resolveOptions } from '../options';
import { storageOptions } from '../options/storage';
import { MtaStsService, type Audit } from '../service';

export interface Runtime {
  settings: Settings;
  knex: Knex;
  /** The database as the command names it in a sentence (no password). */
  target: string;
  service: MtaStsService;
  close(): Promise<void>;
}

/** Changes made from the command line are recorded under the system user who ran it. */
export function cliAudit(source: Audit['source']): Audit {
  let actor: string | null = null;
  try {
    actor = `${userInfo().username}@cli`;
  } catch {
    // No user name (a container without /etc/passwd entry): recorded without one.
  }
  return { actor, source, origin: null };
}

/** Messages for the person at the terminal go to stderr, so that stdout stays for results (--json). */
export const stderrLogger: Logger = {
  error: (message, detail) => process.stderr.write(`error: ${message}${detail instanceof Error ? `: ${detail.message}` : ''}\n`),
  warn: (message) => process.stderr.write(`warning: ${message}\n`),
  info: (message) => process.stderr.write(`${message}\n`),
};

/**
 * Knex's own messages, which it prints on stdout by default (with a stack trace), go to stderr as
 * one line each, so that stdout stays for results. A failed acquire is left out: the query that
 * waited for it fails too, and the command says why in its one sentence.
 */
export const cliKnexLog: NonNullable<Parameters<typeof openDatabase>[2]>['log'] = {
  warn: (message: unknown) => {
    const text = knexLine(message);
    if (!text.startsWith('Acquire connection error')) stderrLogger.warn(text);
  },
  error: (message: unknown) => stderrLogger.error(knexLine(message)),
  deprecate: (method: unknown, alternative: unknown) => stderrLogger.warn(`${String(method)} is deprecated: ${String(alternative)}`),
  debug: () => undefined,
};

function knexLine(message: unknown): string {
  return String(message instanceof Error ? `${message.name}: ${message.message}` : message)
    .split('\n')[0]
    .slice(0, 200);
}

/** What a command needs: the plugin's columns (default) or only the host's table; the DNS Check's network probes or not. */
export interface RuntimeNeeds {
  columns?: boolean;
  probes?: boolean;
  /** The command prints records or runs DNS Checks: on a panel's database it needs the real mail host name. */
  mailHostname?: boolean;
  /** false: only the domain table must exist; the command reports the other missing tables and columns itself (`status`). */
  hostSchema?: boolean;
}

/**
 * Opens the database and checks, before any command runs, that it holds the domain table the
 * settings name and (unless the command creates them) the plugin's columns, so that a wrong preset
 * or a missing migration is one sentence rather than an SQL error.
 */
export async function openRuntime(flags: SettingFlags, env: NodeJS.ProcessEnv = process.env, needs: RuntimeNeeds = {}): Promise<Runtime> {
  const settings = resolveSettings(flags, env);
  if (needs.mailHostname === true && attachedToPanel(settings)) requireMailHostname(settings);
  const { knex, target } = openDatabase(settings.database, 'database', { log: cliKnexLog });
  try {
    await checkConnection(knex, target);
    const options = resolveOptions({
      ...storageOptions(knex, settings.schema),
      mailHostname: settings.mailHostname,
      ...(settings.delegation ? { delegation: settings.delegation } : {}),
      ...(settings.dnsServers ? { dns: { servers: settings.dnsServers } } : {}),
      logger: stderrLogger,
      // A command waits for the database as long as it takes (within the query deadline), not like a request.
      cache: { waitMs: 30_000 },
      ...(needs.probes === false ? { dnsCheck: { https: { enabled: false }, smtp: { enabled: false } } } : {}),
    });
    const { domainTable } = settings.schema;
    const service = MtaStsService.fromOptions(options);
    if (settings.delegation) useConfiguredPublisher(service, flags.config, env);
    // Every table and column the settings name: a wrong preset or mapping is one sentence naming
    // the flag that changes it, before a query fails on it. `status` lists them instead.
    const missingHost = await service.schema.missingHostParts();
    const domainTableMissing = missingHost.find((part) => part.setting === 'domainTable');
    const first = needs.hostSchema === false ? domainTableMissing : missingHost[0];
    if (first) throw missingHostPartError(first, target.display, 'a new standalone database gets its tables from `mta-sts serve`');
    if (needs.columns !== false) {
      // Only the columns: the whole status would also read every served policy, for each command.
      const missing = await service.schema.missingColumns();
      const { policyTable } = settings.schema;
      if (missing.length > 0 && policyTable)
        throw new ConfigError(
          'preset',
          `mailcow needs its own MTA-STS table "${policyTable}" (missing ${missing.join(', ')}): update mailcow to 2025-09 or later, whose database update creates it`,
        );
      if (missing.length > 0)
        throw new ConfigError('database', `has no MTA-STS columns in "${domainTable}" yet (missing ${missing.join(', ')}): run \`mta-sts migrate\` first`);
    }
    return {
      settings,
      knex,
      target: target.display,
      service,
      close: async () => {
        await service.served.idle();
        await knex.destroy();
      },
    };
  } catch (err) {
    await knex.destroy();
    throw err;
  }
}

/**
 * With a delegation, the configured --dns-update (environment or config file) decides which domains
 * are published directly, for `show` and `check` as for `publish`. A publishing setting that is
 * wrong is left to `mta-sts publish` to name: here every domain is then taken as delegated.
 */
function useConfiguredPublisher(service: MtaStsService, configFlag: string | undefined, env: NodeJS.ProcessEnv): void {
  try {
    const found = configuredTarget({}, env, configFlag);
    if (found !== null) service.modes.use(publisherFor(found), found.zones);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
  }
}
