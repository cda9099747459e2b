// A counting semaphore for sockets. One instance per plugin instance caps the DNS Check's sockets
// in flight for every check together (tab, API, checkMany): a domain with 1,400 MX records, or
// many checks at once, then queue for a slot instead of opening thousands of sockets.

export const DEFAULT_MAX_SOCKETS = 32;

export class SocketLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most slots ever held at once: for tests and benchmarks. */
  peak = 0;

  constructor(readonly max: number = DEFAULT_MAX_SOCKETS) {
    if (!Number.isInteger(max) || max < 1) throw new TypeError('maxSockets must be a whole number of at least 1');
  }

  get inFlight(): number {
    return this.active;
  }

  /**
   * Waits for a free slot and returns the function that gives it back (idempotent). The wait has
   * no deadline of its own: every holder works under one and releases in a `finally`, so a slot
   * always comes free, and callers in order of arrival get them.
   */
  async acquire(): Promise<() => void> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays as it is.
      if (next) next();
      else this.active -= 1;
    };
  }

  /** Runs `work` holding one slot. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}
