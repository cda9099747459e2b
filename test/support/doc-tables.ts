import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The tables of docs/ that mirror code, read as a reader sees them: the table whose header row is
// given, one array of cells per row. A test compares them with what the code declares.

/** The rows (cells trimmed) of the table in `file` (under `root`) whose header row begins with `header`. */
export function tableRows(root: string, file: string, header: string): string[][] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(header));
  assert.ok(start >= 0, `${file} has a table headed "${header}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  assert.ok(rows.length > 0, `the table "${header}" of ${file} has rows`);
  return rows;
}

/** The cells of one table row; `\|` inside a cell is text, not a border. */
function cells(line: string): string[] {
  return line
    .slice(1, line.endsWith('|') ? -1 : undefined)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** The code spans of a cell: `` `--port` `` → `--port`. */
export function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

/** The member names an `export interface Name { ... }` of a source declares at its top level. */
export function interfaceMembers(source: string, name: string): string[] {
  const found = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(source);
  assert.ok(found, `the source declares ${name}`);
  return [...found[1].matchAll(/^ {2}(?:readonly )?(\w+)\??[(:<]/gm)].map((m) => m[1]);
}

/** Sorted, without repeats: lists compared as sets, with a readable difference when they differ. */
export function names(list: Iterable<string>): string[] {
  return [...new Set(list)].sort();
}
