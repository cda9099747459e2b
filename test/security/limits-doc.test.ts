import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// docs/security.md lists every limit on outside input with its number and the constant that holds
// it. This test reads each constant from its source file and fails when the two disagree, so the
// table cannot drift from the code (a limit changed in the code must be changed in the docs too).

const ROOT = join(__dirname, '..', '..', '..');

const UNITS: Record<string, number> = {
  KiB: 1024,
  MiB: 1024 * 1024,
  characters: 1,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  day: 86_400_000,
};

/** `64 KiB` → 65536, `15 min` → 900000 (ms), `1,000` → 1000; seconds for constants named `*_S`. */
function documented(value: string, constant: string): number {
  const m = /^([\d,]+) ?([A-Za-z]+)?$/.exec(value.trim());
  assert.ok(m, `the limit "${value}" of ${constant} is a number with an optional unit`);
  const n = Number(m[1].replaceAll(',', ''));
  const unit = m[2];
  if (unit === undefined) return n;
  assert.ok(unit in UNITS, `unknown unit "${unit}" for ${constant}`);
  const factor = UNITS[unit];
  return constant.endsWith('_S') && unit === 's' ? n : n * factor;
}

/** The expression after `NAME =` (or after `member:` inside `NAME = { ... }`), up to its end. */
function expressionOf(source: string, path: string, name: string): string {
  const [top, member] = name.split('.');
  const decl = new RegExp(`(?:const|let) ${top}(?:: [A-Za-z]+)? = `).exec(source);
  assert.ok(decl, `${path} declares ${top}`);
  let at = decl.index + decl[0].length;
  if (member !== undefined) {
    assert.equal(source[at], '{', `${top} in ${path} is an object literal`);
    const key = new RegExp(`[{,\\s]${member}: `, 'g');
    key.lastIndex = at;
    const found = key.exec(source);
    assert.ok(found, `${top}.${member} in ${path}`);
    at = found.index + found[0].length;
  }
  let end = at;
  while (end < source.length && !',;}\n'.includes(source[end])) end += 1;
  return source.slice(at, end).trim();
}

/** Evaluates `64 * 1024`, `10_000`, `REPORT_COLUMNS.name` or `MAX_PAGE * MAX_LIMIT` from the same file. */
function evaluate(source: string, path: string, name: string, depth = 0): number {
  assert.ok(depth < 5, `${name} in ${path} resolves in a few steps`);
  const expression = expressionOf(source, path, name);
  const resolved = expression.replace(/[A-Z][A-Z0-9_]*(?:\.[a-zA-Z]+)?/g, (ref) => String(evaluate(source, path, ref, depth + 1)));
  assert.match(resolved, /^[\d_ *+]+$/, `${name} in ${path} is sums of products of numbers: ${expression}`);
  const product = (term: string) => term.split('*').reduce((p, factor) => p * Number(factor.trim().replaceAll('_', '')), 1);
  return resolved.split('+').reduce((sum, term) => sum + product(term), 0);
}

describe('docs/security.md: the limits table', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'security.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Limits'));
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('| ') && line.includes('`src/'))
    .map((line) => line.split(' | ').map((cell) => cell.replace(/^\| |\|$/g, '').trim()));

  it('lists the limits, each with a number and the constant that holds it', () => {
    assert.ok(rows.length >= 40, `rows found: ${rows.length}`);
    for (const row of rows) assert.equal(row.length, 3, `three cells: ${row.join(' | ')}`);
  });

  it('gives for every limit the number its constant holds in the code', () => {
    const wrong: string[] = [];
    for (const [what, value, where] of rows) {
      const m = /^`([^`]+)` `([^`]+)`$/.exec(where);
      assert.ok(m, `"${where}" names a file and a constant`);
      const [, path, constant] = m;
      const source = readFileSync(join(ROOT, path), 'utf8');
      const code = evaluate(source, path, constant);
      const docs = documented(value, constant);
      if (code !== docs) wrong.push(`${what}: the docs say ${value} (${docs}), ${path} ${constant} is ${code}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('would notice a number that differs from its constant', () => {
    const source = 'const LIMIT = 64 * 1024;\nconst OBJ = { a: 1, b: LIMIT * 2 };\n';
    assert.equal(evaluate(source, 'x.ts', 'LIMIT'), documented('64 KiB', 'LIMIT'));
    assert.notEqual(evaluate(source, 'x.ts', 'OBJ.b'), documented('64 KiB', 'OBJ.b'));
    assert.equal(evaluate(source, 'x.ts', 'OBJ.b'), documented('128 KiB', 'OBJ.b'));
  });
});
