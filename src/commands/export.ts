// export --history: every domain's change history, the policy ids it served and its last DNS
// Check, for an audit: one JSON document (stdout or --output file) or a CSV bundle (--output
// directory: domains.csv, history.csv, served-ids.csv). Written batch by batch as the service reads
// them (500 domains at a time), so a fleet of 100,000 domains is never held in memory; a file is
// written under a temporary name and renamed when complete, so a failed export leaves no file that
// looks whole.
import { once } from 'node:events';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { ExportedDomain } from '../service/history-export';
import { CliError } from './output';
import type { WithRuntime } from './policy';

const FORMATS = ['json', 'csv'] as const;

/** Writes, waiting when the stream's buffer is full (a slow disk or pipe holds the export, not memory). */
async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * A CSV cell (RFC 4180): quoted when it holds a comma, quote or line break; a cell a spreadsheet
 * would run as a formula (= + - @ first) is prefixed with ' (an actor name comes from the host).
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const row = (cells: Array<string | number | boolean | null>) => `${cells.map(csvCell).join(',')}\r\n`;

/** A file written under `<path>.partial`, renamed to `path` once complete. */
class OutputFile {
  readonly stream: Writable;
  private readonly partial: string;
  constructor(readonly path: string) {
    this.partial = `${path}.partial`;
    this.stream = createWriteStream(this.partial, { flags: 'w', mode: 0o600 });
  }
  async finish(): Promise<void> {
    this.stream.end();
    await once(this.stream, 'finish');
    renameSync(this.partial, this.path);
  }
  discard(): void {
    this.stream.destroy();
    rmSync(this.partial, { force: true });
  }
}

const CSV_HEADERS = {
  domains: ['domain', 'active', 'mode', 'max_age', 'mx', 'id', 'updated_at', 'revision', 'served', 'checked_at', 'verdict', 'errors', 'warnings', 'checked_id'],
  history: [
    'domain',
    'changed_at',
    'actor',
    'source',
    'origin',
    'old_id',
    'new_id',
    'safe_removal_at',
    'before_active',
    'before_mode',
    'before_max_age',
    'before_mx',
    'after_active',
    'after_mode',
    'after_max_age',
    'after_mx',
  ],
  servedIds: ['domain', 'id', 'served_from', 'fingerprint'],
};

function csvRows(d: ExportedDomain): { domains: string; history: string; servedIds: string } {
  const p = d.policy;
  const c = d.lastCheck;
  return {
    domains: row([
      d.domain,
      p.active,
      p.mode,
      p.maxAge,
      p.mx.join(' '),
      p.id,
      p.updatedAt,
      p.revision,
      p.served,
      c?.checkedAt ?? null,
      c?.verdict ?? null,
      c?.errors ?? null,
      c?.warnings ?? null,
      c?.policyId ?? null,
    ]),
    history: d.history
      .map((h) =>
        row([
          d.domain,
          h.changedAt,
          h.actor,
          h.source,
          h.origin,
          h.oldId,
          h.newId,
          h.safeRemovalAt,
          h.before?.active ?? null,
          h.before?.mode ?? null,
          h.before?.maxAge ?? null,
          h.before ? h.before.mx.join(' ') : null,
          h.after.active,
          h.after.mode,
          h.after.maxAge,
          h.after.mx.join(' '),
        ]),
      )
      .join(''),
    servedIds: d.servedIds.map((s) => row([d.domain, s.id, s.servedFrom, s.fingerprint])).join(''),
  };
}

export function registerExportCommand(program: Command, withRuntime: WithRuntime): void {
  program
    .command('export')
    .description("for audits: --history writes every domain's changes, served ids and last DNS Check as one JSON document or a CSV bundle")
    .option('--history', 'export the change history (what to export; required)')
    .option('--format <format>', 'json (one document) or csv (domains.csv, history.csv, served-ids.csv in the --output directory)', 'json')
    .option('--output <path>', 'json: a file (default stdout); csv: a directory, created when missing')
    .option('--batch <domains>', 'domains read per batch', '500')
    .action(async (opts: { history?: boolean; format: string; output?: string; batch: string }) => {
      if (!opts.history) throw new CliError('name what to export: --history');
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new CliError(`--format must be json or csv (got "${opts.format}")`);
      const batch = /^\d{1,5}$/.test(opts.batch) ? Number(opts.batch) : NaN;
      if (!(batch >= 1 && batch <= 10_000)) throw new CliError(`--batch must be a whole number from 1 to 10000 (got "${opts.batch}")`);
      if (opts.format === 'csv' && opts.output === undefined) throw new CliError('--format csv writes three files: name a directory with --output');
      const count = await withRuntime(
        async ({ service }) => {
          const batches = service.overview.historyExport(batch);
          return opts.format === 'json' ? writeJson(batches, opts.output) : writeCsv(batches, opts.output as string);
        },
        { probes: false },
      );
      process.stderr.write(`exported the history of ${count} domain${count === 1 ? '' : 's'}${opts.output ? ` to ${opts.output}` : ''}\n`);
    });
}

async function writeJson(batches: AsyncGenerator<ExportedDomain[]>, output: string | undefined): Promise<number> {
  const file = output === undefined ? null : new OutputFile(output);
  const out = file?.stream ?? process.stdout;
  let count = 0;
  try {
    await put(out, `{"exportedAt":${JSON.stringify(new Date().toISOString())},"domains":[`);
    for await (const domains of batches) {
      for (const d of domains) await put(out, `${count++ === 0 ? '\n' : ',\n'}${JSON.stringify(d)}`);
    }
    await put(out, `\n],"count":${count}}\n`);
    await file?.finish();
    return count;
  } catch (err) {
    file?.discard();
    throw err;
  }
}

async function writeCsv(batches: AsyncGenerator<ExportedDomain[]>, directory: string): Promise<number> {
  mkdirSync(directory, { recursive: true });
  const files = {
    domains: new OutputFile(join(directory, 'domains.csv')),
    history: new OutputFile(join(directory, 'history.csv')),
    servedIds: new OutputFile(join(directory, 'served-ids.csv')),
  };
  const parts = Object.keys(files) as Array<keyof typeof files>;
  let count = 0;
  try {
    for (const part of parts) await put(files[part].stream, row(CSV_HEADERS[part]));
    for await (const domains of batches) {
      for (const d of domains) {
        const rows = csvRows(d);
        for (const part of parts) if (rows[part]) await put(files[part].stream, rows[part]);
        count++;
      }
    }
    for (const part of parts) await files[part].finish();
    return count;
  } catch (err) {
    for (const part of parts) files[part].discard();
    throw err;
  }
}
