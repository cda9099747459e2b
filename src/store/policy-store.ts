import type { Knex } from 'knex';
import {
  changesServedPolicy,
  nextPolicyId,
  toALabel,
  toULabel,
  type DomainRecord,
  type FieldError,
  type Mode,
  type PolicySettings,
  type StoredPolicy,
  type Validation,
} from '../policy';
import { BoundedDb, DEFAULT_DB_TIMEOUT_MS } from './bounded';
import { COLUMNS } from './columns';
import type { Dialect } from './dialect';
import { markSaveFailure } from './errors';
import type { HistoryEntry, Audit, HistoryStore } from './history-store';
import { policyLayout, type PolicyLayout } from './policy-layout';
import { decodeRow, historyPolicy, policyColumns, settingsOf } from './policy-row';
import { text, type Row } from './rows';

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

/**
 * All reads and writes of the plugin's columns. Knex builder only, so MariaDB/MySQL, PostgreSQL
 * and SQLite share it. Every statement runs through `db` (BoundedDb): within `timeoutMs`, or it
 * fails and its connection is taken out of service. Domain by domain; the whole served set is read
 * by ./served-reader.ts, through `read`.
 */
export class PolicyStore {
  private readonly db: BoundedDb;

  constructor(
    readonly knex: Knex,
    private readonly domains: DomainTable,
    /** The host's alias domains, whose names answer with their target's policy; null without. */
    readonly aliasTable: AliasTable | null,
    /**
     * `timeoutMs`: the deadline of every query (see BoundedDb). `history`: where every change is
     * recorded too; none for the store's own unit tests.
     */
    options: { timeoutMs?: number; history?: HistoryStore | null; policyTable?: string | null } = {},
  ) {
    this.db = new BoundedDb(knex, options.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS);
    this.history = options.history ?? null;
    this.layout = policyLayout(domains, options.policyTable ?? null);
  }

  /** Where the policies are stored: the plugin's columns, or a panel's own table (./policy-layout.ts). */
  readonly layout: PolicyLayout;

  /** Where every change is recorded too, or null. */
  readonly history: HistoryStore | null;

  /** The dialect and the deadline of every statement, for the served-set reader (./served-reader.ts). */
  get dialect(): Dialect {
    return this.db.dialect;
  }

  get timeoutMs(): number {
    return this.db.timeoutMs;
  }

  /** How long a save waits for another transaction's row lock, in whole seconds: half the deadline, at least 1. */
  get lockWaitSeconds(): number {
    return Math.max(1, Math.floor(this.db.timeoutMs / 2000));
  }

  /** One statement under the deadline (also the overview's, see ./overview-store.ts). */
  read<T>(query: Knex.QueryBuilder | Knex.Raw): Promise<T> {
    return this.db.run(async (connection) => (await query.connection(connection)) as T);
  }

  /** The host table and its key column, as configured. */
  get domainTable(): DomainTable {
    return this.domains;
  }

  /** The rows of the domain table with their policy cells (see PolicyLayout): select from here. */
  rows(): Knex.QueryBuilder {
    return this.layout.from(this.knex).select(this.layout.select());
  }

  /** The domain table's key column, qualified as `rows()` names it. */
  get key(): string {
    return `d.${this.domains.keyColumn}`;
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
    let rows = await this.read<Row[]>(this.rows().whereIn(this.key, spellings));
    if (rows.length === 0) {
      // SQLite and PostgreSQL compare case-sensitively, so a host row spelled "Example.ORG" is only
      // found by comparing lower-cased keys. Only as a fallback: it cannot use the key's index.
      rows = await this.read(
        this.rows().whereIn(
          this.knex.raw('lower(??)', [this.key]) as unknown as string,
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
    let query = this.layout.from(trx).select(this.layout.select()).where(this.key, found.key);
    // Locks the domain's row (and its policy row, when apart): saves of one domain take turns.
    // PostgreSQL refuses FOR UPDATE on the nullable side of an outer join: there the domain row alone.
    if (this.locks) query = this.layout.policyTable !== null && this.db.dialect === 'postgres' ? query.forUpdate('d') : query.forUpdate();
    const row = await this.lockingRead<Row | undefined>(trx, query.first());
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
    policy.revision = this.layout.revisionOf(policy, current.policy.revision);
    const refused = this.layout.refuse(policy);
    if (refused.length > 0) return { status: 'invalid', errors: refused } as const;
    const updated = await this.layout.write(trx, current.key, current.policy.revision, policy);
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
   * A page of the domains whose MTA-STS is active, in key order after `after` (keyset pagination,
   * so walking 100,000 domains costs the same per page at the end as at the start).
   */
  async activeRecords(after: string | null, limit: number): Promise<{ records: DomainRecord[]; last: string | null }> {
    const key = this.key;
    let query = this.rows().where(this.layout.column('active'), true).whereNotNull(key).orderBy(key).limit(limit);
    if (after !== null) query = query.andWhere(key, '>', after);
    const rows = await this.read<Array<Record<string, unknown>>>(query);
    const records = rows.map((row) => this.decode(row)).filter((r): r is DomainRecord => r !== null);
    return { records, last: rows.length < limit ? null : text(rows[rows.length - 1][this.domains.keyColumn]) };
  }

  /** Domains in key order, filtered; rows whose key is not a host name are left out. */
  async list(query: ListQuery): Promise<{ records: DomainRecord[]; total: number }> {
    const filtered = () => {
      let q = this.layout.from(this.knex).whereNotNull(this.key);
      // '!' escapes LIKE's wildcards the same way in SQLite, MariaDB and PostgreSQL.
      if (query.search) q = q.whereRaw("lower(??) like ? escape '!'", [this.key, `%${query.search.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`]);
      // A domain without a policy row has mode none and is inactive, as before a first save.
      const rowless = this.layout.policyTable !== null;
      if (query.mode)
        q = q.where((b) => {
          b.where(this.layout.column('mode'), query.mode as string);
          if (rowless && query.mode === 'none') b.orWhereNull('p.domain');
        });
      if (query.active !== undefined)
        q = q.where((b) => {
          b.where(this.layout.column('active'), query.active as boolean);
          if (rowless && query.active === false) b.orWhereNull('p.domain');
        });
      return q;
    };
    const [{ count }] = await this.read<Array<{ count: unknown }>>(filtered().count({ count: '*' }));
    const rows = await this.read<Row[]>(filtered().select(this.layout.select()).orderBy(this.key).limit(query.limit).offset(query.offset));
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
    // A panel's own table is never dropped by the plugin's side: nothing to restore there.
    if (this.layout.policyTable !== null) return 0;
    for (const entry of entries) {
      restored += await this.read<number>(this.knex(this.domains.table).where(this.domains.keyColumn, entry.key).update(policyColumns(entry.after)));
    }
    return restored;
  }

  /**
   * The plugin's columns the host's table lacks (none once migrated). None in a panel's own policy
   * table: the plugin adds nothing there, and that table with its columns is one of the host's
   * parts the settings name, checked with them (service/schema.ts, missingHostParts).
   */
  async missingColumns(): Promise<string[]> {
    if (this.layout.policyTable !== null) return [];
    const missing: string[] = [];
    for (const name of Object.values(COLUMNS)) if (!(await this.knex.schema.hasColumn(this.domains.table, name))) missing.push(name);
    return missing;
  }

  /** Decodes a row; null when its key is not a host name at all. */
  decode(row: Row): DomainRecord | null {
    return decodeRow(this.layout.normalize(row), this.domains);
  }
}
