// The served set, read from the host's tables: every policy senders may be served (`load`), one
// name's policy read directly while the set loads (`loadOne`), and what changed since a load
// (`changes`), found by a fingerprint of the host's tables and the plugin's history. Apart from
// the policy store, which reads and writes one domain at a time: this reads for the served-policy
// cache (./served-cache.ts) only, through the store's deadline-bound reads.
import type { Knex } from 'knex';
import { servedPolicy, toALabel, toULabel, type StoredPolicy } from '../policy';
import { COLUMNS } from './columns';
import type { HistoryStore } from './history-store';
import type { AliasTable, DomainTable, PolicyStore } from './policy-store';
import { flag, text, type Row } from './rows';

/** A served policy: the domain and alias names it answers for. */
export interface ServedPolicies {
  policies: Map<string, StoredPolicy>;
  aliases: Map<string, string>;
  /** What the set was read against, for `changes`; absent when the store cannot follow changes. */
  token?: ServedToken;
}

/** Where a loaded served set stands: see `changes`. */
export interface ServedToken {
  /** The fingerprint of the host's side of the domain table (see `fingerprint`). */
  domains: string;
  /** The same of the alias table; '' without one. */
  aliases: string;
  /**
   * The history ids applied: every id up to `low`, and `seen` above it. Ids above `low` are read
   * again on each poll, since a save that got its id earlier may commit later (see `changes`).
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

/** Rows per query when loading the served policies (see `load`). */
const LOAD_BATCH = 500;

/** Reads the served set through `store` (its tables, its history, its deadline). */
export class ServedReader {
  private readonly knex: Knex;
  private readonly domains: DomainTable;
  private readonly aliases: AliasTable | null;
  private readonly history: HistoryStore | null;

  constructor(private readonly store: PolicyStore) {
    this.knex = store.knex;
    this.domains = store.domainTable;
    this.aliases = store.aliasTable;
    this.history = store.history;
  }

