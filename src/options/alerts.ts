// The scheduled DNS Checks (`scheduler`) and where they send alerts (`alerts`: mail through SMTP,
// a signed webhook, in a language).
import type { Locale } from '../i18n';
import { allowPlaintextOption } from '../plaintext';
import { localeOption, object, optional, wholeNumber } from './validate';

export interface AlertingOptions {
  /**
   * The scheduled DNS Check of every active domain (`runScheduledChecks()`, `createScheduler()`):
   * every `intervalMs` (default 6 hours), `concurrency` domains at once (default 8); on one
   * instance at a time, the holder of a lease renewed every quarter of `leaseMs` (default 60 s).
   */
  scheduler?: { intervalMs?: number; concurrency?: number; leaseMs?: number };
  /**
   * Where the scheduled checks send alerts when a condition appears or recovers: by `email`
   * (SMTP through nodemailer) and/or by `webhook` (a JSON POST, signed with HMAC-SHA256 over the
   * raw body in `X-MTA-STS-Signature: sha256=<hex>` when a `secret` is given), in `locale` ('en' or 'de').
   * The SMTP password goes only over TLS (`secure`, or STARTTLS required) unless `allowPlaintext` names `host`.
   */
  alerts?: {
    locale?: Locale;
    email?: {
      to: string;
      from?: string;
      smtp: { host: string; port?: number; secure?: boolean; user?: string; password?: string; allowPlaintext?: string };
    };
    webhook?: { url: string; secret?: string; timeoutMs?: number };
    /**
     * The `tls-failures-above-baseline` alert: raised when a domain's failed sessions in trusted
     * reports on the last complete day are at least `factor` (default 3, from 1 to 1000) times the
     * median of the 14 days before and at least `minimum` (default 10, from 1 to 1,000,000,000).
     */
    baseline?: { factor?: number; minimum?: number };
  };
}

/** The alert settings after validation. */
export interface AlertOptions {
  locale: Locale;
  email: {
    to: string;
    from: string;
    smtp: { host: string; port: number; secure: boolean; user: string | null; password: string | null; allowPlaintext: boolean };
  } | null;
  webhook: { url: string; secret: string | null; timeoutMs: number } | null;
  /** Absent (a host's own AlertOptions): the defaults, factor 3 and minimum 10. */
  baseline?: { factor: number; minimum: number };
}

export interface ResolvedAlerting {
  scheduler: { intervalMs: number; concurrency: number; leaseMs: number };
  alerts: AlertOptions;
}

/** `mailHostname` is the A-label the alert mail's sender defaults to (`mta-sts@<mailHostname>`). */
export function resolveAlerting(options: AlertingOptions, mailHostname: string): ResolvedAlerting {
  return {
    scheduler: resolveSchedulerOptions(object(options.scheduler, 'scheduler'), 'options.scheduler'),
    alerts: alertsOption(object(options.alerts, 'alerts'), mailHostname),
  };
}

/** The scheduler's interval and concurrency, defaulted and validated; `name` prefixes the error. */
export function resolveSchedulerOptions(
  value: { intervalMs?: unknown; concurrency?: unknown; leaseMs?: unknown },
  name: string,
): { intervalMs: number; concurrency: number; leaseMs: number } {
  const bounded = (v: unknown, field: string, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new TypeError(`${name}.${field} must be a whole number from ${min} to ${max}`);
    return v;
  };
  // At least a second between runs; at most a week, so a typo in minutes cannot switch checks off for years.
  return {
    intervalMs: bounded(value.intervalMs ?? 21_600_000, 'intervalMs', 1000, 604_800_000),
    concurrency: bounded(value.concurrency ?? 8, 'concurrency', 1, 1000),
    // How long another instance waits to take over when the holder dies: a second to an hour.
    leaseMs: bounded(value.leaseMs ?? 60_000, 'leaseMs', 1000, 3_600_000),
  };
}

// A mail address as far as a sender needs to know: one @, no blanks, no header-breaking characters.
const MAIL_ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;

function alertsOption(alerts: Partial<NonNullable<AlertingOptions['alerts']>>, mailHostname: string): AlertOptions {
  const locale = localeOption(alerts.locale ?? 'en', 'alerts.locale');
  let email: AlertOptions['email'] = null;
  if (alerts.email != null) {
    const e = object(alerts.email, 'alerts.email');
    if (typeof e.to !== 'string' || !MAIL_ADDRESS.test(e.to)) throw new TypeError('options.alerts.email.to must be a mail address such as admin@example.org');
    const from = e.from ?? `mta-sts@${mailHostname}`;
    if (typeof from !== 'string' || !MAIL_ADDRESS.test(from))
      throw new TypeError('options.alerts.email.from must be a mail address such as mta-sts@example.org');
    const smtp = object(e.smtp, 'alerts.email.smtp');
    if (typeof smtp.host !== 'string' || smtp.host.trim() === '' || /\s/.test(smtp.host)) {
      throw new TypeError('options.alerts.email.smtp.host must be a host name or address such as localhost');
    }
    const secure = optional(smtp.secure, 'alerts.email.smtp.secure', 'boolean') ?? false;
    const user = smtp.user ?? null;
    const password = smtp.password ?? null;
    if (user !== null && (typeof user !== 'string' || user === '')) throw new TypeError('options.alerts.email.smtp.user must be a non-empty string');
    if (password !== null && typeof password !== 'string') throw new TypeError('options.alerts.email.smtp.password must be a string');
    if ((user === null) !== (password === null)) throw new TypeError('options.alerts.email.smtp.user and password go together: give both or neither');
    const port = wholeNumber(smtp.port ?? (secure ? 465 : 587), 'alerts.email.smtp.port', 1, 65535);
    const allowPlaintext = allowPlaintextOption(smtp.allowPlaintext, smtp.host, 'options.alerts.email.smtp.allowPlaintext');
    email = { to: e.to, from, smtp: { host: smtp.host, port, secure, user, password, allowPlaintext } };
  }
  let webhook: AlertOptions['webhook'] = null;
  if (alerts.webhook != null) {
    const w = object(alerts.webhook, 'alerts.webhook');
    const url = typeof w.url === 'string' && URL.canParse(w.url) ? new URL(w.url) : null;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
      throw new TypeError('options.alerts.webhook.url must be an http(s) URL without credentials, such as https://hooks.example.org/mta-sts');
    }
    const secret = w.secret ?? null;
    if (secret !== null && (typeof secret !== 'string' || secret.length < 16))
      throw new TypeError('options.alerts.webhook.secret must be a string of at least 16 characters');
    webhook = { url: url.href, secret, timeoutMs: wholeNumber(w.timeoutMs ?? 10_000, 'alerts.webhook.timeoutMs', 100, 120_000) };
  }
  const b = object(alerts.baseline, 'alerts.baseline');
  const factor = b.factor ?? 3;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 1000) {
    throw new TypeError('options.alerts.baseline.factor must be a number from 1 to 1000');
  }
  const minimum = wholeNumber(b.minimum ?? 10, 'alerts.baseline.minimum', 1, 1_000_000_000);
  return { locale, email, webhook, baseline: { factor, minimum } };
}
