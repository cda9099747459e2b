// The overview's one query: the host's domains with their policies and last DNS Check verdict,
// filtered, sorted and paged in SQL (a LEFT JOIN on the plugin's last_checks table), so that a
// page costs two statements whatever the number of domains.
import type { Knex } from 'knex';
import type { DomainRecord, Mode } from '../policy';
import { worstState, type DnsStateStore, type StoredDnsState } from './dns-state-store';
import type { LastCheck, LastCheckStore, OverviewVerdict } from './last-check-store';
import type { PolicyStore } from './policy-store';

export const OVERVIEW_SORTS = ['domain', 'mode', 'maxAge', 'updated', 'checked'] as const;
export type OverviewSort = (typeof OVERVIEW_SORTS)[number];
export const OVERVIEW_STATES = ['served', 'off', 'never'] as const;
/** served: active with an id and the host's domain active; off: has an id but is not served; never: no policy yet. */
export type OverviewState = (typeof OVERVIEW_STATES)[number];

/** The publishing state filter: a domain's worst record's state, or `unknown` (never published by this product). */
export const OVERVIEW_DNS_STATES = ['published', 'pending', 'differs', 'unknown'] as const;
export type OverviewDnsState = (typeof OVERVIEW_DNS_STATES)[number];

export interface OverviewQuery {
  /** Part of the domain name (A-label), case-insensitive. */
  search?: string;
  mode?: Mode;
  state?: OverviewState;
  verdict?: OverviewVerdict | 'unchecked';
  /** The publishing state the publisher last saw. */
  dns?: OverviewDnsState;
  sort?: OverviewSort;
  desc?: boolean;
  /** Only these host keys (the viewer's domains, from the host's domainFilter); absent: all. */
  keys?: readonly string[];
  limit: number;
  offset: number;
}

export interface OverviewRow {
  record: DomainRecord;
  lastCheck: LastCheck | null;
  /** The worst stored publishing state of the domain's records, when it was seen; null: never published. */
  dns: { state: StoredDnsState; checkedAt: string } | null;
}

const SORT_COLUMNS: Record<OverviewSort, 'mode' | 'maxAge' | 'updatedAt' | null> = {
  domain: null,
  mode: 'mode',
  maxAge: 'maxAge',
  updated: 'updatedAt',
  checked: null,
};

export class OverviewStore {
  constructor(
    private readonly store: PolicyStore,
    private readonly lastChecks: LastCheckStore,
    private readonly dnsStates: DnsStateStore,
  ) {}

  private get lastChecksTable(): string {
    return this.lastChecks.table;
  }

  private get knex(): Knex {
    return this.store.knex;
  }

  /**
   * The filtered rows of one page and the count of all that match. The last checks are joined in
   * SQL only when the query filters or sorts by them; otherwise the page's checks are read in one
   * indexed query by key (a LEFT JOIN under a COUNT over 100,000 rows costs more than the page).
   */
  async page(query: OverviewQuery): Promise<{ rows: OverviewRow[]; total: number }> {
    const { keyColumn } = this.store.domainTable;
    const key = `d.${keyColumn}`;
    const joined = query.verdict !== undefined || query.sort === 'checked';
    const [{ count }] = await this.store.read<Array<{ count: unknown }>>(this.filtered(query, joined).count({ count: '*' }));
    const cell = query.sort ? SORT_COLUMNS[query.sort] : null;
    // Filtered by a stored publishing state, the rows come from the index on (state, domain) in
    // domain order: sorting by that column (equal to the key by the join, and unique) reads a page
    // straight off the index instead of sorting every matching key (bench: overview, dns=published).
    const byState = query.dns !== undefined && query.dns !== 'unknown' && !query.sort;
    const sort = query.sort === 'checked' ? 'lc.checked_at' : cell ? this.store.layout.column(cell) : byState ? 'ds.domain' : key;
    const direction = query.desc ? 'desc' : 'asc';
    // A deferred join: the sort and the offset run over the keys alone (a deep page sorted by a
    // column without an index sorts 100,000 short rows, not whole ones); then the page's rows.
    const select: Array<string | Record<string, string>> = [{ page_key: key }];
    if (joined)
      select.push({
        lc_checked_at: 'lc.checked_at',
        lc_verdict: 'lc.verdict',
        lc_errors: 'lc.errors',
        lc_warnings: 'lc.warnings',
        lc_policy_id: 'lc.policy_id',
      });
    let q = this.filtered(query, joined).select(select).orderBy(sort, direction);
    // The key breaks ties, so that pages never repeat or skip a row.
    if (sort !== key) q = q.orderBy(key, direction);
    const keyed = await this.store.read<Array<Record<string, unknown>>>(q.limit(query.limit).offset(query.offset));
    const keys = keyed.map((row) => row.page_key).filter((k): k is string => typeof k === 'string');
    const full = keys.length === 0 ? [] : await this.store.read<Array<Record<string, unknown>>>(this.store.rows().whereIn(key, keys));
    const byKey = new Map(full.map((row) => [row[keyColumn], row]));
    const found = keyed.flatMap((row) => {
      const whole = byKey.get(row.page_key);
      return whole ? [{ ...row, ...whole }] : [];
    });
    const records = found
      .map((row) => ({ row, record: this.store.decode(row) }))
      .filter((r): r is { row: Record<string, unknown>; record: DomainRecord } => r.record !== null);
    const checks = joined ? null : new Map((await this.lastChecks.get(records.map((r) => r.record.domain))).map((c) => [c.domain, c]));
    // The page's publishing states in one indexed query by domain, whatever the filter.
    const states = await this.dnsStates.get(records.map((r) => r.record.domain));
    const rows: OverviewRow[] = records.map(({ row, record }) => ({
      record,
      lastCheck: checks ? (checks.get(record.domain) ?? null) : lastCheckOf(record.domain, row),
      dns: worstState(states.filter((s) => s.domain === record.domain)),
    }));
    return { rows, total: Number(count) };
  }

