// The IMAP connection of the report fetch: imapflow with TLS required for the password (implicit
// for imaps://, STARTTLS for imap://) unless the settings allow plain text for this very host.
import { ImapFlow } from 'imapflow';
import type { Logger } from '../logger';
import type { ImapSettings } from '../options';
import { PlaintextRefusedError } from '../plaintext';

/** Where the refusal points to: the library option, the server's variable, the command's flag. */
const ALLOW_SETTINGS = 'reports.imap.allowPlaintext (REPORTS_IMAP_ALLOW_PLAINTEXT for mta-sts serve, --allow-plaintext for report-fetch)';

/** A logged-in client; rejects when the server cannot be used, with a PlaintextRefusedError when it offers no STARTTLS. */
export async function connectImap(settings: ImapSettings, logger: Logger): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    // Required, not opportunistic: without STARTTLS imapflow would log in over the clear connection.
    ...(settings.secure || settings.allowPlaintext ? {} : { doSTARTTLS: true }),
    auth: { user: settings.user, pass: settings.password },
    tls: { rejectUnauthorized: settings.tls.rejectUnauthorized, ...(settings.tls.ca === undefined ? {} : { ca: settings.tls.ca }) },
    logger: false,
    connectionTimeout: 30_000,
  });
  // imapflow emits 'error' on socket trouble; unhandled it would end the process.
  client.on('error', (err: unknown) => logger.warn('IMAP connection error while fetching TLS reports', err));
  try {
    await client.connect();
  } catch (err) {
    client.close();
    // imapflow marks a required STARTTLS the server does not offer; it has sent no credential then.
    if ((err as { tlsFailed?: unknown } | null)?.tlsFailed === true && /STARTTLS/.test(String((err as Error).message))) {
      throw new PlaintextRefusedError('IMAP', settings.host, settings.port, ALLOW_SETTINGS);
    }
    throw err;
  }
  return client;
}
