import type { StoredPolicy } from '../policy';
import type { ServedPolicies } from './policy-store';

export type Lookup =
  | { status: 'found'; policy: StoredPolicy }
  | { status: 'missing' }
  /** Nothing was ever loaded and the database does not answer: the caller says 503. */
  | { status: 'unavailable' };

export interface CacheOptions {
  /** How long a loaded snapshot is trusted before the next request reloads it. */
  ttlMs: number;
  /** How long a request waits for a reload before it is answered from the previous snapshot. */
  waitMs: number;
  now?: () => number;
}

/**
 * The set of served policies, held in memory so that the policy file costs no database query on
 * the warm path, and so that while the database is unreachable the last known good policies keep
 * being served (never a guessed one).
 *
 * Local saves patch the snapshot before their response is sent, so this instance never serves a
 * policy older than its own last save. Changes made by other instances sharing the database are
 * seen at the first request after `ttlMs`, or at most `waitMs` later if the reload is slow.
 */
export class ServedCache {
  private snapshot: (ServedPolicies & { generation: number; loadedAt: number; loadGeneration: number }) | null = null;
  /** Bumped by every local change. */
  private generation = 0;
  /**
   * Local changes a reload in flight may have missed: a reload that started before a change is
   * completed with it, so the saving instance never goes back to the old policy.
   */
  private patches: Array<{ generation: number; domain: string; policy: StoredPolicy | null }> = [];
  private reload: { promise: Promise<void>; generation: number; startedAt: number } | null = null;
  private retryAt = 0;
  private readonly now: () => number;

  constructor(
    private readonly load: () => Promise<ServedPolicies>,
    private readonly options: CacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async lookup(domain: string): Promise<Lookup> {
    if (!this.isFresh()) await this.refresh();
    const snapshot = this.snapshot;
    if (!snapshot) return { status: 'unavailable' };
    const policy = snapshot.policies.get(domain) ?? snapshot.policies.get(snapshot.aliases.get(domain) ?? '');
    return policy ? { status: 'found', policy } : { status: 'missing' };
  }

  /** The names a certificate needs: every domain and alias that has a policy served. */
  async servedDomains(): Promise<string[] | null> {
    if (!this.isFresh()) await this.refresh();
    const snapshot = this.snapshot;
    if (!snapshot) return null;
    const names = [...snapshot.policies.keys()];
    for (const [alias, target] of snapshot.aliases) if (snapshot.policies.has(target)) names.push(alias);
    return [...new Set(names)].sort();
  }

  /** Applies a change this instance just committed, before the save is answered. */
  applyLocal(domain: string, policy: StoredPolicy | null): void {
    this.generation += 1;
    this.patches.push({ generation: this.generation, domain, policy });
    if (!this.snapshot) return;
    apply(this.snapshot.policies, domain, policy);
    this.snapshot.generation = this.generation;
  }

  private isFresh(): boolean {
    const s = this.snapshot;
    return s !== null && s.generation === this.generation && this.now() - s.loadedAt < this.options.ttlMs;
  }

  /** Starts (or joins) a reload and waits for it, at most until `waitMs` after it started. */
  private async refresh(): Promise<void> {
    if (this.snapshot && this.now() < this.retryAt) return;
    if (!this.reload || this.reload.generation !== this.generation) {
      const generation = this.generation;
      const startedAt = this.now();
      const promise = this.load().then(
        (served) => {
          // A reload that began before the current snapshot's is older news: drop it.
          if (this.snapshot && generation < this.snapshot.loadGeneration) return;
          // Local saves committed after this reload began may be missing from it.
          for (const patch of this.patches) if (patch.generation > generation) apply(served.policies, patch.domain, patch.policy);
          this.patches = this.patches.filter((patch) => patch.generation > generation);
          this.snapshot = { ...served, generation: this.generation, loadedAt: startedAt, loadGeneration: generation };
          this.retryAt = 0;
        },
        () => {
          // Database unreachable: keep the last known good snapshot and retry after a pause
          // rather than on every request.
          this.retryAt = this.now() + Math.min(1000, this.options.ttlMs);
        },
      ).finally(() => {
        if (this.reload?.promise === promise) this.reload = null;
      });
      this.reload = { promise, generation, startedAt };
    }
    const { promise, startedAt } = this.reload;
    const remaining = startedAt + this.options.waitMs - this.now();
    if (remaining <= 0 && this.snapshot) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(remaining, 0));
    });
    await Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

function apply(policies: Map<string, StoredPolicy>, domain: string, policy: StoredPolicy | null): void {
  if (policy) policies.set(domain, policy);
  else policies.delete(domain);
}
