import type { Knex } from 'knex';
import {
  MAX_AGE_LIMIT,
  MODES,
  Mode,
  PolicySettings,
  StoredPolicy,
  VERSION,
  FieldError,
  Validation,
  changesServedPolicy,
  nextPolicyId,
  normalizeMxPattern,
  servedPolicy,
  toALabel,
  toULabel,
  type DomainRecord,
} from '../policy';
import { BoundedDb, DEFAULT_DB_TIMEOUT_MS } from './bounded';
import { COLUMNS } from './columns';
import type { Audit, HistoryEntry, HistoryPolicy, HistoryStore } from './history-store';

export interface DomainTable {
  table: string;
  keyColumn: string;
  /** The host's own "domain is active" column, or null when the host has none. */
  activeColumn: string | null;
}

export interface AliasTable {
  table: string;
  aliasColumn: string;
  targetColumn: string;
  activeColumn: string | null;
}

export type SaveResult =
  | { status: 'saved'; record: DomainRecord; changed: boolean }
  | { status: 'invalid'; errors: FieldError[] }
  | { status: 'conflict'; record: DomainRecord }
  | { status: 'not-found' };

/** A served policy: the domain and alias names it answers for. */
export interface ServedPolicies {
  policies: Map<string, StoredPolicy>;
  aliases: Map<string, string>;
}

export interface SaveOptions {
  /** Refuse the save (conflict) unless the row is still at this revision. */
  expectedRevision?: number;
  now?: () => Date;
  /**
   * Store exactly this policy id instead of a new one: for imports of a policy senders already
   * know under its id (the caller validates it). A save that changes nothing but the id stores it.
   */
  id?: string;
  /** Who makes the change, for the history. Default: unknown actor, source api. */
  audit?: Audit;
}

/** What a listing asks for; every filter optional. */
export interface ListQuery {
  /** Part of the domain name (A-label), case-insensitive. */
  search?: string;
  mode?: Mode;
  /** MTA-STS active or not (the plugin's flag, whatever the host's). */
  active?: boolean;
  limit: number;
  offset: number;
}

/** Rows per query when loading the served policies (see loadServed). */
const LOAD_BATCH = 500;

/**
 * All reads and writes of the plugin's columns. Knex builder only, so MariaDB/MySQL, PostgreSQL
 * and SQLite share it. Every statement runs through `db` (BoundedDb): within `timeoutMs`, or it
 * fails and its connection is taken out of service.
 */
export class PolicyStore {
  private readonly db: BoundedDb;

  constructor(
    readonly knex: Knex,
    private readonly domains: DomainTable,
    private readonly aliases: AliasTable | null,
    /**
     * `timeoutMs`: the deadline of every query (see BoundedDb). `history`: where every change is
     * recorded too; none for the store's own unit tests.
     */
    options: { timeoutMs?: number; history?: HistoryStore | null } = {},
  ) {
    this.db = new BoundedDb(knex, options.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS);
    this.history = options.history ?? null;
  }

  /** Where every change is recorded too, or null. */
  private readonly history: HistoryStore | null;

  /** How long a save waits for another transaction's row lock, in whole seconds: half the deadline, at least 1. */
  get lockWaitSeconds(): number {
    return Math.max(1, Math.floor(this.db.timeoutMs / 2000));
  }

  /** One statement under the deadline. */
  private read<T>(query: Knex.QueryBuilder | Knex.Raw): Promise<T> {
    return this.db.run(async (connection) => (await query.connection(connection)) as T);
  }

  private columns(): string[] {
    const cols = [this.domains.keyColumn, ...Object.values(COLUMNS)];
    if (this.domains.activeColumn) cols.push(this.domains.activeColumn);
    return cols;
  }

  private get locks(): boolean {
    // SQLite serialises writers by itself and Knex warns on FOR UPDATE there.
    return this.db.dialect !== 'sqlite';
  }

