// Credentials leave this process only over TLS: implicit (imaps://, smtps://) or by STARTTLS,
// which imapflow and nodemailer are told to require. A server that offers no STARTTLS gets the
// connection closed before a password is sent, unless `allowPlaintext` names that very host (a
// server on the same machine or behind a VPN), so that a changed URL never inherits the exception.

/** The `code` of the error a connection fails with when it would have sent a password in clear text. */
export const PLAINTEXT_REFUSED = 'MTA_STS_PLAINTEXT_REFUSED';

/** A host name or address as written in a URL or a setting, comparable: no IPv6 brackets, lower case. */
export function hostKey(host: string): string {
  return host
    .trim()
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
}

/**
 * An `allowPlaintext` option validated: absent is false; else it must name `host`, the server the
 * connection goes to. Throws a TypeError naming the option otherwise.
 */
export function allowPlaintextOption(value: unknown, host: string, name: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'string' || hostKey(value) !== hostKey(host)) {
    throw new TypeError(`${name} must name the server's host (${hostKey(host)}) to let its password go without TLS, or be left out`);
  }
  return true;
}

/** The one sentence of a refusal, naming the settings that would allow it. */
export class PlaintextRefusedError extends Error {
  readonly code = PLAINTEXT_REFUSED;
  constructor(protocol: 'IMAP' | 'SMTP', host: string, port: number, settings: string) {
    const implicit = protocol === 'IMAP' ? 'imaps://' : 'smtps://';
    super(
      `the ${protocol} server ${host}:${port} offers no STARTTLS, so the connection was closed before the password was sent: ` +
        `use ${implicit}, turn on STARTTLS at the server, or allow plain text for this host with ${settings}`,
    );
    this.name = 'PlaintextRefusedError';
  }
}
