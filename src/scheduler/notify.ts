// Sends the scheduled checks' alerts: by mail (SMTP through nodemailer) and by webhook (a JSON
// POST signed with HMAC-SHA256 over the raw body). Texts in the configured alert language.
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { translator, type MessageKey } from '../i18n';
import type { AlertOptions } from '../options';
import { PlaintextRefusedError } from '../plaintext';
import type { Condition } from './conditions';
import type { DueAlert } from './decide';
import { postWebhookBody } from './webhook';

/** The header carrying `sha256=<hex>`, the HMAC-SHA256 of the raw body under the webhook secret. */
export const SIGNATURE_HEADER = 'X-MTA-STS-Signature';

const CONDITION_KEYS: Record<Condition, MessageKey> = {
  'policy-unreachable': 'alert.condition.policyUnreachable',
  'id-mismatch': 'alert.condition.idMismatch',
  'mx-uncovered': 'alert.condition.mxUncovered',
  'certificate-expiring': 'alert.condition.certificateExpiring',
  'tls-failures-rising': 'alert.condition.tlsFailuresRising',
  'tls-failures-above-baseline': 'alert.condition.tlsFailuresAboveBaseline',
  'dns-not-published': 'alert.condition.dnsNotPublished',
};

/** One alert, as the webhook receives it (and the mail says it). */
export interface AlertMessage {
  type: 'mta-sts.alert';
  domain: string;
  /** A machine name: policy-unreachable, id-mismatch, mx-uncovered, certificate-expiring, tls-failures-rising, tls-failures-above-baseline, dns-not-published. */
  condition: Condition;
  state: 'raised' | 'recovered';
  /** The DNS Check's machine codes behind a raised condition (empty for a recovery or the reports). */
  codes: string[];
  /** For tls-failures-rising: the day and its failed sessions, and the highest day of the week before. */
  failures: { day: string; count: number; baseline: number } | null;
  /** For tls-failures-above-baseline: the day's failed sessions, the median of the 14 days before, the factor and minimum (absent otherwise). */
  spike?: { day: string; count: number; median: number; factor: number; minimum: number };
  /** For dns-not-published: each record not published as wanted, its stored state and since when (absent otherwise). */
  records?: Array<{ name: string; state: string; since: string }>;
  checkedAt: string;
  locale: string;
  subject: string;
  text: string;
}

/** The findings' sentences of the check behind an alert, in the alert language: `code → message`. */
export type Findings = ReadonlyArray<{ code: string; message: string }>;

export function alertMessage(alert: DueAlert, checkedAt: string, findings: Findings, locale: AlertOptions['locale']): AlertMessage {
  const t = translator(locale);
  const condition = t.say(CONDITION_KEYS[alert.condition]);
  const params = { domain: alert.domain, condition, checkedAt };
  const subject = alert.state === 'raised' ? t.t('alert.subject.raised', params) : t.t('alert.subject.recovered', params);
  const lines = [alert.state === 'raised' ? t.t('alert.body.raised', params) : t.t('alert.body.recovered', params)];
  const failures = alert.finding?.failures ?? null;
  if (alert.state === 'raised' && failures) lines.push('', t.t('alert.body.failures', failures));
  const spike = alert.state === 'raised' ? alert.finding?.spike : undefined;
  if (spike) lines.push('', t.t('alert.body.spike', spike));
  const records = alert.state === 'raised' ? alert.finding?.records : undefined;
  if (records && records.length > 0) lines.push('', ...records.map((r) => t.t('alert.body.dnsRecord', r)));
  const codes = alert.state === 'raised' ? (alert.finding?.codes ?? []) : [];
  const shown = findings.filter((f) => (codes as string[]).includes(f.code));
  if (shown.length > 0) lines.push('', t.t('alert.body.findings'), ...shown.map((f) => `- ${f.message} (${f.code})`));
  lines.push('', t.t('alert.body.footer'));
  return {
    type: 'mta-sts.alert',
    domain: alert.domain,
    condition: alert.condition,
    state: alert.state,
    codes,
    failures,
    ...(records ? { records } : {}),
    ...(spike ? { spike } : {}),
    checkedAt,
    locale,
    subject,
    text: lines.join('\n'),
  };
}

/** Something that delivers an alert; rejects when it could not. */
export type Channel = (message: AlertMessage) => Promise<void>;

/** The configured channels: mail, webhook, both or none. */
export function channels(options: AlertOptions): Array<{ name: 'email' | 'webhook'; send: Channel; close(): void }> {
  const out: Array<{ name: 'email' | 'webhook'; send: Channel; close(): void }> = [];
  if (options.email) out.push({ name: 'email', ...mailChannel(options.email) });
  if (options.webhook) {
    const webhook = options.webhook;
    out.push({ name: 'webhook', send: (message) => postWebhook(webhook, message), close: () => undefined });
  }
  return out;
}

function mailChannel(email: NonNullable<AlertOptions['email']>): { send: Channel; close(): void } {
  const { host, port, secure, user, password, allowPlaintext } = email.smtp;
  const auth = user !== null && password !== null ? { user, pass: password } : undefined;
  // A password goes only over TLS: STARTTLS is required (nodemailer sends it even when not
  // offered, and stops at the refusal) unless the host was named in allowPlaintext. Without a
  // password, STARTTLS stays opportunistic, as between mail servers.
  const requireTLS = !secure && auth !== undefined && !allowPlaintext;
  // Bounded like every other outside call: an SMTP server that stops answering must not hold a run.
  const transport = nodemailer.createTransport({
    host,
    port,
    secure,
    requireTLS,
    auth,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    send: async (message) => {
      await transport
        .sendMail({
          from: email.from,
          to: email.to,
          subject: message.subject,
          text: message.text,
          headers: { 'X-MTA-STS-Domain': message.domain, 'X-MTA-STS-Condition': `${message.condition}; ${message.state}` },
        })
        .catch((err: unknown) => {
          // The server answered STARTTLS with a refusal (it does not offer it): no AUTH was sent.
          const e = err as { code?: unknown; command?: unknown; response?: unknown } | null;
          if (requireTLS && e?.code === 'ETLS' && e.command === 'STARTTLS' && typeof e.response === 'string') {
            throw new PlaintextRefusedError('SMTP', host, port, 'alerts.email.smtp.allowPlaintext (MTA_STS_ALERT_SMTP_ALLOW_PLAINTEXT for mta-sts serve)');
          }
          throw err;
        });
    },
    close: () => transport.close(),
  };
}

/** The signature header's value for a raw body. */
function signature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function postWebhook(webhook: NonNullable<AlertOptions['webhook']>, message: AlertMessage): Promise<void> {
  const body = JSON.stringify(message);
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'mta-sts-plugin' };
  if (webhook.secret !== null) headers[SIGNATURE_HEADER] = signature(webhook.secret, body);
  await postWebhookBody(webhook.url, headers, body, webhook.timeoutMs);
}
