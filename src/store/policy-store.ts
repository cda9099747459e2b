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
import { flag, nullableText, text, type Row } from './rows';

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
  /** What the set was read against, for `servedChanges`; absent when the store cannot follow changes. */
  token?: ServedToken;
}

/** Where a loaded served set stands: see `servedChanges`. */
export interface ServedToken {
  /** The fingerprint of the host's side of the domain table (see `fingerprint`). */
  domains: string;
  /** The same of the alias table; '' without one. */
  aliases: string;
  /**
   * The history ids applied: every id up to `low`, and `seen` above it. Ids above `low` are read
   * again on each poll, since a save that got its id earlier may commit later (see `servedChanges`).
   */
  low: number;
  seen: number[];
  /** (time, highest id seen then), so that `low` can follow once no earlier save can still commit. */
  marks: Array<[number, number]>;
  /** SQLite: the write gate when the fingerprint was read (see `sqliteGate`); null elsewhere. */
  gate: string | null;
}

/** What changed since a token: the policies of the domains saved since, or "load everything again". */
export type ServedChanges =
  { kind: 'reload' } | { kind: 'changes'; token: ServedToken; policies: Map<string, StoredPolicy | null>; aliases: Map<string, string> | null };

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

  /** One statement under the deadline (also the overview's, see ./overview-store.ts). */
  read<T>(query: Knex.QueryBuilder | Knex.Raw): Promise<T> {
    return this.db.run(async (connection) => (await query.connection(connection)) as T);
  }

  /** The host table and its key column, as configured. */
  get domainTable(): DomainTable {
    return this.domains;
  }

  columns(): string[] {
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
    let rows = await this.read<Row[]>(this.knex(this.domains.table).select(this.columns()).whereIn(this.domains.keyColumn, spellings));
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
    const updated = await trx(this.domains.table)
      .where(this.domains.keyColumn, current.key)
      .andWhere(COLUMNS.revision, current.policy.revision)
      .update(policyColumns(policy));
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
    // Read before the rows: a change made while they are read is then seen by the next poll. On
    // SQLite the fingerprint's pass over the table would block the event loop right when the first
    // requests arrive; there only the cheap part is read now, the rest once the rows are in.
    const sqlite = this.db.dialect === 'sqlite';
    const token = this.history ? (sqlite ? await this.lightToken() : await this.servedToken()) : undefined;
    const policies = new Map<string, StoredPolicy>();
    // Identical MX lists are shared: 100,000 domains usually name a handful of MX sets.
    const mxLists = new Map<string, string[]>();
    const key = this.domains.keyColumn;
    for (let after: unknown = undefined; ;) {
      // Keyset pagination on the key column, which is unique (every save updates one row by it).
      let query = this.knex(this.domains.table).select(this.columns()).where(COLUMNS.active, true).whereNotNull(key).orderBy(key).limit(LOAD_BATCH);
      if (after !== undefined) query = query.andWhere(key, '>', after as string);
      const rows = await this.read<Row[]>(query);
      for (const row of rows) {
        const record = this.decode(row);
        const policy = servedPolicy(record);
        if (policy) policies.set(policy.domain, shareMx(policy, mxLists));
      }
      if (rows.length < LOAD_BATCH) break;
      after = rows[rows.length - 1][key];
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const aliases = await this.loadAliases();
    if (token && sqlite) {
      const print = await this.fingerprint();
      // Valid as the set's fingerprint only if nothing was written meanwhile; else the next poll reloads.
      const unchanged = (await this.sqliteGate()) === token.gate;
      token.domains = unchanged ? print.domains : '';
      token.aliases = unchanged ? print.aliases : '';
    }
    return { policies, aliases, ...(token ? { token } : {}) };
  }

  /** SQLite: the write gate and the newest history id, without the fingerprint (filled in after the load). */
  private async lightToken(): Promise<ServedToken> {
    const gate = await this.sqliteGate();
    const history = this.history as HistoryStore;
    const [row] = await this.read<Array<Record<string, unknown>>>(this.knex(history.table).max({ id: 'id' }));
    return { domains: '', aliases: '', low: Number(row?.id ?? 0) || 0, seen: [], marks: [], gate };
  }

  /**
   * SQLite only, null elsewhere: whether anything was written to the database file since, in
   * one statement that reads no table. `data_version` changes when another connection (another
   * process, another instance) commits; `total_changes()` counts the rows this connection wrote
   * (the host's own writes, when it shares the plugin's Knex: better-sqlite3 has one connection);
   * `schema_version` changes with any schema change (a table renamed or dropped, columns dropped),
   * which `total_changes()` does not count when this connection makes it.
   * Equal values mean nothing changed, so the fingerprint's pass over the table is skipped; a new
   * connection starts its count anew, which only makes the fingerprint run once more.
   */
  private async sqliteGate(): Promise<string | null> {
    if (this.db.dialect !== 'sqlite') return null;
    const k = this.knex;
    const [row] = await this.read<Array<Record<string, unknown>>>(
      k.select(
        k.raw('total_changes() AS ??', ['c']),
        k.raw('(SELECT data_version FROM pragma_data_version()) AS ??', ['v']),
        k.raw('(SELECT schema_version FROM pragma_schema_version()) AS ??', ['s']),
      ),
    );
    return `${text(row?.c)}/${text(row?.v)}/${text(row?.s)}`;
  }

  private async loadAliases(): Promise<Map<string, string>> {
    const aliases = new Map<string, string>();
    if (this.aliases) {
      const { table, aliasColumn, targetColumn, activeColumn } = this.aliases;
      const cols = activeColumn ? [aliasColumn, targetColumn, activeColumn] : [aliasColumn, targetColumn];
      for (const row of await this.read<Row[]>(this.knex(table).select(cols))) {
        const alias = toALabel(text(row[aliasColumn]));
        const target = toALabel(text(row[targetColumn]));
        if (alias && target && (!activeColumn || flag(row[activeColumn]))) aliases.set(alias, target);
      }
    }
    return aliases;
  }

  /**
   * Where the served set stands now, in one statement: the fingerprints of the host's tables and
   * the newest history id. Cheap next to a load: one aggregate pass over the key and flag columns,
   * no rows sent, nothing decoded.
   */
  private async servedToken(): Promise<ServedToken> {
    const gate = await this.sqliteGate();
    const { domains, aliases, history } = await this.fingerprint();
    return { domains, aliases, low: history, seen: [], marks: [], gate };
  }

  /**
   * Why a fingerprint and the history, rather than reloading the whole set every `ttlMs`: that
   * costs in proportion to the domains (100,000 rows decoded every 4 s under traffic), while
   * changes are rare. The two kinds of change are found differently:
   *
   * - Changes through the plugin (any instance) each write a history row in the save's own
   *   transaction, so the rows with a higher id than those applied name exactly the domains to read
   *   again. Ids are given out in insert order but committed in commit order (MariaDB's and
   *   PostgreSQL's sequences are not transactional), so a save can commit with an id below one
   *   already seen; it must commit within the database deadline (BoundedDb destroys the connection
   *   after `timeoutMs`), so ids above the highest seen two deadlines ago are read again each time.
   * - Changes the host makes in its own tables (a domain deactivated, deleted, added or renamed,
   *   an alias added) write no history. They are found by the fingerprint: the row count, how many
   *   rows the host's flag says are active, and sums of a checksum of the key (all rows, and active
   *   rows only), plus how many rows have a policy id (a migration run down and up again resets
   *   them). A deactivation changes the active count; a deletion or an insertion the row count; a
   *   rename the key sum; an equal number of both at once the active key sum. The checksum is
   *   CRC32 on MariaDB/MySQL and the first 32 bits of MD5 on PostgreSQL; SQLite has no hash
   *   function built in, so there it is a weighted sum of the key's length and three of its
   *   characters, weaker: two renames within one `ttlMs` that cancel out exactly would go unseen,
   *   which the periodic full reload (ServedCache's FULL_RELOAD_MS) bounds.
   *   Not the tables' update time: MariaDB's information_schema.TABLES.UPDATE_TIME is null for
   *   InnoDB after a restart and only per second, PostgreSQL has none, SQLite none either.
   *
   * The plugin's own columns are named in the statement (as `COUNT(CASE WHEN 1 = 0 ...)`, always
   * 0), so that a table that lost them makes it fail like a load would, and the repair starts.
   */
  private async fingerprint(): Promise<{ domains: string; aliases: string; history: number }> {
    const { table, keyColumn, activeColumn } = this.domains;
    const dialect = this.db.dialect;
    const k = this.knex;
    const checksum = (column: string): Knex.Raw =>
      dialect === 'mysql'
        ? k.raw('CRC32(??)', [column])
        : dialect === 'postgres'
          ? k.raw("('x' || substr(md5(CAST(?? AS TEXT)), 1, 8))::bit(32)::bigint", [column])
          : k.raw('(length(??) * 131 + unicode(??) * 31 + unicode(substr(??, -1)) * 7 + unicode(substr(??, length(??) / 2 + 1)))', [
              column,
              column,
              column,
              column,
              column,
            ]);
    // Host flags come as 1/0, '1'/'0', true/false or BIT(1): PostgreSQL compares only like with like.
    const isActive = (column: string): Knex.Raw =>
      dialect === 'postgres'
        ? k.raw("CAST(?? AS TEXT) IN ('1', 'true')", [column])
        : // MariaDB compares 0 = 'true' as true (the string converts to 0): compare numbers there.
          dialect === 'mysql'
          ? k.raw('(?? + 0) = 1', [column])
          : k.raw("?? IN (1, '1', 'true')", [column]);
    const activeSum = (column: string | null, weight: Knex.Raw | null): Knex.Raw => {
      if (column === null) return weight === null ? k.raw('COUNT(*)') : k.raw('SUM(?)', [weight]);
      return k.raw('SUM(CASE WHEN ? THEN ? ELSE 0 END)', [isActive(column), weight ?? k.raw('1')]);
    };
    const plugin = Object.values(COLUMNS).map((c) => k.raw('COUNT(CASE WHEN 1 = 0 THEN ?? END)', [c]));
    const select: Knex.Raw[] = [
      k.raw('COUNT(*) AS ??', ['n']),
      k.raw('? AS ??', [activeSum(activeColumn, null), 'active']),
      k.raw('SUM(?) AS ??', [checksum(keyColumn), 'keys']),
      k.raw('? AS ??', [activeSum(activeColumn, checksum(keyColumn)), 'active_keys']),
      k.raw('COUNT(??) AS ??', [COLUMNS.id, 'ids']),
      k.raw('? AS ??', [k.raw(plugin.map(() => '?').join(' + '), plugin), 'columns']),
    ];
    if (this.history) select.push(k.raw('(SELECT MAX(??) FROM ??) AS ??', ['id', this.history.table, 'history']));
    if (this.aliases) {
      const a = this.aliases;
      const sub = (expr: Knex.Raw, name: string) => k.raw('(SELECT ? FROM ??) AS ??', [expr, a.table, name]);
      select.push(sub(k.raw('COUNT(*)'), 'a_n'));
      select.push(sub(k.raw('SUM(? + 3 * ?)', [checksum(a.aliasColumn), checksum(a.targetColumn)]), 'a_keys'));
      select.push(sub(activeSum(a.activeColumn, checksum(a.aliasColumn)), 'a_active'));
    }
    const [row] = await this.read<Array<Record<string, unknown>>>(k(table).select(select));
    const cell = (name: string) => text(row?.[name] ?? 0);
    return {
      domains: ['n', 'active', 'keys', 'active_keys', 'ids'].map(cell).join('/'),
      aliases: this.aliases ? ['a_n', 'a_keys', 'a_active'].map(cell).join('/') : '',
      history: Number(row?.history ?? 0) || 0,
    };
  }

  /**
   * What changed in the served set since `token`: `reload` when the host changed its domain table
   * (or the history started over), else the current policy (or null) of every domain saved
   * through the plugin since, and the alias map when the alias table changed. `gapMs`: how long a
   * save may take to commit after getting its history id (see `fingerprint`).
   */
  async servedChanges(token: ServedToken, now: number, gapMs: number): Promise<ServedChanges> {
    const history = this.history;
    if (!history) return { kind: 'reload' };
    const gate = await this.sqliteGate();
    if (gate !== null && gate === token.gate) {
      // Nothing written since: the same set, and the window for late history ids moves on.
      const marks = [...token.marks];
      let low = token.low;
      while (marks.length > 0 && marks[0][0] <= now - gapMs) low = Math.max(low, (marks.shift() as [number, number])[1]);
      return { kind: 'changes', token: { ...token, low, marks, seen: token.seen.filter((id) => id > low) }, policies: new Map(), aliases: null };
    }
    const print = await this.fingerprint();
    if (print.domains !== token.domains || print.history < token.low) return { kind: 'reload' };
    const seen = new Set(token.seen);
    const keys = new Set<string>();
    let highest = Math.max(token.low, ...token.seen);
    if (print.history > token.low) {
      const rows = await this.read<Array<Record<string, unknown>>>(this.knex(history.table).select('id', 'domain').where('id', '>', token.low).orderBy('id'));
      for (const row of rows) {
        const id = Number(row.id);
        if (seen.has(id)) continue;
        seen.add(id);
        keys.add(text(row.domain));
        highest = Math.max(highest, id);
      }
    }
    const policies = new Map<string, StoredPolicy | null>();
    for (const key of keys) {
      const record = await this.find(key);
      const domain = record?.domain ?? toALabel(key);
      if (domain !== null) policies.set(domain, servedPolicy(record));
    }
    // Ids at or below what was highest two deadlines ago can no longer appear: stop reading them.
    const marks = [...token.marks, [now, highest] as [number, number]];
    let low = token.low;
    while (marks.length > 0 && marks[0][0] <= now - gapMs) low = Math.max(low, (marks.shift() as [number, number])[1]);
    const aliases = print.aliases !== token.aliases ? await this.loadAliases() : null;
    const next: ServedToken = { domains: print.domains, aliases: print.aliases, low, seen: [...seen].filter((id) => id > low), marks, gate };
    return { kind: 'changes', token: next, policies, aliases };
  }

  /** How long a save may take to commit, as `servedChanges` needs it: two deadlines. */
  get commitGapMs(): number {
    return 2 * this.db.timeoutMs;
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
    const rows = await this.read<Row[]>(
      this.knex(table)
        .select(cols)
        .whereIn(aliasColumn, [...new Set([ascii, toULabel(ascii)])]),
    );
    const row = rows.find((r) => !activeColumn || flag(r[activeColumn]));
    return row ? servedPolicy(await this.find(text(row[targetColumn]))) : null;
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
    return { records, last: rows.length < limit ? null : text(rows[rows.length - 1][key]) };
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
    const rows = await this.read<Row[]>(filtered().select(this.columns()).orderBy(this.domains.keyColumn).limit(query.limit).offset(query.offset));
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
      restored += await this.read<number>(this.knex(this.domains.table).where(this.domains.keyColumn, entry.key).update(policyColumns(entry.after)));
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
  decode(row: Row): DomainRecord | null {
    const key = text(row[this.domains.keyColumn]);
    const domain = toALabel(key);
    if (domain === null) return null;
    const mode = text(row[COLUMNS.mode]);
    const maxAge = Number(row[COLUMNS.maxAge]);
    const rawMx = text(row[COLUMNS.mx])
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
      hostActive: this.domains.activeColumn ? flag(row[this.domains.activeColumn]) : true,
      valid,
      policy: {
        domain,
        active: flag(row[COLUMNS.active]),
        version: VERSION,
        mode: (MODES as readonly string[]).includes(mode) ? (mode as Mode) : 'none',
        maxAge: Number.isInteger(maxAge) ? maxAge : 0,
        mx: mx.filter((entry): entry is string => entry !== null),
        id: nullableText(row[COLUMNS.id]),
        updatedAt: nullableText(row[COLUMNS.updatedAt]),
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

/** A policy as the plugin's columns hold it: the one mapping a save and a restore write. */
function policyColumns(policy: HistoryPolicy | StoredPolicy): Row {
  return {
    [COLUMNS.active]: policy.active,
    [COLUMNS.version]: policy.version,
    [COLUMNS.mode]: policy.mode,
    [COLUMNS.maxAge]: policy.maxAge,
    [COLUMNS.mx]: policy.mx.join(','),
    [COLUMNS.id]: policy.id,
    [COLUMNS.updatedAt]: policy.updatedAt,
    [COLUMNS.revision]: policy.revision,
  };
}

function historyPolicy(policy: StoredPolicy): HistoryPolicy {
  return { ...settingsOf(policy), id: policy.id, updatedAt: policy.updatedAt, revision: policy.revision };
}

function settingsOf(policy: StoredPolicy): PolicySettings {
  return { active: policy.active, version: policy.version, mode: policy.mode, maxAge: policy.maxAge, mx: [...policy.mx] };
}

/** The policy with its MX list replaced by an equal one already in `lists`, so equal lists are one array. */
function shareMx(policy: StoredPolicy, lists: Map<string, string[]>): StoredPolicy {
  const key = policy.mx.join(',');
  const shared = lists.get(key);
  if (shared) return { ...policy, mx: shared };
  lists.set(key, policy.mx);
  return policy;
}
