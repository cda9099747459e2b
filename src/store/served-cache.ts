import { within } from '../deadline';
import type { StoredPolicy } from '../policy';
import type { ServedChanges, ServedPolicies, ServedToken } from './served-reader';

export type Lookup =
  | { status: 'found'; policy: StoredPolicy }
  /** Not served, according to a snapshot the database confirmed within `ttlMs`. */
  | { status: 'missing' }
  /**
   * Not in any confirmed snapshot: nothing was ever loaded, or the last snapshot has expired and
   * the database did not answer the reload in time (it may have been added since). The caller
   * says 503. A domain the last snapshot serves is still `found` then (last known good).
   */
  | { status: 'unavailable' };

const TIMED_OUT: unique symbol = Symbol('timed out');

/** peek() renews a snapshot in the background once it is this share of `ttlMs` old. */
const REFRESH_AHEAD = 0.8;

/**
 * With `changes`, a snapshot is renewed by reading what changed, and loaded in full only when
 * that says so, or once this long after its last full load: a safety net for a change the cheap
 * check cannot see (see ServedReader.fingerprint), at a cost that does not grow with the traffic.
 */
const FULL_RELOAD_MS = 600_000;

/** Before the first load, how long a request waits for it before its name is read directly. */
const COLD_WAIT_MS = 25;

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
 * seen within `ttlMs`: under traffic the snapshot is renewed in the background (see `peek`), and a
 * request that finds it expired reads its own domain directly (see `lookupDirect`).
 */
export class ServedCache {
  private snapshot: (ServedPolicies & { generation: number; loadedAt: number; loadGeneration: number; fullAt: number }) | null = null;
  /** Bumped by every local change. */
  private generation = 0;
  /**
   * Local changes a reload in flight may have missed: a reload that started before a change is
   * completed with it, so the saving instance never goes back to the old policy.
   */
  private patches: Array<{ generation: number; domain: string; policy: StoredPolicy | null; revision?: number }> = [];
  private reload: { promise: Promise<void>; generation: number; startedAt: number } | null = null;
  private retryAt = 0;
  /**
   * The database said the set changed in a way only a full load can follow (the host changed its
   * tables), and that load is running: the snapshot is known to be out of date, so requests read
   * their own name directly until it is in, rather than wait for it or be answered from the old set.
   */
  private outdated = false;
  /** Successful loads so far: a lookup that saw this change got a confirmed snapshot. */
  private loads = 0;
  /**
   * The highest revision applied locally per domain. Saves answered out of commit order (two
   * admins at once) must not put an older policy back over a newer one.
   */
  private readonly localRevisions = new Map<string, number>();
  private readonly now: () => number;
  /** Told which domains' served policy id changed (see `onChange`). */
  private readonly changeListeners: Array<(domains: string[]) => void> = [];

  constructor(
    private readonly load: () => Promise<ServedPolicies>,
    private readonly options: CacheOptions,
    /** Reads one name's served policy directly; used while the whole set is being reloaded. */
    private readonly loadOne?: (domain: string) => Promise<StoredPolicy | null>,
    /** Told when a reload fails (the last known good set keeps being served meanwhile). */
    private readonly onLoadError?: (err: unknown) => void,
    /** Told after each reload that succeeded or failed, with its duration (for metrics). */
    private readonly onLoaded?: (event: { ok: boolean; durationMs: number; names: number }) => void,
    /**
     * What changed since a loaded set's token (ServedReader.changes): when given, a snapshot
     * is renewed by reading only that, so that keeping it fresh costs in proportion to the changes,
     * not to the domains.
     */
    private readonly changes?: (token: ServedToken, now: number) => Promise<ServedChanges>,
  ) {
    this.now = options.now ?? Date.now;
  }

  async lookup(domain: string): Promise<Lookup> {
    const direct = await this.lookupDirect(domain);
    if (direct) return direct;
    const confirmed = await this.current();
    const snapshot = this.snapshot;
    if (!snapshot) return { status: 'unavailable' };
    const policy = snapshot.policies.get(domain) ?? snapshot.policies.get(snapshot.aliases.get(domain) ?? '');
    if (policy) return { status: 'found', policy };
    return confirmed ? { status: 'missing' } : { status: 'unavailable' };
  }

