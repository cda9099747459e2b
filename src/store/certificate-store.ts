// The built-in ACME client's rows (tables `<prefix>acme_certificates`, `<prefix>acme_accounts`,
// `<prefix>acme_locks`, see their migration): what each certificate name has, and the lock that
// lets one instance of several order at a time. Secrets arrive here already encrypted.
import type { Knex } from 'knex';

export type CertificateState = 'issued' | 'failed' | 'skipped' | 'pending';
const STATES: readonly CertificateState[] = ['issued', 'failed', 'skipped', 'pending'];

export interface CertificateRow {
  name: string;
  /** The private key, encrypted (never the plain key). */
  keyEnc: string | null;
  /** The certificate chain (PEM): public. */
  certificate: string | null;
  notAfter: string | null;
  issuedAt: string | null;
  state: CertificateState;
  /** Why the last order failed or the name was skipped. */
  reason: string | null;
  failures: number;
  nextAttempt: string | null;
  updatedAt: string;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : value == null ? null : typeof value === 'number' ? String(value) : null);
const number = (value: unknown): number => (typeof value === 'number' ? value : typeof value === 'string' || typeof value === 'bigint' ? Number(value) : 0);

function rowOf(row: Record<string, unknown>): CertificateRow {
  const state = text(row.state);
  return {
    name: text(row.name) ?? '',
    keyEnc: text(row.key_enc),
    certificate: text(row.certificate),
    notAfter: text(row.not_after),
    issuedAt: text(row.issued_at),
    state: STATES.includes(state as CertificateState) ? (state as CertificateState) : 'pending',
    reason: text(row.reason),
    failures: number(row.failures),
    nextAttempt: text(row.next_attempt),
    updatedAt: text(row.updated_at) ?? '',
  };
}

/** A unique-key violation on SQLite, MariaDB/MySQL or PostgreSQL: someone else inserted first. */
function isDuplicate(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'ER_DUP_ENTRY' || code === '23505';
}

export class CertificateStore {
  readonly tables: { certificates: string; accounts: string; locks: string };

  constructor(
    readonly knex: Knex,
    tablePrefix: string,
  ) {
    this.tables = { certificates: `${tablePrefix}acme_certificates`, accounts: `${tablePrefix}acme_accounts`, locks: `${tablePrefix}acme_locks` };
  }

  async all(): Promise<CertificateRow[]> {
    const rows = await this.knex<Record<string, unknown>>(this.tables.certificates).select('*').orderBy('name');
    return rows.map(rowOf);
  }

  async get(name: string): Promise<CertificateRow | null> {
    const row = (await this.knex(this.tables.certificates).where({ name }).first()) as Record<string, unknown> | undefined;
    return row ? rowOf(row) : null;
  }

  /** Writes the fields given for a name, creating its row when it has none. */
  async put(name: string, fields: Partial<Omit<CertificateRow, 'name'>>): Promise<void> {
    const columns: Record<string, unknown> = {};
    const map: Record<string, string> = {
      keyEnc: 'key_enc',
      certificate: 'certificate',
      notAfter: 'not_after',
      issuedAt: 'issued_at',
      state: 'state',
      reason: 'reason',
      failures: 'failures',
      nextAttempt: 'next_attempt',
      updatedAt: 'updated_at',
    };
    for (const [key, column] of Object.entries(map)) if (key in fields) columns[column] = fields[key as keyof typeof fields];
    columns.updated_at ??= new Date().toISOString();
    const updated = await this.knex(this.tables.certificates).where({ name }).update(columns);
    if (updated > 0) return;
    try {
      await this.knex(this.tables.certificates).insert({ name, state: 'pending', failures: 0, ...columns });
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      await this.knex(this.tables.certificates).where({ name }).update(columns);
    }
  }

  async account(directoryUrl: string): Promise<{ keyEnc: string; accountUrl: string | null } | null> {
    const row = (await this.knex(this.tables.accounts).where({ directory_url: directoryUrl }).first()) as Record<string, unknown> | undefined;
    const keyEnc = text(row?.key_enc);
    return row && keyEnc ? { keyEnc, accountUrl: text(row.account_url) } : null;
  }

  /** Keeps the first account key stored for a CA: another instance that raced us wins, and we use its key. */
  async saveAccount(directoryUrl: string, keyEnc: string): Promise<void> {
    try {
      await this.knex(this.tables.accounts).insert({ directory_url: directoryUrl, key_enc: keyEnc, account_url: null, created_at: new Date().toISOString() });
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
  }

  async saveAccountUrl(directoryUrl: string, accountUrl: string): Promise<void> {
    await this.knex(this.tables.accounts).where({ directory_url: directoryUrl }).update({ account_url: accountUrl });
  }

  /**
   * Takes (or extends) the named lock for `holder` until `nowMs + ttlMs`. True when this holder
   * has it. Portable: an insert that only one instance can win, else an update that succeeds only
   * when the row has expired or is ours already.
   */
  async acquireLock(name: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const table = this.tables.locks;
    try {
      await this.knex(table).insert({ name, holder, expires_at: nowMs + ttlMs });
      return true;
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const updated = await this.knex(table)
      .where({ name })
      .andWhere((q) => {
        void q.where('expires_at', '<', nowMs).orWhere({ holder });
      })
      .update({ holder, expires_at: nowMs + ttlMs });
    return updated > 0;
  }

  async releaseLock(name: string, holder: string): Promise<void> {
    await this.knex(this.tables.locks).where({ name, holder }).delete();
  }
}
