// The scheduled DNS Checks' own tables (see migrations/20261201000500_add_mta_sts_checks.ts):
// the last scheduled result of each domain, and the alert state per domain and condition. Kept
// apart from any other store of check results, so the scheduler owns exactly these two tables.
import type { Knex } from 'knex';

/** One domain's condition as last recorded. */
export interface AlertState {
  domain: string;
  condition: string;
  /** Whether the last check found the condition. */
  raised: boolean;
  /** What the last alert sent said: raised (true) or recovered; false before any alert. */
  toldRaised: boolean;
  changedAt: string;
  alertedAt: string | null;
}

/** One scheduled result, as stored. */
export interface StoredCheck {
  domain: string;
  checkedAt: string;
  worst: string;
  codes: string[];
  result: string;
}

/** Rows per statement: far below every dialect's limit on bound parameters. */
const CHUNK = 200;

export class CheckStore {
  private readonly results: string;
  private readonly alerts: string;

  constructor(
    private readonly knex: Knex,
    tablePrefix: string,
  ) {
    this.results = `${tablePrefix}check_results`;
    this.alerts = `${tablePrefix}alert_state`;
  }

  /** Stores each domain's latest result, replacing the one before. */
  async saveResults(checks: readonly StoredCheck[]): Promise<void> {
    for (let i = 0; i < checks.length; i += CHUNK) {
      const rows = checks
        .slice(i, i + CHUNK)
        .map((c) => ({ domain: c.domain, checked_at: c.checkedAt, worst: c.worst, codes: c.codes.join(','), result: c.result }));
      await this.knex(this.results).insert(rows).onConflict('domain').merge();
    }
  }

  /** The last scheduled result of a domain, or null. */
  async result(domain: string): Promise<StoredCheck | null> {
    const row = (await this.knex(this.results).where('domain', domain).first()) as Record<string, unknown> | undefined;
    if (!row) return null;
    return { domain, checkedAt: text(row.checked_at), worst: text(row.worst), codes: text(row.codes).split(',').filter(Boolean), result: text(row.result) };
  }

  /** Every recorded condition of these domains. */
  async states(domains: readonly string[]): Promise<AlertState[]> {
    const states: AlertState[] = [];
    for (let i = 0; i < domains.length; i += CHUNK) {
      const rows = (await this.knex(this.alerts).whereIn('domain', domains.slice(i, i + CHUNK))) as Array<Record<string, unknown>>;
      for (const row of rows) {
        states.push({
          domain: text(row.domain),
          condition: text(row.condition),
          raised: row.raised === true || Number(row.raised) === 1,
          toldRaised: row.told_raised === true || Number(row.told_raised) === 1,
          changedAt: text(row.changed_at),
          alertedAt: row.alerted_at == null ? null : text(row.alerted_at),
        });
      }
    }
    return states;
  }

  /** Writes these states, replacing the recorded ones. */
  async saveStates(states: readonly AlertState[]): Promise<void> {
    for (let i = 0; i < states.length; i += CHUNK) {
      const rows = states.slice(i, i + CHUNK).map((s) => ({
        domain: s.domain,
        condition: s.condition,
        raised: s.raised,
        told_raised: s.toldRaised,
        changed_at: s.changedAt,
        alerted_at: s.alertedAt,
      }));
      await this.knex(this.alerts).insert(rows).onConflict(['domain', 'condition']).merge();
    }
  }
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return '';
}
