// The stored TLS reports of a domain as files: the list of a period, each report's original JSON,
// and the period's failure details, one row each with every RFC 8460 field, read back from the
// stored originals (so that reports stored before any column was added export whole too).
import { setImmediate as nextTurn } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import type { Logger } from '../logger';
import type { DomainRecord } from '../policy';
import { parseReport } from '../reports';
import type { ExportCursor, ListedReport, ReportFileStore } from '../store/report-files';
import { gunzipLimited } from './inflate';

/** The ceiling of a report's JSON after decompression: the intake's (INTAKE_LIMITS.decompressed). */
const JSON_LIMIT = 10 * 1024 * 1024;
/** Reports per database read of the export: a batch is at most this many stored gzips (1 MiB each at most) in memory. */
export const EXPORT_BATCH = 16;

export type { ListedReport } from '../store/report-files';

/** One failure detail of one stored report, with its report's and policy's fields, named as in RFC 8460. */
export interface FailureRow {
  'organization-name': string;
  'report-id': string;
  'start-datetime': string;
  'end-datetime': string;
  'policy-type': string;
  'policy-domain': string;
  'result-type': string;
  'sending-mta-ip': string | null;
  'receiving-mx-hostname': string | null;
  'receiving-mx-helo': string | null;
  'receiving-ip': string | null;
  'failed-session-count': number | null;
  'additional-information': string | null;
  'failure-reason-code': string | null;
}

/** The columns of the export, in order: the keys of FailureRow. */
export const FAILURE_COLUMNS: ReadonlyArray<keyof FailureRow> = [
  'organization-name',
  'report-id',
  'start-datetime',
  'end-datetime',
  'policy-type',
  'policy-domain',
  'result-type',
  'sending-mta-ip',
  'receiving-mx-hostname',
  'receiving-mx-helo',
  'receiving-ip',
  'failed-session-count',
  'additional-information',
  'failure-reason-code',
];

/** A stored report: its row id, or the sender's report-id with the organisation when given. */
export type ReportRef = number | { reportId: string; organisation: string | null };

export interface ReportFileDeps {
  store: ReportFileStore;
  find(name: string): Promise<DomainRecord | null>;
  logger: Logger;
}

export class ReportFileService {
  constructor(private readonly deps: ReportFileDeps) {}

  /** Page `page` of the domain's reports whose first day is within [from, to], newest first; null for an unknown domain. */
  async list(name: string, from: string, to: string, page: number, limit: number): Promise<{ domain: string; total: number; reports: ListedReport[] } | null> {
    const record = await this.deps.find(name);
    if (!record) return null;
    return { domain: record.domain, ...(await this.deps.store.list(record.domain, from, to, page, limit)) };
  }

  /**
   * A report's JSON exactly as the sender sent it (the stored gzip, inflated), when it is one of
   * the domain's; null otherwise, and for a stored gzip that no longer inflates (logged). `ref` is
   * its row id, or its sender report-id (and organisation, when two organisations used it:
   * 'ambiguous' without).
   */
  async original(
    name: string,
    ref: ReportRef,
  ): Promise<{ id: number; domain: string; organisation: string; reportId: string; start: string; json: Buffer } | 'ambiguous' | null> {
    const record = await this.deps.find(name);
    if (!record) return null;
    let id: number;
    if (typeof ref === 'number') id = ref;
    else {
      const found = (await this.deps.store.idsByReportId(record.domain, ref.reportId)).filter(
        (r) => ref.organisation === null || r.organisation === ref.organisation,
      );
      if (found.length === 0) return null;
      if (found.length > 1) return 'ambiguous';
      id = found[0].id;
    }
    const file = await this.deps.store.original(record.domain, id);
    if (!file) return null;
    const inflated = await gunzipLimited(file.gzip, JSON_LIMIT);
    if (!inflated.ok) {
      this.deps.logger.error(`the stored TLS report ${id} of ${record.domain} does not inflate (${inflated.code})`);
      return null;
    }
    return { id, domain: record.domain, organisation: file.organisation, reportId: file.reportId, start: file.start, json: inflated.data };
  }

  /**
   * The failure details of the domain's reports whose first day is within [from, to], one batch of
   * rows per stored report, in the order of their start (then as stored). Reads EXPORT_BATCH
   * reports at a time (keyset by start and id) and
   * parses one per turn of the event loop; the caller stops it (`return()`) when its client is gone.
   */
  async *failureRows(domain: string, from: string, to: string): AsyncGenerator<FailureRow[]> {
    let after: ExportCursor | null = null;
    for (;;) {
      const batch = await this.deps.store.batch(domain, from, to, after, EXPORT_BATCH);
      for (const file of batch) {
        after = { start: file.start, id: file.id };
        await nextTurn();
        const parsed = readBack(file.gzip);
        if (!parsed?.ok) {
          // Stored only after it parsed: a report that no longer does is damaged; the export goes on without it.
          this.deps.logger.error(`the stored TLS report ${file.id} of ${domain} could not be read back for the export`);
          continue;
        }
        const { report } = parsed;
        const rows: FailureRow[] = [];
        for (const policy of report.policies) {
          for (const detail of policy.failures) {
            rows.push({
              'organization-name': report.organisation,
              'report-id': report.reportId,
              'start-datetime': report.start,
              'end-datetime': report.end,
              'policy-type': policy.type,
              'policy-domain': policy.domain,
              'result-type': detail.resultType,
              'sending-mta-ip': detail.sendingMtaIp,
              'receiving-mx-hostname': detail.receivingMxHostname,
              'receiving-mx-helo': detail.receivingMxHelo,
              'receiving-ip': detail.receivingIp,
              'failed-session-count': detail.sessions,
              'additional-information': detail.additionalInformation,
              'failure-reason-code': detail.failureReasonCode,
            });
          }
        }
        if (rows.length > 0) yield rows;
      }
      if (batch.length < EXPORT_BATCH) return;
    }
  }
}

/**
 * A stored report parsed again, or null when it no longer inflates or parses. In one step: a
 * stored gzip is at most 1 MiB and inflates to at most 10 MiB (the intake's limits, kept here with
 * maxOutputLength), which costs less than parsing it; the stream's turns cost more for the many
 * small reports of an export.
 */
function readBack(gzip: Buffer): ReturnType<typeof parseReport> | null {
  try {
    return parseReport(gunzipSync(gzip, { maxOutputLength: JSON_LIMIT }).toString('utf8'));
  } catch {
    return null;
  }
}