  /**
   * Before the first load has completed (just started: 100,000 domains take seconds to read), or
   * once the snapshot has expired (a quiet host: no request for `ttlMs`), loading the whole set
   * before answering would make the request wait in proportion to the number of domains. Instead
   * this one name is read directly, and the set is loaded or renewed in the background. Null when
   * there is nothing to gain (a fresh snapshot, or an expired one whose renewal is already
   * running) or the database fails: the caller then goes the usual way, with its last-known-good answers.
   */
  private async lookupDirect(domain: string): Promise<Lookup | null> {
    if (!this.loadOne || this.now() < this.retryAt) return null;
    if (this.snapshot && !this.outdated && (this.isFresh() || this.reload)) return null;
    if (!this.snapshot) {
      // A small set loads in a moment: wait that long for it rather than read the name apart.
      void this.refresh();
      if (this.reload) await within(this.reload.promise, Math.min(this.options.waitMs, COLD_WAIT_MS), () => undefined);
      if (this.snapshot) return null;
    }
    const generation = this.generation;
    void this.refresh();
    try {
      // Bounded like a reload: a database that hangs must not hold the request.
      const policy = await within(this.loadOne(domain), this.options.waitMs, (): typeof TIMED_OUT => TIMED_OUT);
      // A local save meanwhile is newer than what was read: let the snapshot answer.
      if (policy === TIMED_OUT || generation !== this.generation) return null;
      return policy ? { status: 'found', policy } : { status: 'missing' };
    } catch {
      return null;
    }
  }

  /**
   * Makes the snapshot current if it can. True when it is confirmed: fresh, or reloaded while the
   * caller waited; false when the caller must make do with an expired one (database down or slow).
   */
  private async current(): Promise<boolean> {
    if (this.isFresh()) return true;
    const loads = this.loads;
    await this.refresh();
    return this.loads !== loads;
  }

  /**
   * The policy a fresh snapshot serves for `domain`, at once: no promise, no wait. Null when the
   * snapshot does not serve it, or is missing or expired: ask `lookup` then, which may wait for the
   * database. From REFRESH_AHEAD of `ttlMs` on, it also starts the reload in the background, so
   * that under steady traffic the snapshot is renewed before it expires and no request waits for
   * a reload, however many domains it reads. Freshness is that of `lookup` or better: a save on
   * this instance is in the snapshot before its response; another instance's save is seen at most
   * `ttlMs` later (REFRESH_AHEAD of it plus one reload under steady traffic).
   */
  peek(domain: string): StoredPolicy | null {
    const snapshot = this.snapshot;
    if (snapshot === null || this.outdated || !this.isFresh()) return null;
    if (!this.reload && this.now() - snapshot.loadedAt >= this.options.ttlMs * REFRESH_AHEAD) void this.refresh();
    return snapshot.policies.get(domain) ?? snapshot.policies.get(snapshot.aliases.get(domain) ?? '') ?? null;
  }

  /** The names a certificate needs: every domain and alias that has a policy served. */
  async servedDomains(): Promise<string[] | null> {
    // Unlike the policy file, no last-known-good answer: a stale list would make an ACME client
    // drop or request names wrongly. Null unless the set is confirmed fresh within `waitMs`.
    if (!(await this.current())) return null;
    const snapshot = this.snapshot;
    if (!snapshot) return null;
    const names = [...snapshot.policies.keys()];
    for (const [alias, target] of snapshot.aliases) if (snapshot.policies.has(target)) names.push(alias);
    return [...new Set(names)].sort();
  }

  /**
   * Applies a change this instance just committed, before the save is answered. `revision` is the
   * row's revision after the save (the policy's own when one is given); a change older than one
   * already applied for the domain is ignored.
   */
  applyLocal(domain: string, policy: StoredPolicy | null, revision: number | undefined = policy?.revision): void {
    if (revision !== undefined) {
      if (revision < (this.localRevisions.get(domain) ?? -1)) return;
      this.localRevisions.set(domain, revision);
    }
    this.generation += 1;
    this.patches.push({ generation: this.generation, domain, policy, revision });
    if (this.snapshot) {
      apply(this.snapshot.policies, domain, policy);
      this.snapshot.generation = this.generation;
    }
    this.emit([domain]);
  }

  /**
   * `listener` is told the domains whose served policy id changed, once the set in memory serves
   * the new policy (a local save, or a reload that read another instance's save): what is
   * announced in DNS may then follow (RFC 8461 8.1: the policy first, then its id).
   */
  onChange(listener: (domains: string[]) => void): void {
    this.changeListeners.push(listener);
  }

  /** Reads what changed now, whether or not the snapshot is still fresh (a publisher's poll). */
  async renew(): Promise<void> {
    await this.refresh();
  }

  private emit(domains: string[]): void {
    if (domains.length === 0) return;
    for (const listener of this.changeListeners) {
      try {
        listener(domains);
      } catch {
        // A listener's failure is its own: the served set goes on.
      }
    }
  }