  /** Finds a domain by any spelling a person or the host may use: A-label, U-label, any case. */
  async find(name: string): Promise<DomainRecord | null> {
    const ascii = toALabel(name);
    if (ascii === null) return null;
    const spellings = [...new Set([ascii, toULabel(ascii), name.trim(), name.trim().toLowerCase()])];
    let rows = await this.read<Array<Record<string, unknown>>>(this.knex(this.domains.table).select(this.columns()).whereIn(this.domains.keyColumn, spellings));
    if (rows.length === 0) {
      // SQLite and PostgreSQL compare case-sensitively, so a host row spelled "Example.ORG" is only
      // found by comparing lower-cased keys. Only as a fallback: it cannot use the key's index.
      rows = await this.read(
        this.knex(this.domains.table)
          .select(this.columns())
          .whereIn(
            this.knex.raw('lower(??)', [this.domains.keyColumn]) as unknown as string,
            spellings.map((s) => s.toLowerCase()),
          ),
      );
    }
    const records = rows.map((row) => this.decode(row)).filter((r): r is DomainRecord => r !== null && r.domain === ascii);
    return records.find((r) => r.key === ascii) ?? records[0] ?? null;
  }

  /**
   * Applies a change in one transaction: re-reads the row under a lock, refuses a stale
   * `expectedRevision`, validates, and writes a new policy id only when the served policy changes.
   */
  async save(name: string, change: (current: PolicySettings) => Validation<PolicySettings>, options: SaveOptions = {}): Promise<SaveResult> {
    const started = Date.now();
    const found = await this.find(name);
    if (!found) return { status: 'not-found' };
    // Set once the transaction body has written a change: a failure after that is the commit's,
    // whose outcome the client cannot know (the server may have committed before the line broke).
    let wrote = false;
    try {
      // The whole transaction, BEGIN to COMMIT, under what is left of the save's one deadline: a
      // connection that stops answering mid-way is destroyed, which the server answers with a rollback.
      return await this.db.run(
        (connection) =>
          this.knex.transaction(
            async (trx) => {
              const result = await this.saveIn(trx, found, change, options);
              wrote = result.status === 'saved' && result.changed;
              return result;
            },
            { connection },
          ),
        this.db.timeoutMs - (Date.now() - started),
      );
    } catch (err) {
      throw markSaveFailure(err, wrote ? 'unknown' : 'not-saved');
    }
  }

  private async saveIn(
    trx: Knex.Transaction,
    found: DomainRecord,
    change: (current: PolicySettings) => Validation<PolicySettings>,
    options: SaveOptions,
  ): Promise<SaveResult> {
    let query = trx(this.domains.table).select(this.columns()).where(this.domains.keyColumn, found.key);
    if (this.locks) query = query.forUpdate();
    const row = await this.lockingRead(trx, query.first());
    const current = row ? this.decode(row) : null;
    if (!current) return { status: 'not-found' } as const;
    if (options.expectedRevision !== undefined && options.expectedRevision !== current.policy.revision) {
      return { status: 'conflict', record: current } as const;
    }
    const result = change(settingsOf(current.policy));
    if (!result.ok) return { status: 'invalid', errors: result.errors } as const;
    const next = result.value;
    const keepId = options.id !== undefined && options.id === current.policy.id;
    if (current.valid && !changesServedPolicy(settingsOf(current.policy), next) && (options.id === undefined || keepId)) {
      return { status: 'saved', record: current, changed: false } as const;
    }
    const now = (options.now ?? (() => new Date()))();
    const policy: StoredPolicy = {
      ...next,
      domain: current.domain,
      // An imported policy keeps the id senders already know; everything else gets a new one.
      id: options.id ?? nextPolicyId(current.policy.id, now),
      updatedAt: now.toISOString(),
      revision: current.policy.revision + 1,
    };
    const updated = await trx(this.domains.table)
      .where(this.domains.keyColumn, current.key)
      .andWhere(COLUMNS.revision, current.policy.revision)
      .update({
        [COLUMNS.active]: policy.active,
        [COLUMNS.version]: policy.version,
        [COLUMNS.mode]: policy.mode,
        [COLUMNS.maxAge]: policy.maxAge,
        [COLUMNS.mx]: policy.mx.join(','),
        [COLUMNS.id]: policy.id,
        [COLUMNS.updatedAt]: policy.updatedAt,
        [COLUMNS.revision]: policy.revision,
      });
    if (updated !== 1) return { status: 'conflict', record: current } as const;
    const audit = options.audit ?? { actor: null, source: 'api', origin: null };
    await this.history?.record(
      trx,
      current.key,
      policy.updatedAt as string,
      audit,
      current.valid ? historyPolicy(current.policy) : null,
      historyPolicy(policy),
    );
    return { status: 'saved', record: { ...current, policy, valid: true }, changed: true } as const;
  }

