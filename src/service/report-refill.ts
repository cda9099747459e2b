// Refilling the failure rows of reports stored before migration 20261210000000, which kept of a
// failure detail only its result type, receiving MX host and IP and sessions. Why here and not in
// the migration: only the parser reads a report, and a migration may not import it (frozen); and a
// walk over every stored report in the upgrade would hold the start for as long as it takes. So
// the service refills them in bounded batches: at the first read of a domain's reports page (its
// own reports, at most DETAILS_PER_READ per read) and before each pruning run (all domains, which
// the server does at start).
import type { Logger } from '../logger';
import type { ReportLimits } from '../options/report-limits';
import { boundSummary, parseReport, summarizeReport, type BoundedSummary } from '../reports';
import type { ReportStore } from '../store/report-store';
import { gunzipLimited } from './inflate';

/** Reports read per statement, and refilled at most per page read. */
const DETAILS_BATCH = 50;
const DETAILS_PER_READ = 500;
/** The JSON of a stored report, decompressed, at most (the intake's limit). */
const DECOMPRESSED = 10 * 1024 * 1024;

export class DetailsRefill {
  /** Domains whose stored reports all have every field (new reports are stored so): not asked again. */
  private readonly detailed = new Set<string>();
  /** The refill running now: one at a time per process. */
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ReportStore,
    private readonly limits: ReportLimits,
    private readonly logger: Logger,
    /** The service's CPU step (one turn of the event loop each). */
    private readonly step: <T>(work: () => T) => Promise<T>,
  ) {}

  /** Before a read of `domain`'s reports: its reports refilled, at most DETAILS_PER_READ this time. */
  async domain(domain: string): Promise<void> {
    if (!this.detailed.has(domain)) await this.fill(domain, DETAILS_PER_READ);
  }

  /**
   * Each report (of `domain`, or of all; at most `max`) parsed again from its JSON as received
   * (`report_gz`), bounded as at intake (`reports.maxPoliciesPerReport`...), and its rows replaced
   * in one transaction. Answers how many were refilled.
   */
  fill(domain: string | null, max: number): Promise<number> {
    const run = this.running.then(() => this.walk(domain, max));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async walk(domain: string | null, max: number): Promise<number> {
    // `handled` bounds the walk (a report that no longer parses is marked, and counts there too);
    // `done` is what was refilled.
    let handled = 0;
    let done = 0;
    while (handled < max) {
      const asked = Math.min(DETAILS_BATCH, max - handled);
      const batch = await this.store.pendingDetails(domain, asked);
      for (const report of batch) {
        const inflated = await gunzipLimited(report.gzip, DECOMPRESSED);
        const summary = await this.step((): BoundedSummary | null => {
          const parsed = inflated.ok ? parseReport(inflated.data.toString('utf8')) : null;
          return parsed?.ok ? boundSummary(summarizeReport(parsed.report), this.limits.storage) : null;
        });
        if (summary === null) this.logger.warn(`stored TLS report ${report.id} of ${report.domain} no longer parses: its failure rows keep what they had`);
        handled++;
        if ((await this.store.refillDetails(report, summary)) && summary !== null) done++;
      }
      if (batch.length < asked) {
        if (domain !== null) this.detailed.add(domain);
        break;
      }
    }
    if (done > 0) this.logger.info(`refilled the failure details of ${done} stored TLS reports${domain === null ? '' : ` of ${domain}`}`);
    return done;
  }
}
