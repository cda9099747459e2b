import type { Request } from 'express';
import { addressKey } from '../web/rate-limit';

/** Failed logins allowed per account and per client address within the window. */
export const LOGIN_FAILURES = 5;
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Counters kept at most (oldest dropped), so that a flood of names cannot fill the memory. */
const MAX_KEYS = 10_000;

/**
 * Failed logins per account and per address (IPv6 by /64): after LOGIN_FAILURES failures within
 * LOGIN_WINDOW_MS, the account or address gets no further attempt until the window ends, even
 * with the right password (so guessing cannot go on). A successful login clears its account's
 * count only: an attacker with one valid account cannot reset their address's count by using it.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, { start: number; count: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  static keys(req: Request, username: string): string[] {
    return [`user:${username.trim().toLowerCase()}`, addressKey(req.ip ?? req.socket.remoteAddress ?? '')];
  }

  /** Seconds until every key may try again; 0 when none is blocked. */
  blockedFor(keys: string[]): number {
    let seconds = 0;
    for (const key of keys) {
      const entry = this.current(key);
      if (entry && entry.count >= LOGIN_FAILURES) seconds = Math.max(seconds, Math.ceil((entry.start + LOGIN_WINDOW_MS - this.now()) / 1000));
    }
    return seconds;
  }

  fail(keys: string[]): void {
    for (const key of keys) {
      const entry = this.current(key);
      if (entry) entry.count += 1;
      else {
        this.failures.set(key, { start: this.now(), count: 1 });
        while (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value as string);
      }
    }
  }

  clearAccount(username: string): void {
    this.failures.delete(`user:${username.trim().toLowerCase()}`);
  }

  private current(key: string) {
    const entry = this.failures.get(key);
    if (entry && this.now() - entry.start >= LOGIN_WINDOW_MS) {
      this.failures.delete(key);
      return undefined;
    }
    return entry;
  }
}
