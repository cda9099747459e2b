// report-intake, report-fetch: TLS report mails (RFC 8460 section 5.3) into the panel, one piped
// on stdin (a Postfix pipe transport, a Sieve "pipe" action) or fetched from an IMAP mailbox.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { imapSettings, type ImapSettings } from '../options';
import { PLAINTEXT_REFUSED } from '../plaintext';
import type { FetchOutcome } from '../service';
import { INTAKE_LIMITS, type IngestResult } from '../service/reports';
import { CliError, EXIT, printJson } from './output';
import type { WithRuntime } from './policy';

/** Where the IMAP password comes from when --password-stdin is not given. */
export const IMAP_PASSWORD_ENV = 'MTA_STS_IMAP_PASSWORD';

/** Reads all of a stream, refusing more than `limit` bytes (a report mail is at most 16 MiB). */
export async function readLimited(stream: Readable, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function describe(result: Extract<IngestResult, { status: 'created' | 'duplicate' }>): string {
  const dkim = result.dkim ? `DKIM ${result.dkim.result}${result.dkim.domain ? ` (${result.dkim.domain})` : ''}` : 'DKIM not checked';
  const what = result.status === 'created' ? 'stored' : 'already stored';
  return `${what}: report ${result.reportId} from ${result.organisation} for ${result.domain}, ${dkim}`;
}

export function registerReportCommands(program: Command, withRuntime: WithRuntime): void {
  program
    .command('report-intake')
    .description('store the TLS report mail on stdin (for a Postfix pipe or a Sieve script); exit 1 when it is not a report')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      if (process.stdin.isTTY) throw new CliError('give the report mail on stdin, e.g. mta-sts report-intake < message.eml');
      const raw = await readLimited(process.stdin, INTAKE_LIMITS.message);
      if (raw === null) {
        process.stderr.write(`mta-sts: the message is larger than ${INTAKE_LIMITS.message / 1024 / 1024} MiB, not a TLS report\n`);
        process.exitCode = EXIT.problems;
        return;
      }
      const result = await withRuntime(({ service }) => service.reports.ingestMessage(raw), { probes: false });
      if (opts.json) printJson(result);
      if (result.status === 'refused') {
        process.stderr.write(`mta-sts: not stored: ${result.message}\n`);
        process.exitCode = EXIT.problems;
        return;
      }
      if (!opts.json) process.stdout.write(`${describe(result)}\n`);
    });

  program
    .command('report-fetch')
    .description(`fetch the unseen TLS report mails of an IMAP mailbox and store them (password from ${IMAP_PASSWORD_ENV} or --password-stdin)`)
    .requiredOption('--imap <url>', 'imaps://user@host:port/mailbox (imap:// must upgrade by STARTTLS)')
    .option('--done <mailbox>', 'move stored reports there (created when missing); without it they are marked seen and stay')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--ca <file>', 'PEM file of the CA to trust for the IMAP server instead of the system store')
    .option('--allow-plaintext <host>', 'send the password without TLS when this host (that of --imap) offers no STARTTLS')
    .option('--json', 'print JSON')
    .action(async (opts: { imap: string; done?: string; passwordStdin?: boolean; ca?: string; allowPlaintext?: string; json?: boolean }) => {
      const password = opts.passwordStdin ? await firstLine() : process.env[IMAP_PASSWORD_ENV];
      if (!password) throw new CliError(`give the IMAP password in ${IMAP_PASSWORD_ENV} or on stdin with --password-stdin (never on the command line)`);
      let ca: Buffer | undefined;
      if (opts.ca !== undefined) {
        try {
          ca = readFileSync(opts.ca);
        } catch (err) {
          throw new CliError(`--ca: cannot read ${opts.ca} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
        }
      }
      let settings: ImapSettings;
      try {
        settings = imapSettings(
          { url: opts.imap, password, doneMailbox: opts.done ?? null, tls: ca ? { ca } : {}, allowPlaintext: opts.allowPlaintext },
          '--imap',
        );
      } catch (err) {
        // The option's name as typed on the command line.
        throw new CliError((err instanceof Error ? err.message : String(err)).replace('--imap.allowPlaintext', '--allow-plaintext'));
      }
      const outcome = await withRuntime(
        ({ service }) =>
          service.mailbox.fetchOnce(settings).catch((err: unknown) => {
            throw new CliError(`could not fetch from ${settings.host}:${settings.port}: ${imapReason(err, settings.host)}`);
          }),
        { probes: false },
      );
      if (opts.json) printJson(outcome);
      process.stderr.write(`${summary(outcome)}\n`);
      process.exitCode = outcome.failed > 0 ? EXIT.usage : outcome.refused > 0 ? EXIT.problems : EXIT.ok;
    });
}

function summary(o: FetchOutcome): string {
  return `${o.messages} unseen messages: ${o.created} reports stored, ${o.duplicate} already stored, ${o.refused} not reports (flagged, left in place)${
    o.failed > 0 ? `, ${o.failed} failed (left unseen, tried again next time)` : ''
  }`;
}

/** imapflow's errors say "Command failed" and carry the server's words separately. */
function imapReason(err: unknown, host: string): string {
  const e = err as { message?: unknown; responseText?: unknown; authenticationFailed?: unknown; code?: unknown } | null;
  if (e?.code === PLAINTEXT_REFUSED)
    return `the server offers no STARTTLS, so the password was not sent: use imaps://, turn on STARTTLS there, or allow plain text with --allow-plaintext ${host}`;
  if (e?.authenticationFailed) return `the server refused the login${typeof e.responseText === 'string' ? ` (${e.responseText})` : ''}`;
  const text = typeof e?.responseText === 'string' ? e.responseText : e?.message;
  return String(text ?? err).split('\n')[0];
}

async function firstLine(): Promise<string> {
  const raw = await readLimited(process.stdin, 64 * 1024);
  if (raw === null) throw new CliError('--password-stdin: the password line is too long');
  return raw.toString('utf8').split(/\r?\n/)[0];
}
