import type { Knex } from 'knex';
import {
  MAX_AGE_LIMIT, MODES, Mode, PolicySettings, StoredPolicy, VERSION, FieldError, Validation,
  changesServedPolicy, nextPolicyId, normalizeMxPattern, servedPolicy, toALabel, toULabel, type DomainRecord,
} from '../policy';
import { COLUMNS } from './columns';
import { dialectOf } from './dialect';

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

/** A row as Knex returns it (typed `any` by Knex): every cell is checked before use. */
type Row = Record<string, unknown>;

/** Rows per query when loading the served policies (see loadServed). */
const LOAD_BATCH = 500;

/** All reads and writes of the plugin's columns. Knex builder only, so MariaDB and SQLite share it. */
export class PolicyStore {
  constructor(
    readonly knex: Knex,
    private readonly domains: DomainTable,
    private readonly aliases: AliasTable | null,
  ) {}

  private columns(): string[] {
    const cols = [this.domains.keyColumn, ...Object.values(COLUMNS)];
    if (this.domains.activeColumn) cols.push(this.domains.activeColumn);
    return cols;
  }

  private get locks(): boolean {
    // SQLite serialises writers by itself and Knex warns on FOR UPDATE there.
    return dialectOf(this.knex) !== 'sqlite';
  }

  /** Finds a domain by any spelling a person or the host may use: A-label, U-label, any case. */
  async find(name: string): Promise<DomainRecord | null> {
    const ascii = toALabel(name);
    if (ascii === null) return null;
    const spellings = [...new Set([ascii, toULabel(ascii), name.trim(), name.trim().toLowerCase()])];
    let rows = (await this.knex(this.domains.table).select(this.columns()).whereIn(this.domains.keyColumn, spellings)) as Row[];
    if (rows.length === 0) {
      // SQLite compares case-sensitively, so a host row spelled "Example.ORG" is only found by
      // comparing lower-cased keys. Only as a fallback: it cannot use the key's index.
      rows = (await this.knex(this.domains.table)
        .select(this.columns())
        .whereIn(this.knex.raw('lower(??)', [this.domains.keyColumn]) as unknown as string, spellings.map((s) => s.toLowerCase()))) as Row[];
    }
    const records = rows.map((row) => this.decode(row)).filter((r): r is DomainRecord => r !== null && r.domain === ascii);
    return records.find((r) => r.key === ascii) ?? records[0] ?? null;
  }

  /**
   * Applies a change in one transaction: re-reads the row under a lock, refuses a stale
   * `expectedRevision`, validates, and writes a new policy id only when the served policy changes.
   */
  async save(
    name: string,
    change: (current: PolicySettings) => Validation<PolicySettings>,
    options: { expectedRevision?: number; now?: () => Date } = {},
  ): Promise<SaveResult> {
    const found = await this.find(name);
    if (!found) return { status: 'not-found' };
    // Set once the transaction body has written a change: a failure after that is the commit's,
    // whose outcome the client cannot know (the server may have committed before the line broke).
    let wrote = false;
    try {
      return await this.knex.transaction(async (trx) => {
        const result = await this.saveIn(trx, found, change, options);
        wrote = result.status === 'saved' && result.changed;
        return result;
      });
    } catch (err) {
      throw markSaveFailure(err, wrote ? 'unknown' : 'not-saved');
    }
  }

  private async saveIn(
    trx: Knex.Transaction,
    found: DomainRecord,
    change: (current: PolicySettings) => Validation<PolicySettings>,
    options: { expectedRevision?: number; now?: () => Date },
  ): Promise<SaveResult> {
    let query = trx(this.domains.table).select(this.columns()).where(this.domains.keyColumn, found.key);
    if (this.locks) query = query.forUpdate();
    const row = (await query.first()) as Row | undefined;
    const current = row ? this.decode(row) : null;
    if (!current) return { status: 'not-found' } as const;
    if (options.expectedRevision !== undefined && options.expectedRevision !== current.policy.revision) {
      return { status: 'conflict', record: current } as const;
    }
    const result = change(settingsOf(current.policy));
    if (!result.ok) return { status: 'invalid', errors: result.errors } as const;
    const next = result.value;
    if (current.valid && !changesServedPolicy(settingsOf(current.policy), next)) {
      return { status: 'saved', record: current, changed: false } as const;
    }
    const now = (options.now ?? (() => new Date()))();
    const policy: StoredPolicy = {
      ...next,
      domain: current.domain,
      id: nextPolicyId(current.policy.id, now),
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
    return { status: 'saved', record: { ...current, policy, valid: true }, changed: true } as const;
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
      const rows = (await query) as Row[];
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
      const rows = await this.knex(table).select<Row[]>(cols);
      for (const row of rows) {
        const alias = toALabel(text(row[aliasColumn]));
        const target = toALabel(text(row[targetColumn]));
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
    const rows = (await this.knex(table).select(cols).whereIn(aliasColumn, [...new Set([ascii, toULabel(ascii)])])) as Row[];
    const row = rows.find((r) => !activeColumn || truthy(r[activeColumn]));
    return row ? servedPolicy(await this.find(text(row[targetColumn]))) : null;
  }

  /** Decodes a row; null when its key is not a host name at all. */
  private decode(row: Row): DomainRecord | null {
    const key = text(row[this.domains.keyColumn]);
    const domain = toALabel(key);
    if (domain === null) return null;
    const mode = String(row[COLUMNS.mode]);
    const maxAge = Number(row[COLUMNS.maxAge]);
    const rawMx = text(row[COLUMNS.mx]).split(',').filter((entry) => entry !== '');
    const mx = rawMx.map(normalizeMxPattern);
    const valid =
      row[COLUMNS.version] === VERSION &&
      (MODES as readonly string[]).includes(mode) &&
      Number.isInteger(maxAge) && maxAge >= 0 && maxAge <= MAX_AGE_LIMIT &&
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

function settingsOf(policy: StoredPolicy): PolicySettings {
  return { active: policy.active, version: policy.version, mode: policy.mode, maxAge: policy.maxAge, mx: [...policy.mx] };
}

/** A text cell (host name, MX list); '' for SQL NULL or anything no name could be. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8'); // VARBINARY and BLOB columns
  return '';
}

/** Host tables store flags as 1/0, '1'/'0', true/false or BIT(1) buffers. */
function truthy(value: unknown): boolean {
  if (Buffer.isBuffer(value)) return value.some((byte) => byte !== 0);
  return value === true || value === 1 || value === '1' || value === 'true' || value === 1n;
}
