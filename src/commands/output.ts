// How commands speak: results on stdout (a table for people, JSON with --json), everything else
// on stderr, and the documented exit codes.
import { ConfigError } from '../config/errors';
import { isDatabaseUnavailable } from '../service';

/** 0 ok, 1 problems found (a DNS Check error, an invalid import), 2 usage or connection error. */
export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/** A failure the command explains in one sentence, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

/** One line for any failure: the message people can act on, and the exit code it deserves. */
export function explain(err: unknown): { message: string; exitCode: number } {
  const code = (err as { code?: unknown } | null)?.code;
  // Commander has printed its own message (usage, help, version) already.
  if (typeof code === 'string' && code.startsWith('commander.')) {
    return { message: '', exitCode: code === 'commander.helpDisplayed' || code === 'commander.version' ? EXIT.ok : EXIT.usage };
  }
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, exitCode: EXIT.usage };
  if (isDatabaseUnavailable(err)) return { message: `the database cannot be reached (${firstLine(err)})`, exitCode: EXIT.usage };
  return { message: firstLine(err), exitCode: EXIT.usage };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