  /**
   * Every policy senders may be served: MTA-STS active, host domain active, values valid. Read in
   * batches of LOAD_BATCH rows in key order, yielding to the event loop between batches, so that
   * a host with many domains is never blocked for the whole load (SQLite reads synchronously).
   */
  async load(): Promise<ServedPolicies> {
    // Read before the rows: a change made while they are read is then seen by the next poll. On
    // SQLite the fingerprint's pass over the table would block the event loop right when the first
    // requests arrive; there only the cheap part is read now, the rest once the rows are in.
    const sqlite = this.store.dialect === 'sqlite';
    const token = this.history ? (sqlite ? await this.lightToken() : await this.servedToken()) : undefined;
    const policies = new Map<string, StoredPolicy>();
    // Identical MX lists are shared: 100,000 domains usually name a handful of MX sets.
    const mxLists = new Map<string, string[]>();
    const key = this.store.key;
    for (let after: unknown = undefined; ;) {
      // Keyset pagination on the key column, which is unique (every save updates one row by it).
      let query = this.store.rows().where(this.store.layout.column('active'), true).whereNotNull(key).orderBy(key).limit(LOAD_BATCH);
      if (after !== undefined) query = query.andWhere(key, '>', after as string);
      const rows = await this.store.read<Row[]>(query);
      for (const row of rows) {
        const record = this.store.decode(row);
        const policy = servedPolicy(record);
        if (policy) policies.set(policy.domain, shareMx(policy, mxLists));
      }
      if (rows.length < LOAD_BATCH) break;
      after = rows[rows.length - 1][this.domains.keyColumn];
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
    const [row] = await this.store.read<Array<Record<string, unknown>>>(this.knex(history.table).max({ id: 'id' }));
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
    if (this.store.dialect !== 'sqlite') return null;
    const k = this.knex;
    const [row] = await this.store.read<Array<Record<string, unknown>>>(
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
      for (const row of await this.store.read<Row[]>(this.knex(table).select(cols))) {
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
    const dialect = this.store.dialect;
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
    const { policyTable } = this.store.layout;
    // A panel's own policy table (mailcow's): its whole rows, changed by the panel's tab without
    // a history row here, are in the fingerprint instead of the plugin's columns.
    const plugin = policyTable === null ? Object.values(COLUMNS).map((c) => k.raw('COUNT(CASE WHEN 1 = 0 THEN ?? END)', [c])) : [k.raw('0')];
    const select: Knex.Raw[] = [
      k.raw('COUNT(*) AS ??', ['n']),
      k.raw('? AS ??', [activeSum(activeColumn, null), 'active']),
      k.raw('SUM(?) AS ??', [checksum(keyColumn), 'keys']),
      k.raw('? AS ??', [activeSum(activeColumn, checksum(keyColumn)), 'active_keys']),
      policyTable === null ? k.raw('COUNT(??) AS ??', [COLUMNS.id, 'ids']) : k.raw('0 AS ??', ['ids']),
      k.raw('? AS ??', [k.raw(plugin.map(() => '?').join(' + '), plugin), 'columns']),
    ];
    if (this.history) select.push(k.raw('(SELECT MAX(??) FROM ??) AS ??', ['id', this.history.table, 'history']));
    if (policyTable !== null) {
      const sub = (expr: Knex.Raw, name: string) => k.raw('(SELECT ? FROM ??) AS ??', [expr, policyTable, name]);
      const cells = ['domain', 'id', 'version', 'mode', 'mx', 'max_age'].map((c, i) => k.raw(`${2 * i + 1} * ?`, [checksum(c)]));
      select.push(sub(k.raw('COUNT(*)'), 'p_n'));
      select.push(sub(k.raw(`SUM(${cells.map(() => '?').join(' + ')})`, cells), 'p_cells'));
      select.push(sub(activeSum('active', checksum('domain')), 'p_active'));
    }
    if (this.aliases) {
      const a = this.aliases;
      const sub = (expr: Knex.Raw, name: string) => k.raw('(SELECT ? FROM ??) AS ??', [expr, a.table, name]);
      select.push(sub(k.raw('COUNT(*)'), 'a_n'));
      select.push(sub(k.raw('SUM(? + 3 * ?)', [checksum(a.aliasColumn), checksum(a.targetColumn)]), 'a_keys'));
      select.push(sub(activeSum(a.activeColumn, checksum(a.aliasColumn)), 'a_active'));
    }
    const [row] = await this.store.read<Array<Record<string, unknown>>>(k(table).select(select));
    const cell = (name: string) => text(row?.[name] ?? 0);
    return {
      domains: ['n', 'active', 'keys', 'active_keys', 'ids', ...(policyTable === null ? [] : ['p_n', 'p_cells', 'p_active'])].map(cell).join('/'),
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
  async changes(token: ServedToken, now: number, gapMs: number): Promise<ServedChanges> {
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
      const rows = await this.store.read<Array<Record<string, unknown>>>(
        this.knex(history.table).select('id', 'domain').where('id', '>', token.low).orderBy('id'),
      );
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
      const record = await this.store.find(key);
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

  /** How long a save may take to commit, as `changes` needs it: two deadlines. */
  get commitGapMs(): number {
    return 2 * this.store.timeoutMs;
  }

  /**
   * The policy senders are served for one name, read directly: the domain's own, or, for an alias
   * domain, its target's. The same rules as `load`, in a few indexed queries.
   */
  async loadOne(name: string): Promise<StoredPolicy | null> {
    const own = servedPolicy(await this.store.find(name));
    if (own || !this.aliases) return own;
    const { table, aliasColumn, targetColumn, activeColumn } = this.aliases;
    const ascii = toALabel(name);
    if (ascii === null) return null;
    const cols = activeColumn ? [targetColumn, activeColumn] : [targetColumn];
    const rows = await this.store.read<Row[]>(
      this.knex(table)
        .select(cols)
        .whereIn(aliasColumn, [...new Set([ascii, toULabel(ascii)])]),
    );
    const row = rows.find((r) => !activeColumn || flag(r[activeColumn]));
    return row ? servedPolicy(await this.store.find(text(row[targetColumn]))) : null;
  }
}

/** The policy with its MX list replaced by an equal one already in `lists`, so equal lists are one array. */
function shareMx(policy: StoredPolicy, lists: Map<string, string[]>): StoredPolicy {
  const key = policy.mx.join(',');
  const shared = lists.get(key);
  if (shared) return { ...policy, mx: shared };
  lists.set(key, policy.mx);
  return policy;
}
