import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { ResolvedOptions } from '../options';

export type RateDecision = { ok: true } | { ok: false; retryAfter: number; limit: number; windowMs: number };

/** Counters kept at most; beyond it the oldest windows are dropped, so memory stays bounded. */
export const MAX_RATE_KEYS = 10_000;

/**
 * A fixed-window counter per key: at most `limit` events per `windowMs`, the window starting at a
 * key's first event. Entries sit in a Map in order of their window start (a renewed window is
 * re-inserted at the end), so expired ones are always at the front and are dropped as new events
 * arrive; the Map never holds more than `maxKeys` entries. Keys are stored as hashes, so a session
 * id used as key is not kept in memory.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number,
    private readonly maxKeys = MAX_RATE_KEYS,
  ) {}

  /** Counts one event for `key`; refuses it (counting nothing) when the key's window is full. */
  take(key: string): RateDecision {
    const now = this.now();
    this.prune(now);
    const id = createHash('sha256').update(key).digest('base64url').slice(0, 22);
    let entry = this.windows.get(id);
    if (entry && now - entry.start >= this.windowMs) {
      this.windows.delete(id);
      entry = undefined;
    }
    if (!entry) {
      entry = { start: now, count: 0 };
      this.windows.set(id, entry);
      while (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
    }
    if (entry.count >= this.limit) {
      return { ok: false, retryAfter: Math.max(1, Math.ceil((entry.start + this.windowMs - now) / 1000)), limit: this.limit, windowMs: this.windowMs };
    }
    entry.count += 1;
    return { ok: true };
  }

  /** How many keys are tracked (for tests: it stays bounded). */
  get size(): number {
    return this.windows.size;
  }

  private prune(now: number): void {
    for (const [id, entry] of this.windows) {
      // A clock that went back leaves an entry "in the future": it expires by the same rule later.
      if (now - entry.start < this.windowMs) break;
      this.windows.delete(id);
    }
  }
}

/** The DNS Check limiter, shared by the tab and the API, keyed by `rateLimit.key(req)`. */
export interface DnsCheckLimiter {
  take(req: Request): RateDecision;
}

export function createDnsCheckLimiter(options: Pick<ResolvedOptions, 'rateLimit' | 'now'>): DnsCheckLimiter {
  const { dnsChecks, windowMs, key } = options.rateLimit;
  const limiter = new RateLimiter(dnsChecks, windowMs, () => options.now().getTime());
  return {
    take(req) {
      const value = key(req);
      // A hook that names nobody falls back to the client address rather than one shared bucket.
      const name = typeof value === 'string' && value !== '' ? `k:${value}` : `ip:${req.ip ?? req.socket?.remoteAddress ?? ''}`;
      return limiter.take(name);
    },
  };
}
