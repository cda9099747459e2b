// Publishing from the running server (`mta-sts serve --dns-update`): a domain's records after each
// change of its served id, within a second or two of the save, and the drift repair on a schedule.
// One instance of several does both: the holder of the lease `dns-publish` (./lease.ts). It reads
// other instances' saves by polling the served set's changes every POLL_MS while it holds the
// lease; a burst of saves is published once per domain (the changes gathered while one publish
// runs go out together in the next).
import { translate } from '../i18n';
import type { Logger } from '../logger';
import type { PublisherService } from '../service/publisher';
import { Lease, type LeaseStatements } from './lease';

/** The name of the publisher's lease in `<prefix>leases`. */
export const PUBLISH_LEASE = 'dns-publish';

/** How often the holder reads the changes other processes saved. */
const POLL_MS = 1000;
/** A change waits this long for the rest of its burst (a bulk change saves domain after domain). */
const GATHER_MS = 200;

export interface DnsPublishingOptions {
  /** Between two drift repairs; 0: none (changes are still published). */
  repairMs: number;
  lease: { statements: LeaseStatements; periodMs: number };
  logger: Logger;
}

export class DnsPublishing {
  private readonly lease: Lease;
  private readonly pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private repairTimer: NodeJS.Timeout | null = null;
  /** The one publish or repair running: they take turns, never two writes at once. */
  private work: Promise<void> = Promise.resolve();
  private started = false;
  /** Bumped each time the lease is gained or lost: a poll or repair loop of an earlier term ends. */
  private term = 0;

  constructor(
    private readonly publisher: PublisherService,
    private readonly options: DnsPublishingOptions,
  ) {
    this.lease = new Lease(options.lease.statements, {
      name: PUBLISH_LEASE,
      periodMs: options.lease.periodMs,
      logger: options.logger,
      // The first repair on taking the lease catches up with what changed while no instance held it.
      onGained: () => {
        this.term += 1;
        this.poll(this.term);
        if (options.repairMs > 0) this.repairNow(this.term);
      },
      onLost: () => {
        this.term += 1;
        this.clearTimers();
      },
    });
    publisher.onServedChange((domains) => {
      if (!this.active) return;
      for (const domain of domains) this.pending.add(domain);
      this.flushSoon();
    });
  }

  /** Whether this instance publishes now: started and holding the lease. */
  get active(): boolean {
    return this.started && this.lease.held;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.lease.start();
  }

  /** Stops the timers, lets a publish in progress finish, and releases the lease. */
  async stop(): Promise<void> {
    this.started = false;
    this.clearTimers();
    await this.work;
    await this.lease.stop();
  }

  private clearTimers(): void {
    for (const timer of [this.flushTimer, this.pollTimer, this.repairTimer]) if (timer !== null) clearTimeout(timer);
    this.flushTimer = this.pollTimer = this.repairTimer = null;
  }

  private flushSoon(): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      const domains = [...this.pending];
      this.pending.clear();
      if (domains.length === 0 || !this.active) return;
      this.queue(() => this.publisher.publish(domains), translate('en', 'publish.log.changeFailed'));
    }, GATHER_MS);
    this.flushTimer.unref();
  }

  /** Runs `job` after the one running; a failure (the database away) is logged, the next change or repair tries again. */
  private queue(job: () => Promise<unknown>, failure: string): void {
    this.work = this.work
      .then(() => (this.active ? job() : undefined))
      .then(
        () => undefined,
        (err: unknown) => this.options.logger.error(failure, err),
      );
  }

  /** Still the loop of the current term, and the lease held. */
  private current(term: number): boolean {
    return this.active && term === this.term;
  }

  private poll(term: number): void {
    if (!this.current(term)) return;
    // A failed read (the database away) is the served set's to log; the next poll tries again.
    void this.publisher
      .noticeChanges()
      .catch(() => undefined)
      .finally(() => {
        if (!this.current(term)) return;
        this.pollTimer = setTimeout(() => this.poll(term), POLL_MS);
        this.pollTimer.unref();
      });
  }

  private repairNow(term: number): void {
    if (!this.current(term)) return;
    this.queue(() => this.publisher.repair(), translate('en', 'publish.log.repairFailed'));
    // The next repair counts from the end of this one (`work` never rejects: queue logs failures).
    void this.work.then(() => {
      if (!this.current(term)) return;
      this.repairTimer = setTimeout(() => this.repairNow(term), this.options.repairMs);
      this.repairTimer.unref();
    });
  }
}
