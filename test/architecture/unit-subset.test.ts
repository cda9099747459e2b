import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { importsOf, readSources, type SourceFile } from '../support/import-rules';

// `npm run test:unit` (.mocharc.unit.json) promises tests that need neither a database server
// nor a browser. This guard reads the same config and fails when a spec file it selects, or a
// test helper that file imports, reaches for MariaDB/PostgreSQL or a browser.
const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'plugin.json'))) as string;

const NEEDS_SERVER: Array<[RegExp, string]> = [
  [/['"]mariadb['"]/, 'a MariaDB test database'],
  [/\bDB_KINDS\b/, 'every database kind, MariaDB included'],
  [/TEST_MYSQL_URL|port:\s*3306\b/, 'the MariaDB server'],
  [/\bpostgres(?:ql)?:\/\/|port:\s*5432\b/, 'the PostgreSQL server'],
  [/support\/mariadb/, 'the MariaDB helpers'],
  [/playwright|chromium|support\/browser/i, 'a browser'],
  [/support\/dovecot/, 'a Dovecot IMAP server'],
];
/** The database factory names both kinds (what matters is which one a test asks it for); this guard names them all. */
const NEUTRAL = ['test/support/db.ts', 'test/architecture/unit-subset.test.ts'];

/** The test sources a mocha spec of .mocharc.unit.json selects (only the shapes used there). */
function selected(spec: string, tests: readonly string[]): string[] {
  const tree = /^dist\/(test\/[\w/-]+?)\/\*\*\/\*\.test\.js$/.exec(spec);
  if (tree) return tests.filter((t) => t.startsWith(`${tree[1]}/`));
  const one = /^dist\/(test\/[\w/.-]+\.test)\.js$/.exec(spec);
  if (one) return tests.filter((t) => t === `${one[1]}.ts`);
  throw new Error(`unit-subset guard: cannot read the spec "${spec}"; use dist/test/<folder>/**/*.test.js or dist/test/<file>.test.js`);
}

/** Why a test file (or a helper it imports, followed through test/) needs a server; null when it does not. */
function needsServer(start: string, sources: ReadonlyMap<string, SourceFile>): string | null {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const path = queue.shift() as string;
    if (seen.has(path) || NEUTRAL.includes(path)) continue;
    seen.add(path);
    const file = sources.get(path);
    if (!file) continue;
    for (const [pattern, what] of NEEDS_SERVER) {
      if (pattern.test(file.text)) return `${path} uses ${what} (${pattern.source})${path === start ? '' : `, imported by ${start}`}`;
    }
    for (const imp of importsOf(file)) if (imp.target.startsWith('test/')) queue.push(`${imp.target}.ts`);
  }
  return null;
}

describe('architecture: npm run test:unit needs no database server and no browser', () => {
  const config = JSON.parse(readFileSync(join(ROOT, '.mocharc.unit.json'), 'utf8')) as { spec: string[]; ignore?: string[] };
  const sources = new Map(readSources(ROOT, ['test']).map((f) => [f.path, f]));
  const tests = [...sources.keys()].filter((p) => p.endsWith('.test.ts'));
  // "ignore" holds exact paths or a `*` within one name (dist/test/security/fuzz-*.test.js).
  const ignored = (config.ignore ?? []).map((p) => {
    const source = posix
      .normalize(p)
      .replace(/^dist\//, '')
      .replace(/\.js$/, '.ts');
    return new RegExp(
      `^${source
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*')}$`,
    );
  });
  const unit = [...new Set(config.spec.flatMap((spec) => selected(spec, tests)))].filter((t) => !ignored.some((pattern) => pattern.test(t)));

  it('selects the pure and SQLite tests, this guard among them', () => {
    assert.ok(unit.includes('test/architecture/unit-subset.test.ts'), 'the guard runs with the subset it guards');
    assert.ok(unit.includes('test/policy/parse.test.ts') && unit.includes('test/web/api.test.ts'), `selects the unit tests (got ${unit.join(', ')})`);
    assert.ok(!unit.includes('test/security/fuzz-dns.test.ts'), 'leaves the fuzz tests to npm test (they take most of the time)');
  });

  it('selects no test that uses MariaDB, PostgreSQL or a browser, directly or through a helper', () => {
    const offenders = unit.map((t) => needsServer(t, sources)).filter((why): why is string => why !== null);
    assert.deepEqual(offenders, [], 'move these out of .mocharc.unit.json (or add them to its "ignore")');
  });

  it('would notice one: the MariaDB and browser tests are caught', () => {
    for (const test of [
      'test/web/server-databases.test.ts',
      'test/store/policy-store.test.ts',
      'test/browser/tab.test.ts',
      'test/reliability/concurrency.test.ts',
    ]) {
      assert.ok(sources.has(test), `${test} exists`);
      assert.notEqual(needsServer(test, sources), null, `${test} is recognised as needing a server`);
      assert.ok(!unit.includes(test), `${test} is not in the unit subset`);
    }
  });
});
