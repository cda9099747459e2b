// The standalone server's settings of its outbound mail connections: the IMAP mailbox of TLS
// report mails (REPORTS_IMAP_*) and the scheduled checks' alerts (MTA_STS_ALERT_*). Each is
// checked at start with a ConfigError naming the setting; the plugin validates the rest.
import { isLocale, LOCALES, type Locale } from '../i18n/locales';
import { hostKey } from '../plaintext';
import { ConfigError } from './errors';

/** The settings read here, by their names in setting-sources.ts (flag and config-file key). */
type MailSettingName =
  | 'reportsImapUrl'
  | 'reportsImapPassword'
  | 'reportsImapDone'
  | 'reportsImapAllowPlaintext'
  | 'checkIntervalMinutes'
  | 'checkLeaseSeconds'
  | 'alertEmail'
  | 'alertFrom'
  | 'alertSmtp'
  | 'alertSmtpAllowPlaintext'
  | 'alertWebhook'
  | 'alertWebhookSecret'
  | 'alertLocale';

type Picker = (name: MailSettingName) => string | undefined;

/** The plugin's `reports.imap` as the server gives it. */
export interface ReportsImapSetting {
  url: string;
  password: string;
  doneMailbox?: string;
  /** The URL's host, named to let the password go without TLS when the server offers no STARTTLS. */
  allowPlaintext?: string;
}

/** The plugin's `alerts` as the server gives them. */
export interface AlertSettings {
  locale?: Locale;
  email?: {
    to: string;
    from?: string;
    smtp: { host: string; port?: number; secure?: boolean; user?: string; password?: string; allowPlaintext?: string };
  };
  webhook?: { url: string; secret?: string };
}

/**
 * An ..._ALLOW_PLAINTEXT setting: absent, or the host of the URL it belongs to. Naming the host,
 * rather than saying yes, keeps the exception from carrying over to another server when the URL changes.
 */
function allowPlaintext(pick: Picker, name: 'reportsImapAllowPlaintext' | 'alertSmtpAllowPlaintext', urlSetting: string, host: string): string | undefined {
  const value = pick(name);
  if (value === undefined) return undefined;
  if (hostKey(value) !== hostKey(host))
    throw new ConfigError(name, `must name the host of ${urlSetting} (${hostKey(host)}) to let its password go without TLS, got "${value}"`);
  return value.trim();
}

/**
 * The scheduled checks and their alerts. The SMTP server is one URL (`smtps://user:password@host:465`,
 * `smtp://host:587`), from the environment or the config file only, as it may hold a password.
 */
export function scheduleSettings(pick: Picker): { checkIntervalMinutes: number; checkLeaseSeconds: number; alerts: AlertSettings } {
  const interval = pick('checkIntervalMinutes') ?? '360';
  if (!/^\d{1,5}$/.test(interval) || Number(interval) > 10080) {
    throw new ConfigError('checkIntervalMinutes', `must be whole minutes from 0 (off) to 10080 (a week), got "${interval}"`);
  }
  const lease = pick('checkLeaseSeconds') ?? '60';
  if (!/^\d{1,4}$/.test(lease) || Number(lease) < 1 || Number(lease) > 3600) {
    throw new ConfigError('checkLeaseSeconds', `must be whole seconds from 1 to 3600 (an hour), got "${lease}"`);
  }
  const alerts: AlertSettings = {};
  const locale = pick('alertLocale');
  if (locale !== undefined) {
    if (!isLocale(locale)) throw new ConfigError('alertLocale', `must be ${LOCALES.join(' or ')}, got "${locale}"`);
    alerts.locale = locale;
  }
  const to = pick('alertEmail');
  const smtpUrl = pick('alertSmtp');
  if (to !== undefined) {
    if (smtpUrl === undefined)
      throw new ConfigError('alertSmtp', 'must be set too (MTA_STS_ALERT_SMTP, e.g. smtps://user:password@mail.example.org:465), since MTA_STS_ALERT_EMAIL is');
    let url: URL;
    try {
      url = new URL(smtpUrl);
    } catch {
      throw new ConfigError('alertSmtp', 'must be an smtp:// or smtps:// URL such as smtps://user:password@mail.example.org:465');
    }
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
      throw new ConfigError('alertSmtp', 'must be an smtp:// or smtps:// URL such as smtps://user:password@mail.example.org:465');
    const from = pick('alertFrom');
    const plaintext = allowPlaintext(pick, 'alertSmtpAllowPlaintext', 'MTA_STS_ALERT_SMTP', url.hostname);
    alerts.email = {
      to,
      ...(from ? { from } : {}),
      smtp: {
        host: url.hostname,
        secure: url.protocol === 'smtps:',
        ...(url.port ? { port: Number(url.port) } : {}),
        ...(url.username ? { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : {}),
        ...(plaintext === undefined ? {} : { allowPlaintext: plaintext }),
      },
    };
  } else if (pick('alertSmtpAllowPlaintext') !== undefined) {
    throw new ConfigError('alertSmtpAllowPlaintext', 'has no SMTP server to apply to: set MTA_STS_ALERT_EMAIL and MTA_STS_ALERT_SMTP, or leave it out');
  }
  const webhook = pick('alertWebhook');
  if (webhook !== undefined) {
    const secret = pick('alertWebhookSecret');
    alerts.webhook = { url: webhook, ...(secret ? { secret } : {}) };
  }
  return { checkIntervalMinutes: Number(interval), checkLeaseSeconds: Number(lease), alerts };
}

/** The IMAP mailbox of TLS report mails; its password from the environment or the config file only. */
export function reportsImapSettings(pick: Picker): ReportsImapSetting | null {
  const url = pick('reportsImapUrl');
  if (url === undefined) {
    if (pick('reportsImapAllowPlaintext') !== undefined)
      throw new ConfigError('reportsImapAllowPlaintext', 'has no IMAP server to apply to: set REPORTS_IMAP_URL, or leave it out');
    return null;
  }
  // Checked here, before the server opens anything; the plugin checks the rest of reports.imap.
  const parsed = /^imaps?:\/\/[^\s/]+/i.test(url) && URL.canParse(url) ? new URL(url) : null;
  if (parsed === null)
    throw new ConfigError('reportsImapUrl', `must be an imaps:// or imap:// URL such as imaps://reports@mail.example.org/INBOX, got "${url}"`);
  const password = pick('reportsImapPassword') ?? '';
  if (password === '') throw new ConfigError('reportsImapPassword', 'must be set too (REPORTS_IMAP_PASSWORD), since REPORTS_IMAP_URL is');
  const done = pick('reportsImapDone');
  const plaintext = allowPlaintext(pick, 'reportsImapAllowPlaintext', 'REPORTS_IMAP_URL', parsed.hostname);
  return { url, password, ...(done ? { doneMailbox: done } : {}), ...(plaintext === undefined ? {} : { allowPlaintext: plaintext }) };
}
