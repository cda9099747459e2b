// The last known publishing state of each record the product publishes (table `<prefix>dns_states`,
// migration 20261209000000): written by the publisher after each publish and repair, read by the
// overview (a column and a filter, in SQL) and by the scheduled checks (a record that stays
// different). Nothing here asks DNS: the states are what the publisher last saw.
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

export class DnsStateStore {
  constructor(
    private readonly knex: Knex,
    readonly table: string,
  ) {}

  /** Stores what the publisher saw; a record whose state did not change keeps its `since`. */
  async record(states: ReadonlyArray<Omit<DnsRecordState, 'since'>>): Promise<void> {
    for (let i = 0; i < states.length; i += CHUNK) {
      const chunk = states.slice(i, i + CHUNK);
      const before = new Map<string, Record<string, unknown>>();
      const rows = (await this.knex(this.table)
        .select('domain', 'name', 'state', 'since')
        .whereIn(
          'domain',
          chunk.map((s) => s.domain),
        )) as Array<Record<string, unknown>>;
      for (const row of rows) before.set(`${text(row.domain)} ${text(row.name)}`, row);
      const next = chunk.map((s) => {
        const old = before.get(`${s.domain} ${s.name}`);
        const since = old && old.state === s.state ? text(old.since) : s.checkedAt;
        return { domain: s.domain, name: s.name, state: s.state, since, checked_at: s.checkedAt };
      });
      await this.knex(this.table).insert(next).onConflict(['domain', 'name']).merge(['state', 'since', 'checked_at']);
    }
  }

  /** The stored states of these domains' records (domains never published are absent), one indexed query per 500. */
  async get(domains: readonly string[]): Promise<DnsRecordState[]> {
    const out: DnsRecordState[] = [];
    for (let i = 0; i < domains.length; i += CHUNK) {
      const rows = (await this.knex(this.table)
        .select('domain', 'name', 'state', 'since', 'checked_at')
        .whereIn('domain', domains.slice(i, i + CHUNK))) as Array<Record<string, unknown>>;
      for (const row of rows)
        if (isState(row.state))
          out.push({ domain: text(row.domain), name: text(row.name), state: row.state, since: text(row.since), checkedAt: text(row.checked_at) });
    }
    return out;
  }
}
