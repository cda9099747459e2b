// Writing the export of a period's failure details (CSV or JSON Lines) to a response as the rows
// are read: one chunk per stored report, waiting for 'drain' when the socket's buffer is full, and
// stopping (which ends the reading of the database) as soon as the client is gone.
import type { Response } from 'express';
import type { Logger } from '../logger';
import { FAILURE_COLUMNS, type FailureRow } from '../service/report-files';

/** Characters gathered before a write. */
const CHUNK = 64 * 1024;

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_TYPES: Record<ExportFormat, string> = {
  // RFC 4180's type, its optional header parameter saying the first line names the columns.
  csv: 'text/csv; charset=utf-8; header=present',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/**
 * A CSV cell (RFC 4180): quoted when it holds a quote, a comma, CR or LF, quotes doubled. A text
 * a spreadsheet would take for a formula (starting with =, +, -, @, TAB or CR) gets a leading
 * apostrophe first, so that opening the file never runs what a sender wrote into its report.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvLine(cells: ReadonlyArray<string | number | null>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function line(format: ExportFormat, row: FailureRow): string {
  return format === 'csv' ? csvLine(FAILURE_COLUMNS.map((column) => row[column])) : `${JSON.stringify(row)}\n`;
}

/** Resolves when the response can take more ('drain') or is gone ('close'). */
function writable(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Streams `rows` as `format` with the status and headers already set. The generator is closed
 * (its database reading stops) when the client goes away. An error before the first write is
 * thrown for the error handler; after it, it can only cut the response short, so it is logged and
 * the connection closed, which the client sees as an incomplete download rather than a file that
 * looks whole.
 */
export async function streamExport(res: Response, format: ExportFormat, rows: AsyncGenerator<FailureRow[]>, logger: Logger): Promise<void> {
  let gone = false;
  const onClose = () => {
    gone = !res.writableFinished;
  };
  res.on('close', onClose);
  try {
    // Rows are gathered into writes of about CHUNK characters: one write per report (a kilobyte
    // for most) cost a system call each.
    let pending = format === 'csv' ? csvLine(FAILURE_COLUMNS) : '';
    for await (const batch of rows) {
      if (gone || res.destroyed) break;
      for (const row of batch) pending += line(format, row);
      if (pending.length < CHUNK) continue;
      const full = !res.write(pending);
      pending = '';
      if (full) await writable(res);
      if (gone || res.destroyed) break;
    }
    if (!gone && !res.destroyed) res.end(pending);
  } catch (err) {
    // Nothing sent yet (the first piece waits for 64 KiB): the error handler answers (503 while the
    // database is away) and no attachment is offered.
    if (!res.headersSent) {
      res.removeHeader('Content-Disposition');
      res.removeHeader('Content-Type');
      throw err;
    }
    logger.error('a TLS report export stopped early', err);
    res.destroy();
  } finally {
    res.off('close', onClose);
    // Closed in any case: a `break` already did, an error may have left it suspended.
    await rows.return(undefined);
  }
}
