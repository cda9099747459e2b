import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
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

/** What a DNS Check may do now: run (then call `release` when done), or wait. */
export type Admission =
  | { ok: true; release(): void }
  | ({ reason: 'rate-limited' } & Extract<RateDecision, { ok: false }>)
  | { ok: false; reason: 'busy'; retryAfter: number; limit: number };

/**
 * How long a client refused for "too many checks running" is told to wait. A check takes at most
 * its resolver timeouts plus its probes, a few seconds; ten is enough for the running ones to end.
 */
export const BUSY_RETRY_AFTER_S = 10;

/** The DNS Check limiter, shared by the tab and the API: a count per user, and a cap on checks running at once. */
export interface DnsCheckLimiter {
  admit(req: Request): Promise<Admission>;
  /** Checks running now (for tests). */
  readonly running: number;
}

/**
 * The rate key of a client address: an IPv4 address as it is, an IPv6 address by its /64 (one
 * subscriber usually holds a whole /64, so counting single addresses would give them 2^64 counts).
 */
export function addressKey(address: string): string {
  // The zone of a scoped IPv6 address (`fe80::1%eth0`) is cut at the first % by index: linear.
  const zone = address.indexOf('%');
  const ip = zone < 0 ? address : address.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return `ip:${mapped[1]}`;
  if (isIPv6(ip)) {
    const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
    const groups = (part: string | null) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
    const first = groups(head);
    const last = tail === null ? [] : groups(tail);
    const all = [...first, ...Array<string>(Math.max(0, 8 - first.length - last.length)).fill('0'), ...last];
    return `ip6:${all
      .slice(0, 4)
      .map((g) => parseInt(g, 16).toString(16))
      .join(':')}::/64`;
  }
  return `ip:${ip}`;
}

export function createDnsCheckLimiter(options: Pick<ResolvedOptions, 'rateLimit' | 'now'>): DnsCheckLimiter {
  const { dnsChecks, windowMs, concurrentChecks, key } = options.rateLimit;
  const limiter = new RateLimiter(dnsChecks, windowMs, () => options.now().getTime());
  let running = 0;
  return {
    get running() {
      return running;
    },
    async admit(req) {
      const value = await key(req);
      // Nobody named: the client address rather than one shared bucket.
      const name = typeof value === 'string' && value !== '' ? `k:${value}` : addressKey(req.ip ?? req.socket?.remoteAddress ?? '');
      // Refused for being busy first, so that a refusal does not use up one of the user's checks.
      // Refused rather than queued: a queue would hold a connection and a waiting page per
      // request, so a flood would still tie up the server, and the person would wait with no word.
      if (running >= concurrentChecks) return { ok: false, reason: 'busy', retryAfter: BUSY_RETRY_AFTER_S, limit: concurrentChecks };
      const decision = limiter.take(name);
      if (!decision.ok) return { ...decision, reason: 'rate-limited' };
      running += 1;
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          running -= 1;
        },
      };
    },
  };
}