  private isFresh(): boolean {
    const s = this.snapshot;
    return s !== null && s.generation === this.generation && this.now() - s.loadedAt < this.options.ttlMs;
  }

  /** Resolves once no reload is running (a short-lived process waits for it before closing the database). */
  async settle(): Promise<void> {
    while (this.reload) await this.reload.promise;
  }

  /** Starts (or joins) a reload and waits for it, at most until `waitMs` after it started. */
  private async refresh(): Promise<void> {
    if (this.snapshot && this.now() < this.retryAt) return;
    if (!this.reload || this.reload.generation !== this.generation) {
      const generation = this.generation;
      const startedAt = this.now();
      const base = this.snapshot;
      const incremental = this.changes && base?.token && startedAt - base.fullAt < FULL_RELOAD_MS ? { changes: this.changes, token: base.token } : null;
      const work: Promise<{ full: ServedPolicies } | { changed: Extract<ServedChanges, { kind: 'changes' }> }> = incremental
        ? incremental.changes(incremental.token, startedAt).then((changed) => {
            if (changed.kind !== 'reload') return { changed };
            this.outdated = true;
            return this.load().then((full) => ({ full }));
          })
        : this.load().then((full) => ({ full }));
      const promise = work
        .then(
          (outcome) => {
            // A reload that began before the current snapshot's is older news: drop it.
            if (this.snapshot && generation < this.snapshot.loadGeneration) return;
            let served: ServedPolicies & { fullAt: number };
            const changed: string[] = [];
            if ('full' in outcome) {
              served = { ...outcome.full, fullAt: startedAt };
              this.outdated = false;
              if (this.snapshot) changed.push(...differing(this.snapshot.policies, served.policies));
            } else {
              // Only what changed, applied to the set in memory (which local saves keep patching).
              const current = this.snapshot as NonNullable<ServedCache['snapshot']>;
              for (const [domain, policy] of outcome.changed.policies) {
                if ((current.policies.get(domain)?.id ?? null) !== (policy?.id ?? null)) changed.push(domain);
                apply(current.policies, domain, policy);
              }
              served = {
                policies: current.policies,
                aliases: outcome.changed.aliases ?? current.aliases,
                token: outcome.changed.token,
                fullAt: current.fullAt,
              };
            }
            // Local saves committed after this reload began may be missing from it.
            for (const patch of this.patches) if (patch.generation > generation) apply(served.policies, patch.domain, patch.policy);
            this.patches = this.patches.filter((patch) => patch.generation > generation);
            // The database now speaks for every change before this reload; only later ones need
            // ordering (and a table migrated down and up again starts its revisions anew).
            this.localRevisions.clear();
            for (const patch of this.patches) if (patch.revision !== undefined) this.localRevisions.set(patch.domain, patch.revision);
            this.snapshot = { ...served, generation: this.generation, loadedAt: startedAt, loadGeneration: generation };
            this.retryAt = 0;
            this.loads += 1;
            this.onLoaded?.({ ok: true, durationMs: this.now() - startedAt, names: served.policies.size });
            this.emit(changed);
          },
          (err: unknown) => {
            // Database unreachable: keep the last known good snapshot and retry after a pause
            // rather than on every request.
            this.retryAt = this.now() + Math.min(1000, this.options.ttlMs);
            // What failed may have changed the tables in ways no fingerprint tells (columns dropped
            // and restored by the repair): the next renewal after a failure is a full load.
            if (this.snapshot) this.snapshot.fullAt = Number.NEGATIVE_INFINITY;
            this.onLoadError?.(err);
            this.onLoaded?.({ ok: false, durationMs: this.now() - startedAt, names: 0 });
          },
        )
        .finally(() => {
          if (this.reload?.promise === promise) this.reload = null;
        });
      this.reload = { promise, generation, startedAt };
    }
    const { promise, startedAt } = this.reload;
    const remaining = startedAt + this.options.waitMs - this.now();
    if (remaining <= 0 && this.snapshot) return;
    await within(promise, remaining, () => undefined);
  }
}

/** The domains whose served id differs between two sets (added, removed or changed). */
function differing(before: Map<string, StoredPolicy>, after: Map<string, StoredPolicy>): string[] {
  const domains: string[] = [];
  for (const [domain, policy] of after) if (before.get(domain)?.id !== policy.id) domains.push(domain);
  for (const domain of before.keys()) if (!after.has(domain)) domains.push(domain);
  return domains;
}

function apply(policies: Map<string, StoredPolicy>, domain: string, policy: StoredPolicy | null): void {
  if (policy) policies.set(domain, policy);
  else policies.delete(domain);
}
