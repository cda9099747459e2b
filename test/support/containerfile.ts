// A Containerfile read as a builder reads it: comments dropped, continued lines joined, one
// instruction per entry, grouped by FROM into stages. Enough for the deploy tests, not a full parser.
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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

/** What a replay left: how to start its CMD, and its HEALTHCHECK command. */
export interface Replayed {
  /** The CMD, its absolute paths mapped into the replay (`node` stays `node`). */
  cmd: string[];
  cwd: string;
  env: Record<string, string>;
  healthcheck: string | null;
  user: string | null;
}

/** Parts of a RUN a replay on this machine leaves out, with why. */
const SKIPPED: Array<[RegExp, string]> = [
  [/^apt-get\b/, 'the base image has its system packages; this machine has them already'],
  [/^rm -rf \/var\/lib\/apt\/lists/, 'same'],
  [/^chown\b/, 'the image has a `node` user, this machine may not: USER is checked apart'],
  [/^npm cache clean\b/, "this machine's npm cache is shared with other work"],
];

/**
 * Does what the stages' WORKDIR, ENV, COPY and RUN say, in order, each stage in its own directory
 * under `dir` standing for its root file system (absolute paths in RUN and CMD mapped into it);
 * COPY without --from reads `context`. `runEnv` is added to every RUN (npm settings of the test).
 */
export async function replayContainerfile(
  stages: Stage[],
  context: string,
  dir: string,
  runEnv: NodeJS.ProcessEnv,
  exec: (script: string, cwd: string, env: NodeJS.ProcessEnv) => Promise<unknown>,
): Promise<Replayed> {
  const roots = new Map<string, string>();
  let result: Replayed | null = null;
  for (const [index, stage] of stages.entries()) {
    const root = join(dir, `stage-${index}`);
    roots.set(stage.name ?? String(index), root);
    const inRoot = (path: string) => join(root, path);
    const mapPaths = (text: string) => text.replace(/(^|[\s="'(])(\/[\w.*/-]*)/g, (_m, lead: string, path: string) => lead + inRoot(path));
    let cwd = inRoot('/');
    const env: Record<string, string> = {};
    let user: string | null = null;
    let healthcheck: string | null = null;
    let cmd: string[] = [];
    mkdirSync(cwd, { recursive: true });
    for (const { op, rest } of stage.instructions) {
      if (op === 'WORKDIR') {
        cwd = inRoot(rest);
        mkdirSync(cwd, { recursive: true });
      } else if (op === 'ENV') {
        for (const [, key, value] of rest.matchAll(/(\w+)=(\S+)/g)) env[key] = value;
      } else if (op === 'COPY') {
        const { from, sources, dest } = copyParts(rest);
        const base = from === null ? context : roots.get(from);
        if (base === undefined) throw new Error(`COPY --from=${from}: no such stage before it`);
        const target = dest.startsWith('/') ? inRoot(dest) : join(cwd, dest);
        for (const source of sources) {
          const path = join(base, source);
          if (!existsSync(path)) throw new Error(`COPY ${rest}: ${source} does not exist in ${from === null ? 'the context' : `stage ${from}`}`);
          const intoDir = dest.endsWith('/') || sources.length > 1 || statSync(path).isDirectory();
          if (intoDir) mkdirSync(target, { recursive: true });
          else mkdirSync(dirname(target), { recursive: true });
          cpSync(path, intoDir && !statSync(path).isDirectory() ? join(target, basename(source)) : target, { recursive: true });
        }
      } else if (op === 'RUN') {
        const parts = rest.split(/\s+&&\s+/).filter((part) => !SKIPPED.some(([pattern]) => pattern.test(part)));
        if (parts.length > 0) await exec(mapPaths(parts.join(' && ')), cwd, { ...runEnv, ...env });
      } else if (op === 'USER') {
        user = rest;
      } else if (op === 'HEALTHCHECK') {
        healthcheck = /\bCMD\s+(.*)$/.exec(rest)?.[1] ?? null;
      } else if (op === 'CMD') {
        cmd = (JSON.parse(rest) as string[]).map((arg) => (arg.startsWith('/') ? inRoot(arg) : arg));
      }
    }
    result = { cmd, cwd, env, healthcheck, user };
  }
  if (result === null) throw new Error('no stage');
  return result;
}
