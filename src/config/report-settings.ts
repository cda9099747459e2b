// The standalone server's settings for TLS reports: how often it prunes, the plugin's retention,
// quota and cap options (`reports.*`), and the mailbox's address suggested in the rua, from the
// environment or the config file. The numbers are checked here for their form and by the plugin
// for their range, the address by the plugin, all at start.
import { ConfigError } from './errors';

/** Setting name: environment variable (the config file uses the setting name). */
export const REPORT_SOURCES = {
  reportsPruneMinutes: 'MTA_STS_REPORTS_PRUNE_MINUTES',
  reportsRetentionDays: 'MTA_STS_REPORTS_RETENTION_DAYS',
  reportsDailyPerDomain: 'MTA_STS_REPORTS_DAILY_PER_DOMAIN',
  reportsDailyRowsPerDomain: 'MTA_STS_REPORTS_DAILY_ROWS_PER_DOMAIN',
  reportsMax: 'MTA_STS_REPORTS_MAX',
  reportsMaxRows: 'MTA_STS_REPORTS_MAX_ROWS',
  reportsMailAddress: 'REPORTS_MAIL_ADDRESS',
} as const;

type Source = keyof typeof REPORT_SOURCES;

/** Which plugin option each number becomes. */
const OPTIONS = {
  reportsRetentionDays: 'retentionDays',
  reportsDailyPerDomain: 'dailyReportsPerDomain',
  reportsDailyRowsPerDomain: 'dailyRowsPerDomain',
  reportsMax: 'maxReports',
  reportsMaxRows: 'maxRows',
} as const satisfies Partial<Record<Source, string>>;

type PluginOption = (typeof OPTIONS)[keyof typeof OPTIONS];

/** Every plugin option given from a setting here, numbers and the address: how its TypeError is said. */
const NAMED = { ...OPTIONS, reportsMailAddress: 'mailAddress' } as const satisfies Partial<Record<Source, string>>;

export interface ReportServerSettings {
  /** Minutes between two prunes of old reports and of reports beyond the cap; 0 switches it off. */
  pruneMinutes: number;
  /** The plugin's `reports` options given (the plugin's defaults for the rest). */
  options: Partial<Record<PluginOption, number>> & { mailAddress?: string };
}

export function reportServerSettings(pick: (name: Source) => string | undefined): ReportServerSettings {
  const prune = pick('reportsPruneMinutes') ?? '60';
  if (!/^\d{1,5}$/.test(prune) || Number(prune) > 10080) {
    throw new ConfigError('reportsPruneMinutes', `(MTA_STS_REPORTS_PRUNE_MINUTES) must be whole minutes from 0 (off) to 10080 (a week), got "${prune}"`);
  }
  const options: ReportServerSettings['options'] = {};
  for (const [source, option] of Object.entries(OPTIONS) as Array<[keyof typeof OPTIONS, PluginOption]>) {
    const value = pick(source);
    if (value === undefined) continue;
    if (!/^\d{1,13}$/.test(value)) throw new ConfigError(source, `(${REPORT_SOURCES[source]}) must be a whole number, got "${value}"`);
    options[option] = Number(value);
  }
  const mailAddress = pick('reportsMailAddress');
  if (mailAddress !== undefined) options.mailAddress = mailAddress;
  return { pruneMinutes: Number(prune), options };
}

/** The plugin's TypeError about one of these options (`options.reports.maxRows must be ...`), as the setting it came from; else null. */
export function reportSettingError(err: unknown): ConfigError | null {
  if (!(err instanceof TypeError)) return null;
  const match = /^options\.reports\.(\w+) (.*)$/.exec(err.message);
  const source = match ? (Object.keys(NAMED) as Array<keyof typeof NAMED>).find((key) => NAMED[key] === match[1]) : undefined;
  return source === undefined || !match ? null : new ConfigError(source, `(${REPORT_SOURCES[source]}) ${match[2]}`);
}
