// TLS report mails fetched from an IMAP mailbox (RFC 8460 section 5.3), for hosts whose mail
// pipeline cannot pipe a message to `ingestReportMessage`: each poll reads the mailbox's unseen
// messages with imapflow, ingests them, and moves a stored report to the done folder (or marks it
// \Seen). A message that is not a report is never lost: it stays where it is, flagged and seen;
// one the database refuses goes to the `failed` folder, so that it never stops the polls after it.
import type { ImapFlow } from 'imapflow';
import type { Logger } from '../logger';
import type { ImapSettings } from '../options';
import { connectImap } from './imap-connect';
import { INTAKE_LIMITS, type ReportService } from './reports';

/** Where a report the database refuses is moved (created when missing), with the reason in the log. */
const FAILED_MAILBOX = 'failed';

/** Messages read in one poll at most; the rest wait for the next. */
const MAX_PER_POLL = 500;

/** What one poll did. `failed` counts messages left unseen for the next poll (database away). */
export interface FetchOutcome {
  messages: number;
  created: number;
  duplicate: number;
  refused: number;
  failed: number;
}

/** One poll: connect, ingest every unseen message of the mailbox, file each, log out. Rejects when the server cannot be used. */
export async function fetchReportsOnce(settings: ImapSettings, reports: ReportService, logger: Logger): Promise<FetchOutcome> {
  const outcome: FetchOutcome = { messages: 0, created: 0, duplicate: 0, refused: 0, failed: 0 };
  const client = await connectImap(settings, logger);
  try {
    if (settings.doneMailbox !== null) await ensureMailbox(client, settings.doneMailbox);
    const lock = await client.getMailboxLock(settings.mailbox);
    try {
      // A bounded poll: a mailbox that collected thousands of mails is worked off over several polls.
      const uids = ((await client.search({ seen: false }, { uid: true })) || []).slice(0, MAX_PER_POLL);
      outcome.messages = uids.length;
      if (uids.length === 0) return outcome;
      // Sizes first, so that an oversized message is never downloaded.
      const sizes = new Map((await client.fetchAll(uids.join(','), { uid: true, size: true }, { uid: true })).map((m) => [m.uid, m.size ?? 0]));
      for (const uid of uids) {
        const size = sizes.get(uid) ?? 0;
        const source = size > INTAKE_LIMITS.message ? null : await client.fetchOne(String(uid), { source: true }, { uid: true });
        let result;
        try {
          result = source && source.source ? await reports.ingestMessage(source.source) : null;
        } catch (err) {
          // The database is away (a refusal of this one message answers `unstorable`): the message stays unseen and is tried again next poll.
          logger.error(`could not store the TLS report mail (IMAP uid ${uid}); it is tried again next time`, err);
          outcome.failed++;
          break;
        }
        if (result !== null && result.status === 'refused' && result.code === 'unstorable') {
          outcome.refused++;
          await fileAsFailed(client, uid, settings.mailbox, logger);
          continue;
        }
        if (result === null || result.status === 'refused') {
          outcome.refused++;
          const why = result === null ? `larger than ${INTAKE_LIMITS.message} bytes` : result.message;
          logger.warn(`IMAP message uid ${uid} in ${settings.mailbox} is not a TLS report we can store (${why}); left there, flagged`);
          await client.messageFlagsAdd(String(uid), ['\\Seen', '\\Flagged'], { uid: true });
          continue;
        }
        outcome[result.status]++;
        await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        if (settings.doneMailbox !== null) await client.messageMove(String(uid), settings.doneMailbox, { uid: true });
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return outcome;
}

/** Moves a message the database refused to FAILED_MAILBOX; flags it where it is when the server cannot. */
async function fileAsFailed(client: ImapFlow, uid: number, mailbox: string, logger: Logger): Promise<void> {
  await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
  try {
    await ensureMailbox(client, FAILED_MAILBOX);
    if (!(await client.messageMove(String(uid), FAILED_MAILBOX, { uid: true }))) throw new Error('the server did not move it');
    logger.warn(`IMAP message uid ${uid} in ${mailbox} could not be stored (the reason is logged above); moved to ${FAILED_MAILBOX}`);
  } catch (err) {
    await client.messageFlagsAdd(String(uid), ['\\Flagged'], { uid: true });
    logger.warn(
      `IMAP message uid ${uid} in ${mailbox} could not be stored (the reason is logged above) nor moved to ${FAILED_MAILBOX}; left there, flagged`,
      err,
    );
  }
}

async function ensureMailbox(client: ImapFlow, path: string): Promise<void> {
  const boxes = await client.list();
  if (boxes.some((box) => box.path === path)) return;
  await client.mailboxCreate(path);
}

/** Polls the mailbox every `intervalMs`, one poll at a time, from `start()` until `stop()`. */
export class ReportFetcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<FetchOutcome | null> | null = null;
  private stopped = true;

  constructor(
    private readonly settings: ImapSettings,
    private readonly reports: ReportService,
    private readonly logger: Logger,
  ) {}

  /** One poll now (waits for a poll already running instead of starting a second). Resolves null when the server could not be used (logged). */
  runOnce(): Promise<FetchOutcome | null> {
    this.running ??= fetchReportsOnce(this.settings, this.reports, this.logger)
      .catch((err: unknown) => {
        this.logger.error(
          `fetching TLS reports from ${this.settings.host}:${this.settings.port} failed; trying again in ${this.settings.intervalMs / 1000} s`,
          err,
        );
        return null;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Polls at once, then every `intervalMs`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      void this.runOnce().then(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.settings.intervalMs);
      });
    };
    tick();
  }

  /** No further polls; resolves once a poll in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}

/** The plugin's report mailboxes: the poller of the configured `reports.imap`, and one fetch now from any (a command's flags). */
export class ReportMailbox {
  constructor(
    private readonly reports: ReportService,
    private readonly logger: Logger,
    /** `reports.imap`, or null. */
    private readonly configured: ImapSettings | null,
  ) {}

  /** A poller of `reports.imap`; null without that option. */
  poller(): ReportFetcher | null {
    return this.configured === null ? null : new ReportFetcher(this.configured, this.reports, this.logger);
  }

  /** One fetch from a mailbox now (the command's); rejects when the server cannot be used. */
  fetchOnce(settings: ImapSettings): Promise<FetchOutcome> {
    return fetchReportsOnce(settings, this.reports, this.logger);
  }
}