  /** Every matching host key in the page's order: for a viewer the host filters name by name. */
  async keys(query: Omit<OverviewQuery, 'limit' | 'offset' | 'keys'>): Promise<string[]> {
    const { keyColumn } = this.store.domainTable;
    const joined = query.verdict !== undefined;
    const rows = await this.store.read<Array<Record<string, unknown>>>(
      this.filtered(query, joined)
        .select({ key: `d.${keyColumn}` })
        .orderBy(`d.${keyColumn}`),
    );
    return rows.map((row) => (typeof row.key === 'string' ? row.key : '')).filter((k) => k !== '');
  }

  private filtered(query: Omit<OverviewQuery, 'limit' | 'offset'>, joined: boolean): Knex.QueryBuilder {
    const { keyColumn, activeColumn } = this.store.domainTable;
    const key = `d.${keyColumn}`;
    let q = this.store.layout.from(this.knex).whereNotNull(key);
    // A verdict filter needs a check: an inner join lets the database start from the verdict index.
    if (joined && query.verdict !== undefined && query.verdict !== 'unchecked') q = q.join({ lc: this.lastChecksTable }, 'lc.domain', key);
    else if (joined) q = q.leftJoin({ lc: this.lastChecksTable }, 'lc.domain', key);
    if (query.search) {
      // '!' escapes LIKE's wildcards the same way in SQLite, MariaDB and PostgreSQL.
      q = q.whereRaw("lower(??) like ? escape '!'", [key, `%${query.search.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`]);
    }
    const column = (name: 'mode' | 'id' | 'active') => this.store.layout.column(name);
    // A domain without a row in a panel's policy table has mode none, as before a first save.
    if (query.mode === 'none' && this.store.layout.policyTable !== null)
      q = q.where((b) => {
        b.where(column('mode'), 'none').orWhereNull(column('id'));
      });
    else if (query.mode) q = q.where(column('mode'), query.mode);
    if (query.state === 'never') q = q.whereNull(column('id'));
    if (query.state === 'served' || query.state === 'off') {
      const served = (b: Knex.QueryBuilder) => {
        b.where(column('active'), true).whereNotNull(column('id'));
        if (activeColumn) b.where(`d.${activeColumn}`, true);
      };
      q = query.state === 'served' ? q.where(served) : q.whereNotNull(column('id')).whereNot(served);
    }
    if (query.verdict === 'unchecked') q = q.whereNull('lc.verdict');
    else if (query.verdict) q = q.where('lc.verdict', query.verdict);
    if (query.dns) q = this.byDnsState(q, query.dns, key);
    if (query.keys) q = q.whereIn(key, [...query.keys]);
    return q;
  }

  /**
   * The domains whose worst record is in `state` (the row's indexed `state`), as the verdict
   * filter: an inner join lets the database start from that index; `unknown` is a row absent.
   */
  private byDnsState(q: Knex.QueryBuilder, state: OverviewDnsState, key: string): Knex.QueryBuilder {
    const table = { ds: this.dnsStates.table };
    if (state === 'unknown') return q.leftJoin(table, 'ds.domain', key).whereNull('ds.state');
    return q.join(table, 'ds.domain', key).where('ds.state', state);
  }
}

function lastCheckOf(domain: string, row: Record<string, unknown>): LastCheck | null {
  const verdict = row.lc_verdict;
  if (verdict !== 'ok' && verdict !== 'warning' && verdict !== 'error') return null;
  return {
    domain,
    checkedAt: typeof row.lc_checked_at === 'string' ? row.lc_checked_at : '',
    verdict,
    errors: Number(row.lc_errors) || 0,
    warnings: Number(row.lc_warnings) || 0,
    policyId: typeof row.lc_policy_id === 'string' ? row.lc_policy_id : null,
  };
}
