// The served set: which policy the policy file serves for a host name, held in memory by the
// ServedCache (wired here to the store and the host's metrics hooks), the policy file's bytes, and
// the set's self-repair when the host's schema upgrade dropped the plugin's columns under it.
import { notify, type Logger, type Observer } from '../logger';
import { renderPolicy, servedPolicy, type DomainRecord, type StoredPolicy } from '../policy';
import { isDatabaseUnavailable } from '../store/errors';
import type { HistoryStore } from '../store/history-store';
import { repairColumns, type MigrateOptions } from '../store/migrate';
import type { PolicyStore } from '../store/policy-store';
import { ServedCache, type CacheOptions, type Lookup } from '../store/served-cache';
import { ServedReader } from '../store/served-reader';
import { describeMissingPart, hostSchemaOf, missingHostParts } from './schema';

export type { Lookup } from '../store/served-cache';

export interface ServedDeps {
  store: PolicyStore;
  /** Where the policies come back from when the columns were dropped. */
  history: HistoryStore;
  migrations: MigrateOptions;
  cache: CacheOptions;
  logger: Logger;
  /** The host's hooks for metrics; empty when it gave none. */
  observer: Observer;
}

// Rendered bodies per stored policy object: the cache hands out the same object until the policy
// changes, so each policy is rendered once, and the DNS Check compares exactly these bytes.
const bodies = new WeakMap<StoredPolicy, Buffer>();
// And per content: the body names neither the domain nor the id, so the 100,000 domains of a
// fleet with a handful of MX sets share a handful of buffers. Bounded: cleared when it grows past
// what any real fleet has in distinct policies.
const shared = new Map<string, Buffer>();
const SHARED_BODIES = 10_000;

/** The policy file's bytes for a served policy. */
export function policyBody(policy: StoredPolicy): Buffer {
  let buffer = bodies.get(policy);
  if (!buffer) {
    const key = `${policy.version}|${policy.mode}|${policy.maxAge}|${policy.mx.join(',')}`;
    buffer = shared.get(key);
    if (!buffer) {
      buffer = Buffer.from(renderPolicy(policy), 'utf8');
      if (shared.size >= SHARED_BODIES) shared.clear();
      shared.set(key, buffer);
    }
    bodies.set(policy, buffer);
  }
  return buffer;
}

