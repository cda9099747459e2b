// The scheduled DNS Checks' alert state (table `<prefix>alert_state`, see
// migrations/20261201000500_add_mta_sts_checks.ts): per domain and condition whether it is raised
// and when an alert was last sent, so that a restart neither re-alerts nor forgets a condition.
// The checks' results themselves are in the one table of last checks (./last-check-store.ts).
import type { Knex } from 'knex';
import { text } from './rows';

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

/** Rows per statement: far below every dialect's limit on bound parameters. */
const CHUNK = 200;

export class AlertStore {
  private readonly alerts: string;

  constructor(
    private readonly knex: Knex,
    tablePrefix: string,
  ) {
    this.alerts = `${tablePrefix}alert_state`;
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
