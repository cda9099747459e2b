// The scheduled DNS Checks: every domain whose policy is served is checked (kept as its last check),
// and an alert sent when a condition appears or recovers (see ./conditions.ts and ./decide.ts).
// `runScheduledChecks` is one run, for hosts with a scheduler of their own; `Scheduler` runs it
// every `intervalMs` by itself (the standalone server starts one), on one instance of several: the
// holder of a lease (./lease.ts). Data only through the service, and the lease's two statements.
import type { Logger } from '../logger';
import type { AlertOptions } from '../options';
import type { MtaStsService } from '../service';
import type { AlertState } from '../service/monitor';
import {
  BASELINE_DAYS,
  DEFAULT_BASELINE_RULE,
  MEDIAN_DAYS,
  conditionsOf,
  dayBefore,
  dnsNotPublished,
  failuresAboveBaseline,
  failuresRising,
  type Condition,
  type Finding,
} from './conditions';
import { decide } from './decide';
import { Lease, type LeaseStatements } from './lease';
import { alertMessage, channels, type AlertMessage } from './notify';

export { SIGNATURE_HEADER, type AlertMessage } from './notify';

/** Domains per page: the memory of a run is bounded by this many results, whatever the number of domains. */
const PAGE = 500;

export interface ScheduleDeps {
  service: MtaStsService;
  alerts: AlertOptions;
  concurrency: number;
  logger: Logger;
  now: () => Date;
}

/** What one run did. */
export interface RunSummary {
  startedAt: string;
  finishedAt: string;
  /** Domains checked. */
  checked: number;
  /** Alerts sent (each on at least one channel), and alerts no channel could deliver (retried next run). */
  alerts: number;
  failedAlerts: number;
  /** Whether the run stopped early because the scheduler was stopped. */
  stopped: boolean;
}

/** One run over every served domain. Rejects only when the database fails; a domain's check failing is its result. */
export async function runScheduledChecks(deps: ScheduleDeps, stopped: () => boolean = () => false): Promise<RunSummary> {
  const { service, alerts, logger } = deps;
  const monitor = service.monitor;
  const startedAt = deps.now().toISOString();
  const summary: RunSummary = { startedAt, finishedAt: startedAt, checked: 0, alerts: 0, failedAlerts: 0, stopped: false };
  const senders = channels(alerts);
  try {
    for (let after: string | null = null; ;) {
      if (stopped()) {
        summary.stopped = true;
        break;
      }
      const page = await monitor.servedDomains(after, PAGE);
      if (page.records.length > 0) {
        const results = await monitor.checkAll(page.records, alerts.locale, deps.concurrency);
        summary.checked += results.length;
        const domains = results.map((r) => r.domain);
        // The last complete UTC day, and the days before it as the baselines (trusted reports only).
        const day = dayBefore(deps.now().toISOString().slice(0, 10), 1);
        const failures = await monitor.failuresByDay(domains, dayBefore(day, Math.max(BASELINE_DAYS, MEDIAN_DAYS)), day);
        const recorded = await monitor.alertStates(domains);
        const dnsStates = await monitor.dnsStates(domains);
        const changed: AlertState[] = [];
        for (const result of results) {
          const found = conditionsOf(result);
          const rising = failuresRising(failures.get(result.domain), day);
          if (rising) found.set('tls-failures-rising', { codes: [], failures: rising } satisfies Finding);
          const spike = failuresAboveBaseline(failures.get(result.domain), day, alerts.baseline ?? DEFAULT_BASELINE_RULE);
          if (spike) found.set('tls-failures-above-baseline', { codes: [], spike } satisfies Finding);
          const stuck = dnsNotPublished(
            dnsStates.filter((s) => s.domain === result.domain),
            deps.now(),
          );
          if (stuck) found.set('dns-not-published', { codes: [], records: stuck } satisfies Finding);
          const before = recorded.filter((s) => s.domain === result.domain);
          const { due, next } = decide(result.domain, found, before, deps.now());
          if (due.length === 0) {
            changed.push(...next);
            continue;
          }
          for (const alert of due) {
            // An alert goes out only while this instance may run the schedule (see ./lease.ts).
            const allowed = !stopped();
            const message = alertMessage(alert, result.checkedAt, result.checks, alerts.locale);
            if (allowed && (await deliver(message, senders, logger))) summary.alerts += 1;
            else {
              if (allowed) summary.failedAlerts += 1;
              // Not delivered: record the check's state but not the alert, so the next run tries again.
              const state = next.find((s) => s.condition === alert.condition) as AlertState;
              const old = before.find((s) => s.condition === alert.condition);
              state.toldRaised = old?.toldRaised ?? false;
              state.alertedAt = old?.alertedAt ?? null;
            }
          }
          // Stored as soon as sent, not with the page: an instance taking over the schedule then
          // finds it told, whenever this one stops.
          await monitor.saveAlertStates(next);
        }
        // Stopped (or the lease lost) on the way: the rest is left for the next run, by whoever holds the lease.
        if (stopped()) {
          summary.stopped = true;
          break;
        }
        await monitor.saveAlertStates(changed);
      }
      if (page.next === null) break;
      after = page.next;
    }
  } finally {
    for (const sender of senders) sender.close();
  }
  summary.finishedAt = deps.now().toISOString();
  return summary;
}

