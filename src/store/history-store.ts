// The plugin's own record of every policy change (table `<prefix>history`, see its migration):
// written in the save's transaction, read for the tab's history and the API, and the copy every
// saved policy survives in when a host's schema upgrade drops the plugin's columns.
import type { Knex } from 'knex';
import { MODES, VERSION, type Mode, type PolicySettings } from '../policy';
import { nullableText, text, type Row } from './rows';

/** Who made a change and how: the host's user id or the API key's label, tab/api/cli/bulk/import. */
export interface Audit {
  actor: string | null;
  source: 'tab' | 'api' | 'cli' | 'bulk' | 'import' | 'repair';
  /** Where from: the client's address, or null (the command line). */
  origin: string | null;
}

/** A policy as the history keeps it. */
export interface HistoryPolicy extends PolicySettings {
  id: string | null;
  updatedAt: string | null;
  revision: number;
}

export interface HistoryEntry {
  seq: number;
  /** The host table's key of the row. */
  key: string;
  changedAt: string;
  actor: string | null;
  source: string;
  origin: string | null;
  before: HistoryPolicy | null;
  after: HistoryPolicy;
}

export class HistoryStore {
  constructor(
    private readonly knex: Knex,
    readonly table: string,
  ) {}

  /** Writes one change inside the save's transaction, so that a save and its record go together. */
  async record(trx: Knex.Transaction, key: string, changedAt: string, audit: Audit, before: HistoryPolicy | null, after: HistoryPolicy): Promise<void> {
    await trx(this.table).insert({
      domain: key,
      changed_at: changedAt,
      actor: audit.actor === null ? null : audit.actor.slice(0, 255),
      source: audit.source,
      origin: audit.origin === null ? null : audit.origin.slice(0, 64),
      before: before === null ? null : JSON.stringify(before),
      after: JSON.stringify(after),
      old_id: before?.id ?? null,
      new_id: after.id,
    });
  }

  /** A row's changes, newest first. */
  async list(key: string, page: { limit: number; offset: number }): Promise<{ entries: HistoryEntry[]; total: number }> {
    const [{ count }] = await this.knex(this.table).where('domain', key).count({ count: '*' });
    const rows = await this.knex(this.table).where('domain', key).orderBy('id', 'desc').limit(page.limit).offset(page.offset);
    return { entries: rows.map(decodeEntry).filter((e): e is HistoryEntry => e !== null), total: Number(count) };
  }

  /** The changes of many rows (an export's batch), newest first per row. */
  async forKeys(keys: readonly string[]): Promise<Map<string, HistoryEntry[]>> {
    const out = new Map<string, HistoryEntry[]>();
    if (keys.length === 0) return out;
    const rows = await this.knex<Row>(this.table)
      .whereIn('domain', [...keys])
      .orderBy('id', 'desc');
    for (const entry of rows.map(decodeEntry)) {
      if (entry === null) continue;
      const list = out.get(entry.key) ?? [];
      list.push(entry);
      out.set(entry.key, list);
    }
    return out;
  }

  /** The newest entry of every row: what each policy was when it was last saved. */
  async latest(): Promise<HistoryEntry[]> {
    const newest = this.knex(this.table).select('domain').max({ seq: 'id' }).groupBy('domain').as('newest');
    const rows = await this.knex(this.table).join(newest, `${this.table}.id`, 'newest.seq').select(`${this.table}.*`);
    return rows.map(decodeEntry).filter((e): e is HistoryEntry => e !== null);
  }
}

function decodeEntry(row: Row): HistoryEntry | null {
  const after = decodePolicy(row.after);
  if (after === null) return null;
  return {
    seq: Number(row.id),
    key: text(row.domain),
    changedAt: text(row.changed_at),
    actor: nullableText(row.actor),
    source: text(row.source),
    origin: nullableText(row.origin),
    before: decodePolicy(row.before),
    after,
  };
}

/** A stored JSON policy, or null when it is not one (the table is ours, but never trust a row blindly). */
function decodePolicy(value: unknown): HistoryPolicy | null {
  if (typeof value !== 'string') return null;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (data === null || typeof data !== 'object') return null;
  const { active, mode, maxAge, mx, id, updatedAt, revision } = data;
  if (typeof active !== 'boolean' || !(MODES as readonly unknown[]).includes(mode) || typeof maxAge !== 'number') return null;
  if (!Array.isArray(mx) || !mx.every((entry) => typeof entry === 'string')) return null;
  return {
    active,
    version: VERSION,
    mode: mode as Mode,
    maxAge,
    mx: mx,
    id: typeof id === 'string' ? id : null,
    updatedAt: typeof updatedAt === 'string' ? updatedAt : null,
    revision: typeof revision === 'number' ? revision : 0,
  };
}
