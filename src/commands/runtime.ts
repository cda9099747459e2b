// What every command that touches the database shares: the settings, one Knex instance, the
// service over it, and a clean close. Commands are thin: the rules live in the service.
import type { Knex } from 'knex';
import { checkConnection, openDatabase } from '../config/database';
import { resolveSettings, type SettingFlags, type Settings } from '../config/settings';
import type { Logger } from '../logger';
import { resolveOptions } from '../options';
import { MtaStsService } from '../service';

export interface Runtime {
  settings: Settings;
  knex: Knex;
  service: MtaStsService;
  close(): Promise<void>;
}

/** Messages for the person at the terminal go to stderr, so that stdout stays for results (--json). */
export const stderrLogger: Logger = {
  error: (message, detail) => process.stderr.write(`error: ${message}${detail instanceof Error ? `: ${detail.message}` : ''}\n`),
  warn: (message) => process.stderr.write(`warning: ${message}\n`),
  info: (message) => process.stderr.write(`${message}\n`),
};

export async function openRuntime(flags: SettingFlags, env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const settings = resolveSettings(flags, env);
  const { knex, target } = openDatabase(settings.database);
  try {
    await checkConnection(knex, target);
    const options = resolveOptions({
      knex,
      mailHostname: settings.mailHostname,
      ...settings.schema,
      ...(settings.dnsServers ? { dns: { servers: settings.dnsServers } } : {}),
      logger: stderrLogger,
    });
    return { settings, knex, service: MtaStsService.fromOptions(options), close: () => knex.destroy() };
  } catch (err) {
    await knex.destroy();
    throw err;
  }
}
