// The rooms' import rules (README "Rooms"), checked on the import graph of src/ and migrations/.
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
      found.push({ file: file.path, line, specifier, target });
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

/** True when `target` is the module `room` (a file without extension) or lies inside the folder `room`. */
function inside(target: string, room: string): boolean {
  return target === room || target.startsWith(`${room}/`);
}

const IO_MODULES = ['net', 'dgram', 'tls', 'http', 'https', 'fs', 'child_process', 'knex', 'express', 'dns-packet', 'better-sqlite3', 'mysql2'];
const IMPURE_ROOMS = ['src/store', 'src/dns', 'src/probes', 'src/check', 'src/web', 'src/service'];
const ROUTERS = ['src/web/well-known', 'src/web/admin', 'src/web/api'];

interface Rule {
  name: string;
  /** Does the rule apply to this file? */
  applies(file: string): boolean;
  /** Is this import forbidden there? */
  forbids(imp: Import): boolean;
}

const RULES: Rule[] = [
  {
    name: 'policy/ and tlsrpt/ are pure: no I/O module and nothing from store/, dns/, probes/, check/, web/ or service',
    applies: (file) => inside(file, 'src/policy') || inside(file, 'src/tlsrpt'),
    forbids: (imp) => (imp.specifier.startsWith('.') ? IMPURE_ROOMS.some((room) => inside(imp.target, room)) : IO_MODULES.includes(packageOf(imp.specifier))),
  },
  {
    name: 'dns/ imports nothing from check/, probes/ or web/',
    applies: (file) => inside(file, 'src/dns'),
    forbids: (imp) => ['src/check', 'src/probes', 'src/web'].some((room) => inside(imp.target, room)),
  },
  {
    name: 'the routers web/well-known.ts, web/admin.ts and web/api.ts do not import one another',
    applies: (file) => ROUTERS.includes(file.replace(/\.ts$/, '')),
    forbids: (imp) => ROUTERS.includes(imp.target),
  },
  {
    name: 'web/ reaches the store only through src/service/ and imports nothing from store/ or dns/',
    applies: (file) => inside(file, 'src/web'),
    forbids: (imp) => inside(imp.target, 'src/store') || inside(imp.target, 'src/dns'),
  },
  {
    name: 'server/ (the standalone server) uses the plugin as a host does: nothing from store/ or dns/',
    applies: (file) => inside(file, 'src/server'),
    forbids: (imp) => inside(imp.target, 'src/store') || inside(imp.target, 'src/dns'),
  },
  {
    name: 'check/ imports nothing from i18n/: its verdicts are codes, facts and Text (src/text), said by the edge (src/render)',
    applies: (file) => inside(file, 'src/check'),
    forbids: (imp) => inside(imp.target, 'src/i18n'),
  },
  {
    name: 'i18n/ imports nothing from check/',
    applies: (file) => inside(file, 'src/i18n'),
    forbids: (imp) => inside(imp.target, 'src/check'),
  },
  {
    name: 'i18n/ imports nothing from web/',
    applies: (file) => inside(file, 'src/i18n'),
    forbids: (imp) => inside(imp.target, 'src/web'),
  },
  {
    name: 'migrations are self-contained: nothing from src/',
    applies: (file) => inside(file, 'migrations'),
    forbids: (imp) => inside(imp.target, 'src'),
  },
];

/** The logger is the one place that may write to the console. */
const CONSOLE_ALLOWED = ['src/logger.ts'];
const CONSOLE = /\bconsole\s*\.\s*[A-Za-z]/;

/** Every broken rule in these files, each naming the file, the line and the import. */
export function checkRules(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    for (const imp of importsOf(file)) {
      for (const rule of RULES) {
        if (rule.applies(file.path) && rule.forbids(imp)) violations.push({ file: file.path, line: imp.line, specifier: imp.specifier, rule: rule.name });
      }
    }
    if (file.path.startsWith('src/') && !CONSOLE_ALLOWED.includes(file.path)) {
      file.text.split('\n').forEach((text, index) => {
        const code = text.trim();
        // Comments may talk about the console; code may not use it.
        if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
        if (CONSOLE.test(code))
          violations.push({ file: file.path, line: index + 1, specifier: code, rule: 'no console.* in src/: log through the logger (src/logger.ts)' });
      });
    }
  }
  return violations;
}

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
