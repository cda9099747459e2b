// The last known publishing state of the records the product publishes (table `<prefix>dns_states`,
// migration 20261209000000, one row per domain): written by the publisher after each publish and
// repair, read by the overview (a column and a filter on the domain's worst state, in SQL), the tab
// and the scheduled checks (a record that stays different). Nothing here asks DNS: the states are
// what the publisher last saw.
import type { Knex } from 'knex';
import { text } from './rows';

/** The stored states, best first: what the publisher last saw of a record. */
export const STORED_DNS_STATES = ['published', 'pending', 'differs'] as const;
export type StoredDnsState = (typeof STORED_DNS_STATES)[number];

export interface DnsRecordState {
  domain: string;
  name: string;
  state: StoredDnsState;
  /** When the record entered this state (kept while the state lasts). */
  since: string;
  /** When it was last seen in it. */
  checkedAt: string;
}

/** Domains per statement: far below every dialect's limit on bound parameters. */
const CHUNK = 500;

const isState = (value: unknown): value is StoredDnsState => typeof value === 'string' && (STORED_DNS_STATES as readonly string[]).includes(value);

/** A domain's state as one: its worst record's (differs over pending over published), seen at its latest check. */
export function worstState(records: readonly DnsRecordState[]): { state: StoredDnsState; checkedAt: string } | null {
  if (records.length === 0) return null;
  const rank = (s: StoredDnsState) => STORED_DNS_STATES.indexOf(s);
  const state = records.reduce<StoredDnsState>((worst, r) => (rank(r.state) > rank(worst) ? r.state : worst), 'published');
  const checkedAt = records.reduce((latest, r) => (r.checkedAt > latest ? r.checkedAt : latest), '');
  return { state, checkedAt };
}

/** The records of a row (JSON written by `record`); anything else in the cell is ignored. */
function recordsOf(domain: string, cell: unknown): DnsRecordState[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text(cell));
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((item: unknown) => {
    const r = item as { name?: unknown; state?: unknown; since?: unknown; checkedAt?: unknown } | null;
    if (!r || typeof r.name !== 'string' || !isState(r.state) || typeof r.since !== 'string' || typeof r.checkedAt !== 'string') return [];
    return [{ domain, name: r.name, state: r.state, since: r.since, checkedAt: r.checkedAt }];
  });
}

export class DnsStateStore {
  constructor(
    private readonly knex: Knex,
    readonly table: string,
  ) {}

  /**
   * Stores what the publisher saw: each record replaces the one of its name (keeping its `since`
   * while the state is the same), the domain's other records stay; the row's state is the worst.
   */
  async record(states: ReadonlyArray<Omit<DnsRecordState, 'since'>>): Promise<void> {
    const incoming = new Map<string, Array<Omit<DnsRecordState, 'since'>>>();
    for (const s of states) {
      const list = incoming.get(s.domain);
      if (list) list.push(s);
      else incoming.set(s.domain, [s]);
    }
    const domains = [...incoming.keys()];
    for (let i = 0; i < domains.length; i += CHUNK) {
      const chunk = domains.slice(i, i + CHUNK);
      const before = new Map<string, DnsRecordState[]>();
      for (const state of await this.get(chunk)) {
        const list = before.get(state.domain);
        if (list) list.push(state);
        else before.set(state.domain, [state]);
      }
      const rows = chunk.map((domain) => {
        const records = [...(before.get(domain) ?? [])];
        for (const s of incoming.get(domain) ?? []) {
          const at = records.findIndex((r) => r.name === s.name);
          const since = at >= 0 && records[at].state === s.state ? records[at].since : s.checkedAt;
          const next = { domain, name: s.name, state: s.state, since, checkedAt: s.checkedAt };
          if (at >= 0) records[at] = next;
          else records.push(next);
        }
        const worst = worstState(records)!;
        const json = records.map(({ name, state, since, checkedAt }) => ({ name, state, since, checkedAt }));
        return { domain, state: worst.state, checked_at: worst.checkedAt, records: JSON.stringify(json) };
      });
      await this.knex(this.table).insert(rows).onConflict('domain').merge(['state', 'checked_at', 'records']);
    }
  }

  /** The stored states of these domains' records (domains never published are absent), one indexed query per 500. */
  async get(domains: readonly string[]): Promise<DnsRecordState[]> {
    const out: DnsRecordState[] = [];
    for (let i = 0; i < domains.length; i += CHUNK) {
      const rows = (await this.knex(this.table)
        .select('domain', 'records')
        .whereIn('domain', domains.slice(i, i + CHUNK))) as Array<Record<string, unknown>>;
      for (const row of rows) out.push(...recordsOf(text(row.domain), row.records));
    }
    return out;
  }
}
