// A steady request loop: one GET every `intervalMs` whether or not the earlier ones have been
// answered (a sender does not wait for another sender), bounded in count and in time. A server
// that stalls shows as requests that wait for as long as the stall; one that is gone, as requests
// that fail. Used for the policy file's latency while the server is under attack.
import http from 'node:http';
import { nowMs, percentile, sleep } from './util';

export interface LoopOptions {
  url: string;
  headers?: Record<string, string>;
  intervalMs: number;
  /** Requests sent at most. */
  maxRequests: number;
  /** A request not answered by then is given up (counted as stalled, with this latency as a lower bound). */
  timeoutMs: number;
  /** What counts as answered: by default status 200. */
  ok?: (status: number) => boolean;
}

export interface LoopSummary {
  sent: number;
  /** Answered as `ok` says. */
  answered: number;
  /** Any other status, a refused or reset connection: no answer at all. */
  failed: number;
  /** Not answered within timeoutMs, or still waiting when the loop was stopped. */
  stalled: number;
  /** Latencies in ms: a failed request counts as never answered (Infinity), a stalled one as the time it waited. */
  p50: number;
  p99: number;
  max: number;
  /** True when `max` is a lower bound (a request was still waiting when given up). */
  maxOpen: boolean;
  /** Statuses and error codes seen, with their counts. */
  outcomes: Record<string, number>;
}

export class RequestLoop {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  private readonly latencies: number[] = [];
  private readonly pending = new Set<{ req: http.ClientRequest; started: number }>();
  private readonly outcomes: Record<string, number> = {};
  private sent = 0;
  private answered = 0;
  private failed = 0;
  private stalled = 0;
  /** The longest wait of a request given up: a lower bound of its latency. */
  private stalledMax = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: LoopOptions) {}

  start(): void {
    this.running = true;
    const t0 = nowMs();
    this.loop = (async () => {
      while (this.running && this.sent < this.options.maxRequests) {
        this.fire();
        // On schedule from the start, so a late timer does not stretch the interval for good.
        await sleep(Math.max(0, t0 + this.sent * this.options.intervalMs - nowMs()));
      }
    })();
  }

  private count(outcome: string): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
  }

  private fire(): void {
    this.sent += 1;
    const started = nowMs();
    const req = http.get(this.options.url, { headers: this.options.headers, agent: this.agent });
    const entry = { req, started };
    this.pending.add(entry);
    const done = (outcome: string, latency: number, kind: 'answered' | 'failed' | 'stalled') => {
      if (!this.pending.delete(entry)) return;
      this.count(outcome);
      this.latencies.push(latency);
      this[kind] += 1;
      if (kind === 'stalled') this.stalledMax = Math.max(this.stalledMax, latency);
    };
    req.setTimeout(this.options.timeoutMs, () => {
      done('timeout', nowMs() - started, 'stalled');
      req.destroy();
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        const ok = (this.options.ok ?? ((status: number) => status === 200))(res.statusCode ?? 0);
        done(String(res.statusCode), ok ? nowMs() - started : Number.POSITIVE_INFINITY, ok ? 'answered' : 'failed');
      });
      res.on('error', () => done('reset', Number.POSITIVE_INFINITY, 'failed'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'error', Number.POSITIVE_INFINITY, 'failed'));
  }

  /** Stops sending; waits at most `graceMs` for the requests in flight, then gives them up. */
  async stop(graceMs: number): Promise<LoopSummary> {
    this.running = false;
    await this.loop;
    const until = nowMs() + graceMs;
    while (this.pending.size > 0 && nowMs() < until) await sleep(20);
    for (const entry of [...this.pending]) {
      this.pending.delete(entry);
      this.count('still waiting');
      const waited = nowMs() - entry.started;
      this.stalledMax = Math.max(this.stalledMax, waited);
      this.latencies.push(waited);
      this.stalled += 1;
      entry.req.destroy();
    }
    this.agent.destroy();
    const max = this.latencies.length === 0 ? Number.NaN : Math.max(...this.latencies);
    return {
      sent: this.sent,
      answered: this.answered,
      failed: this.failed,
      stalled: this.stalled,
      p50: percentile(this.latencies, 50),
      p99: percentile(this.latencies, 99),
      max,
      maxOpen: this.stalled > 0 && this.stalledMax >= max,
      outcomes: this.outcomes,
    };
  }
}

/** A latency for the table: whole ms below 10 s, "no answer" for a request that never got one, ≥ for a lower bound. */
export function ms(value: number, lowerBound = false): string {
  if (Number.isNaN(value)) return '-';
  if (!Number.isFinite(value)) return 'no answer';
  return `${lowerBound ? '≥ ' : ''}${value < 10 ? value.toFixed(1) : Math.round(value)}`;
}