export class ServedService {
  private readonly cache: ServedCache;
  private repairing: Promise<number | null> | null = null;
  /** Why the last load of the set failed; null once one succeeded (or none failed). */
  private loadFailure: unknown = null;
  /** The cause last logged of a failed load: logged once, again when it changes, forgotten after a load. */
  private loggedCause: string | null = null;
  private logging: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ServedDeps) {
    const { store, observer } = deps;
    const reader = new ServedReader(store);
    this.cache = new ServedCache(
      () => reader.load(),
      deps.cache,
      (domain) => reader.loadOne(domain),
      // A failed reload may mean the columns were dropped under a running server.
      (err) => {
        this.loadFailure = err;
        this.logLoadFailure(err);
        this.noticeLoadFailure(err);
      },
      ({ ok, durationMs, names }) => {
        if (ok) this.loadFailure = null;
        if (ok && this.loggedCause !== null) {
          this.loggedCause = null;
          deps.logger.info(`the served set loads again (${names} names)`);
        }
        return ok ? notify(observer, 'servedSetLoaded', { durationMs, names }) : notify(observer, 'servedSetFailed', { durationMs });
      },
      (token, now) => reader.changes(token, now, reader.commitGapMs),
    );
  }

  /** The policy served for a host name at once from memory, or null: then ask `lookup`. */
  peek(name: string): StoredPolicy | null {
    return this.cache.peek(name);
  }

  /** The policy served for a host name, waiting for the database when memory cannot say. */
  lookup(name: string): Promise<Lookup> {
    return this.cache.lookup(name);
  }

  /** The policy text exactly as the policy file serves it for a domain, or null when none is served. */
  async text(domain: string): Promise<string | null> {
    const found = await this.cache.lookup(domain);
    if (found.status === 'unavailable') throw new Error('the database is unavailable, so what the policy file serves is unknown');
    return found.status === 'found' ? policyBody(found.policy).toString('utf8') : null;
  }

  /** Every domain and alias with a served policy, sorted; null while the database is unavailable. */
  names(): Promise<string[] | null> {
    return this.cache.servedDomains();
  }

  /**
   * Why `names()` has no answer, in words that name what failed: the database unreachable, or the
   * query refused (a configured table or column missing), or no answer in time.
   */
  whyUnavailable(): string {
    const err = this.loadFailure;
    if (err === null) return 'the database did not answer in time';
    return describeFailure(err);
  }

  /**
   * A failed load in the log with its cause, once per distinct cause (a reload fails every few
   * seconds while it lasts): the missing table or column and the option that changes it when a
   * configured one is missing, else the database's own words.
   */
  private logLoadFailure(err: unknown): void {
    const { logger, store } = this.deps;
    this.logging = this.logging
      .then(async () => {
        let cause = describeFailure(err);
        if (!isDatabaseUnavailable(err)) {
          const [missing] = await missingHostParts(store.knex, hostSchemaOf(store)).catch(() => []);
          if (missing) cause = describeMissingPart(missing);
        }
        if (cause === this.loggedCause) return;
        this.loggedCause = cause;
        logger.error(`loading the served set failed: ${cause}; the last set loaded, if any, keeps being served`);
      })
      .catch(() => undefined);
  }

  /**
   * A save this instance just committed, into its served set before the save is answered: the
   * instance that saved never serves the old policy afterwards.
   */
  applySaved(record: DomainRecord): void {
    this.cache.applyLocal(record.domain, servedPolicy(record), record.policy.revision);
  }

  /**
   * `listener` is told the domains whose served policy id changed, after the policy file serves
   * the new one (a save here, or another instance's save read by a reload).
   */
  onChange(listener: (domains: string[]) => void): void {
    this.cache.onChange(listener);
  }

  /** Reads the changes other processes saved, now (the DNS publisher's poll). */
  renew(): Promise<void> {
    return this.cache.renew();
  }

  /**
   * Resolves once background work on the database is done (a served-set reload, a column repair):
   * a command waits for it before closing the database, so nothing is cut off mid-query.
   */
  async idle(): Promise<void> {
    await this.cache.settle();
    await this.repairing;
    await this.logging;
  }

  /**
   * A reload of the served set failed: if the host's table lost the plugin's columns (a panel's
   * schema upgrade drops columns it does not know), put them back and their values with them.
   * Meanwhile the last known good set keeps being served. One repair at a time.
   */
  private noticeLoadFailure(err: unknown): void {
    // An unreachable database says nothing about the columns; the reload is retried anyway.
    if (this.repairing || isDatabaseUnavailable(err)) return;
    this.repairing = this.repairColumns()
      .catch((err: unknown) => {
        this.deps.logger.error('checking the MTA-STS columns after a failed reload failed', err);
        return null;
      })
      .finally(() => {
        this.repairing = null;
      });
  }

  /**
   * Adds back missing policy columns and restores every policy from the history, ids unchanged.
   * Returns how many policies were restored, or null when nothing was missing.
   */
  private async repairColumns(): Promise<number | null> {
    const { store, history, migrations, logger } = this.deps;
    const missing = await store.missingColumns();
    if (missing.length === 0) return null;
    if (store.layout.policyTable !== null) {
      // The panel's own table: the panel's to repair (its database update), never the plugin's.
      logger.error(
        `the panel's MTA-STS table lacks ${missing.join(', ')}: the last good policies keep being served until the panel's database update restores it`,
      );
      return null;
    }
    const { table } = migrations;
    logger.error(
      `the MTA-STS columns ${missing.join(', ')} are missing from the table "${table}" (dropped by the panel's schema upgrade?): adding them back and restoring every policy from ${history.table}`,
    );
    await repairColumns(store.knex, migrations);
    const restored = await store.restore(await history.latest());
    logger.error(`restored ${restored} MTA-STS policies into "${table}" with their ids; policies keep being served`);
    return restored;
  }
}

/** A failed load in words that name what failed: the database unreachable, or the query refused (a table or column missing). */
function describeFailure(err: unknown): string {
  const message = (err instanceof Error ? err.message : typeof err === 'string' ? err : 'an unknown error').split('\n')[0];
  // Knex puts the SQL before the database's own words: keep those, they name the table or column.
  const cause = message.includes(' - ') ? message.slice(message.lastIndexOf(' - ') + 3) : message;
  return isDatabaseUnavailable(err) ? `the database could not be reached (${cause.slice(0, 200)})` : `the database refused the query (${cause.slice(0, 200)})`;
}