  /**
   * `SELECT ... FOR UPDATE` waiting at most lockWaitSeconds for a row lock held by another
   * transaction (e.g. a save whose client vanished mid-way, whose session the server has not ended
   * yet), so that the save fails as "database busy" well before its deadline, instead of after
   * the server's default (50 s on MariaDB, forever on PostgreSQL). Set inside the plugin's own
   * transaction, never in the host's pool configuration: PostgreSQL's `SET LOCAL` ends with the
   * transaction; MariaDB/MySQL have no transaction-local form, so the session's own value is kept
   * in a user variable and put back right after the locking read (the UPDATE that follows takes no
   * other lock), before the connection can return to the host's pool.
   */
  private async lockingRead<T>(trx: Knex.Transaction, read: Promise<T> | Knex.QueryBuilder): Promise<T> {
    const seconds = this.lockWaitSeconds;
    if (this.db.dialect === 'postgres') {
      await trx.raw(`SET LOCAL lock_timeout = '${seconds}s'`);
      return (await read) as T;
    }
    if (this.db.dialect !== 'mysql') return (await read) as T;
    await trx.raw('SET @mta_sts_lock_wait = @@SESSION.innodb_lock_wait_timeout, SESSION innodb_lock_wait_timeout = ?', [seconds]);
    const restore = () => trx.raw('SET SESSION innodb_lock_wait_timeout = @mta_sts_lock_wait');
    let row: T;
    try {
      row = (await read) as T;
    } catch (err) {
      // The read's error is the one to report (a lock wait timeout, a lost connection).
      await restore().catch(() => undefined);
      throw err;
    }
    await restore();
    return row;
  }

