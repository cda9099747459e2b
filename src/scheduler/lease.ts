// Holding a named lease (src/store/lease-store.ts) from one instance: tried at start and every
// quarter period after, so one failed renewal is survived. "Held" is judged by this process's own
// monotonic clock, counted from before each successful statement was sent, and ends a quarter
// period before the lease can expire in the database: an instance that cannot renew (the database
// gone, the lease taken after a pause) stops its work before another can take the lease over.
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { within } from '../deadline';
import type { Logger } from '../logger';

/** What a lease needs from the database: the store's two statements. */
export interface LeaseStatements {
  acquire(name: string, holder: string, periodMs: number): Promise<boolean>;
  release(name: string, holder: string): Promise<void>;
}

export interface LeaseOptions {
  /** The lease's name: one per job that must run once (`scheduled-checks`, later the DNS drift repair). */
  name: string;
  /** How long a holder that stops renewing keeps it, by the database's clock. */
  periodMs: number;
  logger: Logger;
  /** Called when this instance starts or stops holding it; an exception in them is logged. */
  onGained?: () => void;
  onLost?: () => void;
}

/** A holder id: the machine and process, for the operator reading the table, and a random part. */
export function holderId(): string {
  return `${hostname().slice(0, 64)}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

export class Lease {
  readonly holder = holderId();
  /** Until when (performance.now()) this instance may act as the holder; 0: not held. */
  private until = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Fires when `until` passes unrenewed (a renewal hanging on a database that does not answer). */
  private expiry: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private started = false;
  private wasHeld = false;
  private failing = false;

  constructor(
    private readonly store: LeaseStatements,
    private readonly options: LeaseOptions,
  ) {}

  /** True while this instance holds the lease with a quarter period to spare. */
  get held(): boolean {
    return performance.now() < this.until;
  }

  /** Tries to take it now and renews every quarter period; calling it again while started does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.renew();
  }

  /** Stops renewing and releases the lease if held, so another instance takes over at once. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    this.setUntil(0);
    // Conditional on the holder, so harmless when another holds it; bounded, so a database that
    // does not answer cannot hold up a shutdown (the lease then expires by itself).
    const { name, periodMs, logger } = this.options;
    const released = within(this.store.release(name, this.holder), periodMs / 4, () => {
      throw new Error(`no answer within ${periodMs / 4} ms`);
    });
    await released.catch((err: unknown) => logger.warn(`could not release the ${name} lease; it expires by itself`, err));
  }

  private renew(): void {
    const { name, periodMs, logger } = this.options;
    const sent = performance.now();
    // A statement the database does not answer within the renewal interval counts as failed.
    const attempt = within(this.store.acquire(name, this.holder, periodMs), periodMs / 4, () => {
      throw new Error(`no answer within ${periodMs / 4} ms`);
    });
    this.running = attempt
      .then(
        (got) => {
          if (this.failing) logger.info(`the ${name} lease can be renewed again`);
          this.failing = false;
          this.setUntil(got ? sent + periodMs - periodMs / 4 : 0);
        },
        (err: unknown) => {
          // Said once per outage, not every quarter period while the database is away.
          if (!this.failing) logger.warn(`could not take or renew the ${name} lease; trying again every ${periodMs / 4} ms`, err);
          this.failing = true;
          // Not renewed: held until the last successful renewal runs out, not a moment longer.
          this.setUntil(this.until);
        },
      )
      .finally(() => {
        this.running = null;
        if (!this.started) return;
        this.timer = setTimeout(() => this.renew(), periodMs / 4);
        this.timer.unref();
      });
  }

  /** Records the new deadline and tells the owner when holding starts or ends (also when the deadline passes unrenewed). */
  private setUntil(until: number): void {
    this.until = until;
    if (this.expiry !== null) clearTimeout(this.expiry);
    this.expiry = null;
    const held = this.held;
    if (held) {
      this.expiry = setTimeout(() => this.setUntil(this.until), until - performance.now());
      this.expiry.unref();
    }
    if (held !== this.wasHeld) {
      this.wasHeld = held;
      const { name, logger } = this.options;
      logger.info(held ? `this instance holds the ${name} lease` : `this instance no longer holds the ${name} lease`);
      try {
        (held ? this.options.onGained : this.options.onLost)?.();
      } catch (err) {
        logger.error(`the ${name} lease's ${held ? 'onGained' : 'onLost'} callback failed`, err);
      }
    }
  }
}
