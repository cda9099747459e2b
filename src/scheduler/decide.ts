// When an alert is due. Pure: the recorded state in, the alerts and the new state out.
import type { AlertState } from '../service/monitor';
import { CONDITIONS, type Condition, type Finding } from './conditions';

/** At most one alert per domain and condition in this time, the recovery included. @internal */
export const ALERT_GAP_MS = 86_400_000;

export interface DueAlert {
  domain: string;
  condition: Condition;
  state: 'raised' | 'recovered';
  finding: Finding | null;
}

/**
 * Compares what a check found with what was recorded. An alert is due when the state differs
 * from what the last alert said (raised or recovered) and no alert for this domain and condition
 * went out in the last ALERT_GAP_MS: a condition that comes and goes within the day gives one
 * alert, and the alert of the state it settled in follows once the day is over, so the admin is
 * never left believing a state that no longer holds. `next` are the states to record, as if every
 * due alert were sent (the caller keeps the old `toldRaised`/`alertedAt` of one that was not).
 */
export function decide(
  domain: string,
  found: ReadonlyMap<Condition, Finding>,
  recorded: readonly AlertState[],
  now: Date,
): { due: DueAlert[]; next: AlertState[] } {
  const due: DueAlert[] = [];
  const next: AlertState[] = [];
  const at = now.toISOString();
  for (const condition of CONDITIONS) {
    const before = recorded.find((s) => s.condition === condition);
    const raised = found.has(condition);
    // Nothing to remember about a condition never raised.
    if (!before && !raised) continue;
    const state: AlertState = before ? { ...before } : { domain, condition, raised: false, toldRaised: false, changedAt: at, alertedAt: null };
    if (state.raised !== raised) state.changedAt = at;
    state.raised = raised;
    const quiet = state.alertedAt !== null && now.getTime() - Date.parse(state.alertedAt) < ALERT_GAP_MS;
    if (state.toldRaised !== raised && !quiet) {
      due.push({ domain, condition, state: raised ? 'raised' : 'recovered', finding: found.get(condition) ?? null });
      state.toldRaised = raised;
      state.alertedAt = at;
    }
    if (!before || JSON.stringify(before) !== JSON.stringify(state)) next.push(state);
  }
  return { due, next };
}