  /**
   * Every policy senders may be served: MTA-STS active, host domain active, values valid. Read in
   * batches of LOAD_BATCH rows in key order, yielding to the event loop between batches, so that
   * a host with many domains is never blocked for the whole load (SQLite reads synchronously).
   */
  async loadServed(): Promise<ServedPolicies> {
    const policies = new Map<string, StoredPolicy>();
    const key = this.domains.keyColumn;
    for (let after: unknown = undefined; ;) {
      // Keyset pagination on the key column, which is unique (every save updates one row by it).
      let query = this.knex(this.domains.table).select(this.columns()).where(COLUMNS.active, true).whereNotNull(key).orderBy(key).limit(LOAD_BATCH);
      if (after !== undefined) query = query.andWhere(key, '>', after as string);
      const rows = await this.read<Array<Record<string, unknown>>>(query);
      for (const row of rows) {
        const record = this.decode(row);
        const policy = servedPolicy(record);
        if (policy) policies.set(policy.domain, policy);
      }
      if (rows.length < LOAD_BATCH) break;
      after = rows[rows.length - 1][key];
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const aliases = new Map<string, string>();
    if (this.aliases) {
      const { table, aliasColumn, targetColumn, activeColumn } = this.aliases;
      const cols = activeColumn ? [aliasColumn, targetColumn, activeColumn] : [aliasColumn, targetColumn];
      for (const row of await this.read<Array<Record<string, unknown>>>(this.knex(table).select(cols))) {
        const alias = toALabel(String(row[aliasColumn] ?? ''));
        const target = toALabel(String(row[targetColumn] ?? ''));
        if (alias && target && (!activeColumn || truthy(row[activeColumn]))) aliases.set(alias, target);
      }
    }
    return { policies, aliases };
  }

  /**
   * The policy senders are served for one name, read directly: the domain's own, or, for an alias
   * domain, its target's. The same rules as loadServed, in a few indexed queries.
   */
  async loadOneServed(name: string): Promise<StoredPolicy | null> {
    const own = servedPolicy(await this.find(name));
    if (own || !this.aliases) return own;
    const { table, aliasColumn, targetColumn, activeColumn } = this.aliases;
    const ascii = toALabel(name);
    if (ascii === null) return null;
    const cols = activeColumn ? [targetColumn, activeColumn] : [targetColumn];
    const rows = await this.read<Array<Record<string, unknown>>>(
      this.knex(table)
        .select(cols)
        .whereIn(aliasColumn, [...new Set([ascii, toULabel(ascii)])]),
    );
    const row = rows.find((r) => !activeColumn || truthy(r[activeColumn]));
    return row ? servedPolicy(await this.find(String(row[targetColumn] ?? ''))) : null;
  }

  /**
   * A page of the domains whose MTA-STS is active, in key order after `after` (keyset pagination,
   * so walking 100,000 domains costs the same per page at the end as at the start).
   */
  async activeRecords(after: string | null, limit: number): Promise<{ records: DomainRecord[]; last: string | null }> {
    const key = this.domains.keyColumn;
    let query = this.knex(this.domains.table).select(this.columns()).where(COLUMNS.active, true).whereNotNull(key).orderBy(key).limit(limit);
    if (after !== null) query = query.andWhere(key, '>', after);
    const rows = await this.read<Array<Record<string, unknown>>>(query);
    const records = rows.map((row) => this.decode(row)).filter((r): r is DomainRecord => r !== null);
    return { records, last: rows.length < limit ? null : String(rows[rows.length - 1][key] as string) };
  }

  /** Domains in key order, filtered; rows whose key is not a host name are left out. */
  async list(query: ListQuery): Promise<{ records: DomainRecord[]; total: number }> {
    const filtered = () => {
      let q = this.knex(this.domains.table).whereNotNull(this.domains.keyColumn);
      // '!' escapes LIKE's wildcards the same way in SQLite, MariaDB and PostgreSQL.
      if (query.search)
        q = q.whereRaw("lower(??) like ? escape '!'", [this.domains.keyColumn, `%${query.search.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`]);
      if (query.mode) q = q.where(COLUMNS.mode, query.mode);
      if (query.active !== undefined) q = q.where(COLUMNS.active, query.active);
      return q;
    };
    const [{ count }] = await this.read<Array<{ count: unknown }>>(filtered().count({ count: '*' }));
    const rows = await this.read<Array<Record<string, unknown>>>(
      filtered().select(this.columns()).orderBy(this.domains.keyColumn).limit(query.limit).offset(query.offset),
    );
    const records = rows.map((row) => this.decode(row)).filter((r): r is DomainRecord => r !== null);
    return { records, total: Number(count) };
  }

  /**
   * Writes back, row by row, the policy each history entry says was last saved: after the plugin's
   * columns were dropped and added again with their defaults. Ids and revisions come back as they
   * were, so senders and open tabs see no change. Returns how many rows were restored.
   */
  async restore(entries: readonly HistoryEntry[]): Promise<number> {
    let restored = 0;
    for (const entry of entries) {
      const p = entry.after;
      restored += await this.read<number>(
        this.knex(this.domains.table)
          .where(this.domains.keyColumn, entry.key)
          .update({
            [COLUMNS.active]: p.active,
            [COLUMNS.version]: p.version,
            [COLUMNS.mode]: p.mode,
            [COLUMNS.maxAge]: p.maxAge,
            [COLUMNS.mx]: p.mx.join(','),
            [COLUMNS.id]: p.id,
            [COLUMNS.updatedAt]: p.updatedAt,
            [COLUMNS.revision]: p.revision,
          }),
      );
    }
    return restored;
  }

  /** The plugin's columns the host's table lacks (none once migrated). */
  async missingColumns(): Promise<string[]> {
    const missing: string[] = [];
    for (const name of Object.values(COLUMNS)) if (!(await this.knex.schema.hasColumn(this.domains.table, name))) missing.push(name);
    return missing;
  }

  /** Decodes a row; null when its key is not a host name at all. */
  private decode(row: Record<string, unknown>): DomainRecord | null {
    const key = String(row[this.domains.keyColumn] ?? '');
    const domain = toALabel(key);
    if (domain === null) return null;
    const mode = String(row[COLUMNS.mode]);
    const maxAge = Number(row[COLUMNS.maxAge]);
    const rawMx = String(row[COLUMNS.mx] ?? '')
      .split(',')
      .filter((entry) => entry !== '');
    const mx = rawMx.map(normalizeMxPattern);
    const valid =
      row[COLUMNS.version] === VERSION &&
      (MODES as readonly string[]).includes(mode) &&
      Number.isInteger(maxAge) &&
      maxAge >= 0 &&
      maxAge <= MAX_AGE_LIMIT &&
      mx.every((entry) => entry !== null) &&
      (mode === 'none' || mx.length > 0);
    return {
      key,
      domain,
      hostActive: this.domains.activeColumn ? truthy(row[this.domains.activeColumn]) : true,
      valid,
      policy: {
        domain,
        active: truthy(row[COLUMNS.active]),
        version: VERSION,
        mode: (MODES as readonly string[]).includes(mode) ? (mode as Mode) : 'none',
        maxAge: Number.isInteger(maxAge) ? maxAge : 0,
        mx: mx.filter((entry): entry is string => entry !== null),
        id: row[COLUMNS.id] == null ? null : String(row[COLUMNS.id]),
        updatedAt: row[COLUMNS.updatedAt] == null ? null : String(row[COLUMNS.updatedAt]),
        revision: Number(row[COLUMNS.revision]) || 0,
      },
    };
  }
}

/**
 * Marks an error thrown by a save: `outcome` is 'not-saved' when the transaction certainly changed
 * nothing (rolled back, or never wrote), 'unknown' when it failed while committing a change.
 */
export type SaveFailure = Error & { outcome: 'not-saved' | 'unknown' };

function markSaveFailure(err: unknown, outcome: 'not-saved' | 'unknown'): SaveFailure {
  const error = (err instanceof Error ? err : new Error(String(err))) as SaveFailure;
  try {
    error.outcome = outcome;
  } catch {
    // A frozen error: wrap it, keeping the original as the cause.
    return Object.assign(new Error(error.message, { cause: err }), { outcome });
  }
  return error;
}

function historyPolicy(policy: StoredPolicy): HistoryPolicy {
  return { ...settingsOf(policy), id: policy.id, updatedAt: policy.updatedAt, revision: policy.revision };
}

function settingsOf(policy: StoredPolicy): PolicySettings {
  return { active: policy.active, version: policy.version, mode: policy.mode, maxAge: policy.maxAge, mx: [...policy.mx] };
}

/** Host tables store flags as 1/0, '1'/'0', true/false or BIT(1) buffers. */
function truthy(value: unknown): boolean {
  if (Buffer.isBuffer(value)) return value.some((byte) => byte !== 0);
  return value === true || value === 1 || value === '1' || value === 'true' || value === 1n;
}
