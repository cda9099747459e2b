// Prometheus metrics of the standalone server (prom-client), fed by the plugin's `observer` hooks,
// the server's own policy responses and its logins. Served on --metrics-port or behind the API key.
import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Observer } from '../logger';

const POLICY_PATH = '/.well-known/mta-sts.txt';

export class Metrics {
  readonly registry = new Registry();
  private lastLoad: number | null = null;
  /**
   * Policy responses by status, counted as plain numbers and handed to prom-client only when
   * scraped: its `inc` builds and hashes a label set on every call, a cost on every policy request.
   */
  private readonly policyCounts = new Map<number, number>();
  private readonly reloadDuration = new Histogram({
    name: 'mta_sts_served_set_reload_seconds',
    help: 'How long reloading the served set from the database took, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly dnsChecks = new Histogram({
    name: 'mta_sts_dns_check_seconds',
    help: 'DNS Check durations, by result (ok: no check was an error)',
    labelNames: ['result'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30],
    registers: [this.registry],
  });
  private readonly logins = new Counter({
    name: 'mta_sts_logins_total',
    help: 'Login attempts on the admin pages by outcome (ok, failed, blocked)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /**
   * Counts the policy file's responses by status, mounted before the policy route: one listener
   * shared by every response (no closure per request), on policy requests only.
   */
  readonly countPolicyResponses: RequestHandler;

  constructor(private readonly now: () => number = Date.now) {
    collectDefaultMetrics({ register: this.registry, prefix: 'mta_sts_server_' });
    const counts = this.policyCounts;
    function counted(this: ServerResponse) {
      counts.set(this.statusCode, (counts.get(this.statusCode) ?? 0) + 1);
    }
    this.countPolicyResponses = (req, res, next) => {
      if (req.path === POLICY_PATH) res.on('finish', counted);
      next();
    };
    new Counter({
      name: 'mta_sts_policy_responses_total',
      help: 'Policy file responses (/.well-known/mta-sts.txt) by HTTP status',
      labelNames: ['status'] as const,
      registers: [this.registry],
      collect() {
        // Set when scraped, from the counts so far (statuses are three digits: a handful of series).
        this.reset();
        for (const [status, count] of counts) this.inc({ status: String(status) }, count);
      },
    });
    const age = () => this.servedSetAge();
    new Gauge({
      name: 'mta_sts_served_set_age_seconds',
      help: 'Seconds since the served set was last loaded from the database (absent before the first load)',
      registers: [this.registry],
      collect() {
        // Set when scraped, from the observer's last report.
        const seconds = age();
        if (seconds !== null) this.set(seconds);
      },
    });
  }

  /** With several servers on one database: whether this one runs the scheduled checks (holds their lease). */
  schedulerActive(active: () => boolean): void {
    new Gauge({
      name: 'mta_sts_scheduler_active',
      help: 'Whether this instance runs the scheduled DNS Checks (1: it holds their lease; 0: another instance does, or none can)',
      registers: [this.registry],
      collect() {
        this.set(active() ? 1 : 0);
      },
    });
  }

  /** Seconds since the last successful load of the served set, or null before the first. */
  servedSetAge(): number | null {
    return this.lastLoad === null ? null : (this.now() - this.lastLoad) / 1000;
  }

  /** The plugin's observer hooks, feeding these metrics. */
  observer(): Observer {
    return {
      servedSetLoaded: ({ durationMs }) => {
        this.lastLoad = this.now();
        this.reloadDuration.observe({ outcome: 'ok' }, durationMs / 1000);
      },
      servedSetFailed: ({ durationMs }) => this.reloadDuration.observe({ outcome: 'failed' }, durationMs / 1000),
      dnsCheck: ({ durationMs, ok }) => this.dnsChecks.observe({ result: ok ? 'ok' : 'error' }, durationMs / 1000),
    };
  }

  login(outcome: 'ok' | 'failed' | 'blocked'): void {
    this.logins.inc({ outcome });
  }
}
