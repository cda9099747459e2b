// The rooms' import rules, read from docs/architecture.md (the one place they are written) and
// checked on the import graph of src/ and migrations/.
// A regex-level reader of `import ... from`, `export ... from`, side-effect imports and
// import()/require() calls: enough for this code base, whose imports are all static and at the
// start of a line, and with no compiler API to ask (TypeScript 7 has none).
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

export interface SourceFile {
  /** Repository-relative path with forward slashes, e.g. `src/web/api.ts`. */
  path: string;
  text: string;
}

export interface Import {
  file: string;
  line: number;
  /** The specifier as written: `../store/policy-store`, `node:net`, `knex`. */
  specifier: string;
  /** Repository-relative path without extension for a relative import (`src/store/policy-store`), else the specifier. */
  target: string;
  /** `import type`, `export type`, or every name marked `type`: gone from the compiled code. */
  typeOnly: boolean;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  rule: string;
}

const STATIC = /^[ \t]*(?:import|export)\b[^;()=]*?\bfrom\s*['"]([^'"\n]+)['"]/gm;
const SIDE_EFFECT = /^[ \t]*import\s*['"]([^'"\n]+)['"]/gm;
const CALL = /\b(?:import|require)\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** True for `import type ...`, `export type ...` and `import { type A, type B } ...`. */
function isTypeOnly(statement: string): boolean {
  if (/^\s*(?:import|export)\s+type\b/.test(statement)) return true;
  const names = /\{([^}]*)\}/.exec(statement)?.[1];
  if (names === undefined || /^\s*import\s+\w/.test(statement.replace(/^\s*import\s+type\b/, ''))) return false;
  const parts = names
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return parts.length > 0 && parts.every((n) => n.startsWith('type '));
}

