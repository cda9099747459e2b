// The stored reports of a domain as files: the list of a period (a page at a time), one report's
// original gzip, and the reports of a period in batches for the export (keyset pagination by
// start and id: each batch asks for the reports after the last one seen, so a long export never
// re-reads or skips one while reports arrive or are pruned, and holds one batch in memory).
import type { Knex } from 'knex';
import { dialectOf } from './dialect';
import { metaOf, type StoredReportMeta } from './report-store';
import { text, type Row } from './rows';

export interface ListedReport extends StoredReportMeta {
  /** Bytes of the stored gzip. */
  size: number;
}

export interface ReportListPage {
  total: number;
  reports: ListedReport[];
}

/** Where the export's last batch ended: the last report's start and id. */
export interface ExportCursor {
  start: string;
  id: number;
}

/** One stored report as the export reads it. */
export interface ReportFile {
  id: number;
  organisation: string;
  reportId: string;
  start: string;
  end: string;
  gzip: Buffer;
}

/** The start_at bounds of the reports whose first day is within [from, to] (YYYY-MM-DD, UTC), as the summaries count them. */
function startBounds(from: string, to: string): [string, string] {
  return [`${from}T00:00:00.000Z`, `${to}T23:59:59.999Z`];
}

export class ReportFileStore {
  constructor(
    private readonly knex: Knex,
    private readonly table: string,
  ) {}

  /** Page `page` (from 1) of `limit` reports, newest first, with how many there are in all. */
  async list(domain: string, from: string, to: string, page: number, limit: number): Promise<ReportListPage> {
    const inPeriod = () => this.knex<Row>(this.table).where('domain', domain).whereBetween('start_at', startBounds(from, to));
    const counted = (await inPeriod().count({ n: '*' }).first()) as Row | undefined;
    const length = dialectOf(this.knex) === 'postgres' ? 'octet_length' : 'length';
    const rows = (await inPeriod()
      .select(
        'id',
        'domain',
        'organisation',
        'report_id',
        'contact_info',
        'start_at',
        'end_at',
        'received_at',
        'received_via',
        'dkim',
        'dkim_domain',
        'success',
        'failure',
        'folded_policies',
        'folded_failures',
        this.knex.raw(`${length}(report_gz) as ??`, ['size']),
      )
      .orderBy('start_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .offset((page - 1) * limit)) as Row[];
    return { total: Number(counted?.n ?? 0), reports: rows.map((row) => ({ ...metaOf(row), size: Number(row.size) })) };
  }

  /** The row ids and organisations of `domain`'s reports with this sender report-id (one per organisation). */
  async idsByReportId(domain: string, reportId: string): Promise<Array<{ id: number; organisation: string }>> {
    const rows: Row[] = await this.knex<Row>(this.table).where({ domain, report_id: reportId }).orderBy('id').limit(20).select('id', 'organisation');
    return rows.map((row) => ({ id: Number(row.id), organisation: text(row.organisation) }));
  }

  /** The stored gzip of report `id` when it is one of `domain`'s, else null. */
  async original(domain: string, id: number): Promise<(ReportFile & { receivedAt: string }) | null> {
    const row: Row | undefined = await this.knex<Row>(this.table)
      .where({ domain, id })
      .first('id', 'organisation', 'report_id', 'start_at', 'end_at', 'received_at', 'report_gz');
    return row ? { ...fileOf(row), receivedAt: text(row.received_at) } : null;
  }

  /**
   * Up to `limit` reports of the period after `after` (a report's start and id; null for the
   * first), in the order of their start, then id: the (domain, start_at) index finds each batch
   * directly, however many reports of other domains and periods the table holds.
   */
  async batch(domain: string, from: string, to: string, after: ExportCursor | null, limit: number): Promise<ReportFile[]> {
    const rows: Row[] = await this.knex<Row>(this.table)
      .where('domain', domain)
      .whereBetween('start_at', startBounds(from, to))
      .where((q) => {
        if (!after) return;
        q.where('start_at', '>', after.start).orWhere((same) => {
          same.where('start_at', after.start).where('id', '>', after.id);
        });
      })
      .orderBy('start_at')
      .orderBy('id')
      .limit(limit)
      .select('id', 'organisation', 'report_id', 'start_at', 'end_at', 'report_gz');
    return rows.map(fileOf);
  }
}

function fileOf(row: Row): ReportFile {
  return {
    id: Number(row.id),
    organisation: text(row.organisation),
    reportId: text(row.report_id),
    start: text(row.start_at),
    end: text(row.end_at),
    gzip: Buffer.from(row.report_gz as Uint8Array),
  };
}
