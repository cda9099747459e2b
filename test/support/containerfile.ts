// A Containerfile read as a builder reads it: comments dropped, continued lines joined, one
// instruction per entry, grouped by FROM into stages. Enough for the deploy tests, not a full parser.
import { readFileSync } from 'node:fs';

export interface Instruction {
  op: string;
  /** The rest of the line, as written (continuations joined with a space). */
  rest: string;
}

export interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

export function parseContainerfile(file: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1).trim() + ' ';
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, rest] = /^(\S+)\s*(.*)$/.exec(line) as RegExpExecArray;
    if (op.toUpperCase() === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) as RegExpExecArray;
      stages.push({ from, name: name ?? null, instructions: [] });
    } else if (stages.length === 0) {
      throw new Error(`${file}: ${op} before the first FROM`);
    } else {
      stages[stages.length - 1].instructions.push({ op: op.toUpperCase(), rest });
    }
  }
  return stages;
}

/** A COPY's parts: `--from=stage` if any, the sources, the destination. */
export function copyParts(rest: string): { from: string | null; sources: string[]; dest: string } {
  const words = rest.split(/\s+/);
  let from: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() as string;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const dest = words.pop() as string;
  return { from, sources: words, dest };
}