/** Every import of one file, with relative specifiers resolved to repository paths. */
export function importsOf(file: SourceFile): Import[] {
  const found: Import[] = [];
  for (const pattern of [STATIC, SIDE_EFFECT, CALL]) {
    for (const match of file.text.matchAll(pattern)) {
      const specifier = match[1];
      const offset = (match.index ?? 0) + match[0].lastIndexOf(specifier);
      const line = file.text.slice(0, offset).split('\n').length;
      const target = specifier.startsWith('.')
        ? posix
            .join(posix.dirname(file.path), specifier)
            .replace(/\.(?:[cm]?js|[cm]?ts)$/, '')
            .replace(/\/index$/, '')
        : specifier;
      found.push({ file: file.path, line, specifier, target, typeOnly: pattern === STATIC && isTypeOnly(match[0]) });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/** A module outside the project: `node:fs/promises` → `fs`, `@scope/pkg/x` → `@scope/pkg`. */
function packageOf(specifier: string): string {
  const bare = specifier.replace(/^node:/, '');
  const parts = bare.split('/');
  return bare.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** One row of the rooms table: its rooms, and what the last column allows them to import. */
export interface RoomRow {
  /** The rooms of the first column: `service`, `cli`, `index`, `migrations`. */
  rooms: string[];
  /** The last column as written, for messages. */
  column: string;
  everything: boolean;
  /** Rooms or modules (`store/certificate-store`), each with or without `types`. */
  allowed: Array<{ name: string; typesOnly: boolean }>;
  /** `no I/O`: none of the I/O modules. */
  pure: boolean;
  /** The shared modules' row: every room may import them. */
  shared: boolean;
}

export interface Rules {
  rows: RoomRow[];
  /** The I/O modules a `no I/O` room may not import. */
  io: string[];
  /** The routers of web/ that do not import one another (`web/api`). */
  routers: string[];
  /** The one file that may write to the console (`src/logger.ts`). */
  console: string[];
  /** The folder test helpers live in (`test/support/`). */
  helpers: string[];
}

/** `src/web/api.ts` → `web/api`, `src` → `index`, `migrations/x` as is: how the table names a module. */
function moduleOf(path: string): string {
  const bare = path.replace(/\.m?ts$/, '').replace(/\/$/, '');
  if (bare === 'src') return 'index';
  return bare.startsWith('src/') ? bare.slice(4) : bare;
}

/** The room of a module: its first segment (`web/api` → `web`). */
function roomOf(module: string): string {
  return module.split('/')[0];
}

const backticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

/** The column `may import` of one row; throws on anything it cannot read, so prose cannot slip into a rule. */
function readColumn(column: string): Pick<RoomRow, 'everything' | 'allowed' | 'pure'> {
  let rest = column.trim();
  const pure = /;\s*no I\/O$/.test(rest);
  rest = rest.replace(/;\s*no I\/O$/, '').trim();
  if (rest === 'everything') return { everything: true, allowed: [], pure };
  if (rest === 'nothing of ours') return { everything: false, allowed: [], pure };
  const allowed = rest.split(/,\s*/).map((item) => {
    const found = /^`([a-z0-9/-]+)`( types)?$/.exec(item.trim());
    if (!found) throw new Error(`docs/architecture.md: cannot read "${item}" in the may-import column "${column}"`);
    return { name: found[1], typesOnly: found[2] !== undefined };
  });
  return { everything: false, allowed, pure };
}

/** The rules as docs/architecture.md writes them: the rooms table and the list of other rules. */
export function readRules(markdown: string): Rules {
  const rows: RoomRow[] = [];
  for (const line of markdown.split('\n')) {
    const cells = /^\|(.*)\|$/.exec(line.trim())?.[1].split(' | ');
    if (!cells || cells.length !== 3) continue;
    const paths = backticked(cells[0]).filter((p) => p.startsWith('src/') || p.startsWith('migrations/'));
    if (paths.length === 0) continue;
    rows.push({
      rooms: [...new Set(paths.map((p) => roomOf(moduleOf(p))))],
      column: cells[2].trim(),
      shared: cells[1].trim().startsWith('**Shared**'),
      ...readColumn(cells[2]),
    });
  }
  const rule = (label: string): string[] => {
    const line = markdown.split('\n').find((l) => l.startsWith(`- **${label}**:`));
    if (!line) throw new Error(`docs/architecture.md: no rule "- **${label}**:"`);
    return backticked(line);
  };
  return {
    rows,
    io: rule('no I/O').filter((name) => name !== 'no I/O'),
    routers: rule('routers apart').map(moduleOf),
    console: rule('console').filter((p) => p.endsWith('.ts')),
    helpers: rule('tests').filter((p) => p.endsWith('/')),
  };
}

/** Every broken rule in these files, each naming the file, the line and the import. */
export function checkRules(files: readonly SourceFile[], rules: Rules): Violation[] {
  const violations: Violation[] = [];
  const shared = new Set(rules.rows.filter((r) => r.shared).flatMap((r) => r.rooms));
  for (const file of files) {
    const own = roomOf(moduleOf(file.path));
    const row = rules.rows.find((r) => r.rooms.includes(own));
    const self = moduleOf(file.path);
    for (const imp of importsOf(file)) {
      const broke = (rule: string) => violations.push({ file: file.path, line: imp.line, specifier: imp.specifier, rule });
      if (!row) {
        broke(`the room ${own} has no row in docs/architecture.md`);
        continue;
      }
      if (!imp.specifier.startsWith('.')) {
        if (row.pure && rules.io.includes(packageOf(imp.specifier))) broke(`${own} has no I/O: none of ${rules.io.join(', ')}`);
        continue;
      }
      const target = moduleOf(imp.target);
      if (rules.routers.includes(self) && rules.routers.includes(target)) broke(`the routers ${rules.routers.join(', ')} do not import one another`);
      const room = roomOf(target);
      if (row.everything || row.rooms.includes(room) || shared.has(room)) continue;
      const allowed = row.allowed.find((a) => target === a.name || target.startsWith(`${a.name}/`));
      if (allowed && (!allowed.typesOnly || imp.typeOnly)) continue;
      broke(`${own} may import only ${row.column}${allowed ? ' (this one as types only)' : ''}`);
    }
    if (file.path.startsWith('src/') && !rules.console.includes(file.path)) {
      file.text.split('\n').forEach((text, index) => {
        const code = text.trim();
        // Comments may talk about the console; code may not use it.
        if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
        if (CONSOLE.test(code))
          violations.push({ file: file.path, line: index + 1, specifier: code, rule: `no console.* in src/: log through ${rules.console.join(', ')}` });
      });
    }
  }
  return violations;
}

const CONSOLE = /\bconsole\s*\.\s*[A-Za-z]/;

/** One line per violation: `src/web/api.ts:3 imports '../store/policy-store': <rule>`. */
export function report(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.file}:${v.line} ${v.rule.startsWith('no console') ? 'uses' : 'imports'} '${v.specifier}': ${v.rule}`).join('\n');
}

/** The .ts and .mts files under these repository folders. */
export function readSources(root: string, folders: readonly string[]): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push({ path, text: readFileSync(join(root, path), 'utf8') });
    }
  };
  folders.forEach(walk);
  return files;
}
