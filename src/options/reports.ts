// TLS reports (RFC 8460): where senders post them (`intakeUrl`), how long they are kept, how many
// a token takes, what they may store (report-limits.ts), and the IMAP mailbox they may be fetched
// from. `imapSettings` also checks the command's IMAP flags, under their own names.
import { allowPlaintextOption } from '../plaintext';
import { isReportUri } from '../reports';
import { reportLimitsOption, type ReportLimitOptions, type ReportLimits } from './report-limits';
import { wholeNumber } from './validate';

/**
 * Report mails fetched from an IMAP mailbox: `url` is `imaps://[user@]host[:port][/mailbox]` (or
 * `imap://`, which must upgrade by STARTTLS: the password is never sent in clear text unless
 * `allowPlaintext` names the URL's host); `user` and `mailbox` may be given here instead;
 * `doneMailbox` takes stored reports (created when missing; without it they are marked \Seen and
 * stay); polled every `intervalMs` (default 300000).
 */
export interface ImapOption {
  url: string;
  user?: string;
  password: string;
  mailbox?: string;
  doneMailbox?: string | null;
  intervalMs?: number;
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  allowPlaintext?: string;
}

/** `reports.imap` validated: everything the fetcher needs. */
export interface ImapSettings {
  host: string;
  port: number;
  /** True for imaps (TLS from the start); false for imap, which upgrades by STARTTLS (required unless allowPlaintext). */
  secure: boolean;
  /** The server may get the password without TLS when it offers no STARTTLS (its host was named). */
  allowPlaintext: boolean;
  user: string;
  password: string;
  mailbox: string;
  /** Where stored reports go (created when missing); null to leave them in place, marked \Seen. */
  doneMailbox: string | null;
  intervalMs: number;
  tls: { ca?: string | Buffer; rejectUnauthorized: boolean };
}

export interface ReportsOptions {
  /**
   * TLS reports (RFC 8460): `intakeUrl` is the public address where the `tlsrpt` router is
   * mounted (default `https://<mailHostname>/tlsrpt/v1`); reports older than `retentionDays`
   * (default 400) are pruned; each intake token takes at most `perTokenPerHour` reports (default 60);
   * what reports may store is bounded by the options of ReportLimitOptions (src/options/report-limits.ts);
   * `mailAddress` is the address report mails reach (e.g. the `imap` mailbox's), suggested as
   * `mailto:` in each domain's rua beside the intake URL.
   */
  reports?: { intakeUrl?: string; mailAddress?: string; retentionDays?: number; perTokenPerHour?: number; imap?: ImapOption } & ReportLimitOptions;
}

export interface ResolvedReports {
  reports: { intakeUrl: string; mailAddress: string | null; retentionDays: number; perTokenPerHour: number; imap: ImapSettings | null; limits: ReportLimits };
}

/** `reports` is the host's group (an object, or `{}`); `mailHostname` the A-label the intake URL defaults to. */
export function resolveReports(reports: Partial<NonNullable<ReportsOptions['reports']>>, mailHostname: string): ResolvedReports {
  const intakeUrl = reports.intakeUrl ?? `https://${mailHostname}/tlsrpt/v1`;
  const url = typeof intakeUrl === 'string' && URL.canParse(intakeUrl) ? new URL(intakeUrl) : null;
  // https only: RFC 8460 senders post to https: URIs, and a query or fragment would end up before the token.
  if (!url || url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || intakeUrl.endsWith('/')) {
    throw new TypeError('options.reports.intakeUrl must be an https URL without query or trailing slash, such as https://mail.example.org/tlsrpt/v1');
  }
  return {
    reports: {
      intakeUrl,
      mailAddress: mailAddressOption(reports.mailAddress),
      retentionDays: wholeNumber(reports.retentionDays ?? 400, 'reports.retentionDays', 1, 3650),
      perTokenPerHour: wholeNumber(reports.perTokenPerHour ?? 60, 'reports.perTokenPerHour', 1, 100_000),
      imap: reports.imap === undefined || reports.imap === null ? null : imapSettings(reports.imap, 'options.reports.imap'),
      limits: reportLimitsOption(reports),
    },
  };
}

/** `reports.mailAddress`: one address, as a TLS-RPT record's `mailto:` takes it (the rua's own rule). */
function mailAddressOption(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > 254 || /[;?:]/.test(value) || !isReportUri(`mailto:${value}`)) {
    throw new TypeError('options.reports.mailAddress must be one mail address, such as tlsrpt@mail.example.org');
  }
  return value;
}

/** Validates an IMAP fetch setting (`reports.imap`, or the command's flags under another `prefix`); a TypeError names the field. */
export function imapSettings(value: unknown, prefix: string): ImapSettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`${prefix} must be an object`);
  const input = value as Partial<Record<keyof ImapOption, unknown>>;
  let url: URL | null;
  try {
    url = typeof input.url === 'string' ? new URL(input.url) : null;
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'imaps:' && url.protocol !== 'imap:') || url.hostname === '' || url.search !== '' || url.hash !== '') {
    throw new TypeError(`${prefix}.url must be an imaps:// or imap:// URL such as imaps://reports@mail.example.org:993/INBOX`);
  }
  // A password in the URL would end up in process lists and logs.
  if (url.password !== '') throw new TypeError(`${prefix}.url must not contain a password: give it as ${prefix}.password`);
  const secure = url.protocol === 'imaps:';
  const text = (field: 'user' | 'password' | 'mailbox' | 'doneMailbox', given: unknown, fallback: string): string => {
    const v = given ?? fallback;
    if (typeof v !== 'string' || v === '' || v.length > 1000 || /[\r\n\0]/.test(v))
      throw new TypeError(`${prefix}.${field} must be a non-empty string of one line`);
    return v;
  };
  const user = text('user', input.user, decodeURIComponent(url.username));
  const password = text('password', input.password, '');
  const mailbox = text('mailbox', input.mailbox, decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX');
  const doneMailbox = input.doneMailbox === undefined || input.doneMailbox === null ? null : text('doneMailbox', input.doneMailbox, '');
  if (doneMailbox !== null && doneMailbox === mailbox) throw new TypeError(`${prefix}.doneMailbox must differ from the mailbox it fetches from`);
  const tls = input.tls === undefined ? {} : input.tls;
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) throw new TypeError(`${prefix}.tls must be an object`);
  const { ca, rejectUnauthorized } = tls as { ca?: unknown; rejectUnauthorized?: unknown };
  if (ca !== undefined && typeof ca !== 'string' && !Buffer.isBuffer(ca)) throw new TypeError(`${prefix}.tls.ca must be PEM text or a Buffer`);
  if (rejectUnauthorized !== undefined && typeof rejectUnauthorized !== 'boolean') throw new TypeError(`${prefix}.tls.rejectUnauthorized must be a boolean`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    port: url.port === '' ? (secure ? 993 : 143) : Number(url.port),
    secure,
    allowPlaintext: allowPlaintextOption(input.allowPlaintext, host, `${prefix}.allowPlaintext`),
    user,
    password,
    mailbox,
    doneMailbox,
    intervalMs: wholeNumber(input.intervalMs ?? 300_000, `${prefix.replace(/^options\./, '')}.intervalMs`, 10_000, 86_400_000),
    tls: { rejectUnauthorized: rejectUnauthorized ?? true, ...(ca === undefined ? {} : { ca }) },
  };
}