/** True when at least one channel took the message (or none is configured); failures are logged. */
async function deliver(message: AlertMessage, senders: ReturnType<typeof channels>, logger: Logger): Promise<boolean> {
  if (senders.length === 0) return true;
  let delivered = false;
  for (const sender of senders) {
    try {
      await sender.send(message);
      delivered = true;
    } catch (err) {
      logger.error(`could not send the ${message.condition} alert of ${message.domain} by ${sender.name}`, err);
    }
  }
  return delivered;
}

export interface SchedulerOptions {
  /** Time from the end of one run to the start of the next. */
  intervalMs: number;
  /**
   * The lease that lets one instance of many run the schedule (see ./lease.ts): runs start only
   * while it is held, the first as soon as it is taken, and a run stops when it is lost.
   * Without it every scheduler started runs the schedule.
   */
  lease?: { statements: LeaseStatements; periodMs: number };
  /** Called after each run (e.g. for a status page); an exception in it is ignored. */
  onRun?: (summary: RunSummary) => void;
}

/** The name of the scheduled checks' lease in `<prefix>leases`. */
export const SCHEDULE_LEASE = 'scheduled-checks';

/**
 * Runs the scheduled checks every `intervalMs`, one run at a time, the first at `start()`, or,
 * with a lease, the first when this instance takes the lease and none while another holds it.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  private started = false;
  private stopping = false;
  private last: RunSummary | null = null;
  private readonly lease: Lease | null;

  constructor(
    private readonly deps: ScheduleDeps,
    private readonly options: SchedulerOptions,
  ) {
    this.lease = options.lease
      ? new Lease(options.lease.statements, {
          name: SCHEDULE_LEASE,
          periodMs: options.lease.periodMs,
          logger: deps.logger,
          onGained: () => this.runSoon(),
          // A run in progress sees the lease gone (stopped()) and ends at its next alert or page.
          onLost: () => this.clearTimer(),
        })
      : null;
  }

  /** The summary of the last finished run, or null. */
  get lastRun(): RunSummary | null {
    return this.last;
  }

  /** Whether this instance may run the schedule now: it holds the lease (always true without one). */
  get active(): boolean {
    return this.started && (this.lease === null || this.lease.held);
  }

  /** Starts at once (with a lease: tries to take it at once); calling it again while started does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    if (this.lease) this.lease.start();
    else this.runSoon();
  }

  /** Stops the timer, waits for a run in progress, which ends after its current page, and releases the lease. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    this.clearTimer();
    await this.current;
    await this.lease?.stop();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A run now, unless one is running or the scheduler is stopping. */
  private runSoon(): void {
    if (this.stopping || this.current !== null) return;
    this.clearTimer();
    this.tick();
  }

  private tick(): void {
    this.timer = null;
    if (!this.active) return;
    this.current = runScheduledChecks(this.deps, () => !this.active)
      .then(
        (summary) => {
          this.last = summary;
          try {
            this.options.onRun?.(summary);
          } catch {
            // The callback's own failure is not the run's.
          }
        },
        (err: unknown) => this.deps.logger.error('the scheduled DNS Checks failed; next try at the next interval', err),
      )
      .finally(() => {
        this.current = null;
        // The next run counts from the end of this one: a run longer than the interval never overlaps the next.
        if (this.active) {
          this.timer = setTimeout(() => this.tick(), this.options.intervalMs);
          // A host that ends its other work may exit; the scheduler alone does not keep it running.
          this.timer.unref();
        }
      });
  }
}

export type { Condition };
