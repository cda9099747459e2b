import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRules, importsOf, readRules, readSources, report, type SourceFile } from '../support/import-rules';

const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'plugin.json'))) as string;
const RULES = readRules(readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8'));

describe('architecture: the rooms keep their import rules (docs/architecture.md)', () => {
  it('reads every rule from docs/architecture.md, and every room of src/ has its row', () => {
    const rooms = RULES.rows.flatMap((r) => r.rooms);
    for (const room of ['index', 'service', 'policy', 'store', 'dns', 'check', 'i18n', 'web', 'commands', 'cli', 'options', 'server', 'migrations', 'logger']) {
      assert.ok(rooms.includes(room), `a row for ${room} (rows for ${rooms.join(', ')})`);
    }
    assert.deepEqual(new Set(rooms).size, rooms.length, 'each room in one row');
    assert.deepEqual(
      RULES.rows.filter((r) => r.pure).flatMap((r) => r.rooms),
      ['policy', 'reports'],
    );
    assert.ok(RULES.io.includes('knex') && RULES.io.includes('net'), `the I/O modules (${RULES.io.join(', ')})`);
    assert.deepEqual(RULES.routers, ['web/well-known', 'web/admin', 'web/api']);
    assert.deepEqual(RULES.console, ['src/logger.ts']);
    const missing = readdirSync(join(ROOT, 'src'))
      .map((name) => name.replace(/\.m?ts$/, ''))
      .filter((room) => !rooms.includes(room));
    assert.deepEqual(missing, [], 'every folder and file of src/ is in a row of the table');
  });

  it('holds for every file of src/ and migrations/', () => {
    const files = readSources(ROOT, ['src', 'migrations']);
    assert.ok(files.length > 40, `reads the sources (found ${files.length} files)`);
    assert.ok(
      files.some((f) => f.path === 'src/web/client/tab.mts'),
      'the browser script (.mts) is read too',
    );
    const violations = checkRules(files, RULES);
    assert.equal(violations.length, 0, `broken import rules:\n${report(violations)}`);
  });

  it('keeps test helpers in test/support/: every other file under test/ is a *.test.ts', () => {
    const helpers = RULES.helpers;
    assert.deepEqual(helpers, ['test/support/']);
    const stray = readSources(ROOT, ['test'])
      .map((f) => f.path)
      .filter((path) => !helpers.some((folder) => path.startsWith(folder)) && !path.endsWith('.test.ts'));
    assert.deepEqual(stray, [], 'move these helpers to test/support/ (or name the test *.test.ts)');
  });

  describe('the checker, on a small made-up tree', () => {
    const file = (path: string, text: string): SourceFile => ({ path, text });
    const broken = (files: SourceFile[]) => report(checkRules(files, RULES));

    it('reads static, type-only, multi-line, re-export, side-effect and call imports, resolving relative ones', () => {
      const imports = importsOf(
        file(
          'src/web/api.ts',
          [
            "import type { A } from '../store/policy-store';",
            'import {',
            '  b,',
            "} from './admin';",
            "export * from '../dns/index';",
            "import './pages';",
            "const x = require('knex');",
            "import { s } from 'node:fs/promises';",
            "import { type C, type D } from '../check';",
            "import { type E, f } from '../check';",
          ].join('\n'),
        ),
      );
      assert.deepEqual(
        imports.map((i) => [i.line, i.target, i.typeOnly]),
        [
          [1, 'src/store/policy-store', true],
          [4, 'src/web/admin', false],
          [5, 'src/dns', false],
          [6, 'src/web/pages', false],
          [7, 'knex', false],
          [8, 'node:fs/promises', false],
          [9, 'src/check', true],
          [10, 'src/check', false],
        ],
      );
    });

    it('passes a tree that keeps every rule', () => {
      const files = [
        file(
          'src/policy/parse.ts',
          "import { problem } from './problems';\nimport { format } from '../i18n/format';\nimport { normalizeHost } from '../names';",
        ),
        file('src/web/api.ts', "import type { MtaStsService } from '../service';\nimport { Router } from 'express';\nimport type { Check } from '../check';"),
        file('src/dns/resolver.ts', "import * as net from 'node:net';\nimport dnsPacket from 'dns-packet';\nimport { normalizeHost } from '../names';"),
        file('src/acme/manager.ts', "import { CertificateStore } from '../store/certificate-store';"),
        file('src/server/app.ts', "import { createMtaSts } from '..';\nimport { rateLimit } from '../web/rate-limit';"),
        file('migrations/1_x.ts', "import type { Knex } from 'knex';"),
        file('src/logger.ts', "export const log = () => console.error('x');"),
        file('src/options.ts', '// the console.log of old is gone\nconst a = 1;'),
      ];
      assert.equal(broken(files), '');
    });

    it('names the file, line and import of each broken rule', () => {
      const cases: Array<[SourceFile, string]> = [
        [file('src/policy/parse.ts', "import { readFileSync } from 'node:fs';"), "src/policy/parse.ts:1 imports 'node:fs': policy has no I/O"],
        [file('src/reports/record.ts', "\nimport knex from 'knex';"), "src/reports/record.ts:2 imports 'knex': reports has no I/O"],
        [file('src/policy/served.ts', "import { x } from '../service';"), "src/policy/served.ts:1 imports '../service': policy may import only `i18n/format`"],
        [file('src/policy/mx.ts', "import { x } from '../i18n';"), "src/policy/mx.ts:1 imports '../i18n': policy may import only"],
        [
          file('src/dns/resolver.ts', "import { normalizeHost } from '../policy/hostname';"),
          "src/dns/resolver.ts:1 imports '../policy/hostname': dns may import only nothing of ours",
        ],
        [file('src/dns/transport.ts', "import { x } from '../probes';"), "src/dns/transport.ts:1 imports '../probes': dns may import only"],
        [file('src/web/api.ts', "import { x } from './admin';"), "src/web/api.ts:1 imports './admin': the routers"],
        [file('src/web/well-known.ts', "export { y } from './api';"), "src/web/well-known.ts:1 imports './api': the routers"],
        [
          file('src/web/pages.ts', "import type { R } from '../store/policy-store';"),
          "src/web/pages.ts:1 imports '../store/policy-store': web may import only",
        ],
        [file('src/web/tab.ts', "import { r } from '../dns';"), "src/web/tab.ts:1 imports '../dns': web may import only"],
        [file('src/web/tab.ts', "import { runDnsCheck } from '../check';"), "src/web/tab.ts:1 imports '../check': web may import only `service`"],
        [file('src/i18n/format.ts', "import { e } from '../web/errors';"), "src/i18n/format.ts:1 imports '../web/errors': i18n may import only"],
        [
          file('src/i18n/check-text.ts', "import type { Verdict } from '../check/verdicts/kit';"),
          "src/i18n/check-text.ts:1 imports '../check/verdicts/kit': i18n may import only",
        ],
        [file('src/check/run.ts', "import { sayCheck } from '../i18n/check-text';"), "src/check/run.ts:1 imports '../i18n/check-text': check may import only"],
        [
          file('src/options.ts', "import { DEFAULT_DB_TIMEOUT_MS } from './store/bounded';"),
          "src/options.ts:1 imports './store/bounded': options may import only",
        ],
        [
          file('src/commands/imports.ts', "import { readMailcowPolicies } from '../store/mailcow';"),
          "src/commands/imports.ts:1 imports '../store/mailcow': commands may import only",
        ],
        [
          file('src/acme/manager.ts', "import { PolicyStore } from '../store/policy-store';"),
          "src/acme/manager.ts:1 imports '../store/policy-store': acme may import only",
        ],
        [
          file('src/server/app.ts', "import { PolicyStore } from '../store/policy-store';"),
          "src/server/app.ts:1 imports '../store/policy-store': server may import only",
        ],
        [
          file('src/newroom/x.ts', "import { a } from '../policy';"),
          "src/newroom/x.ts:1 imports '../policy': the room newroom has no row in docs/architecture.md",
        ],
        [
          file('migrations/1_x.ts', "import { COLUMNS } from '../src/store/columns';"),
          "migrations/1_x.ts:1 imports '../src/store/columns': migrations may import only nothing of ours",
        ],
        [file('src/service.ts', "const a = 1;\n  console.log('saved');"), "src/service.ts:2 uses 'console.log('saved');': no console"],
      ];
      for (const [source, expected] of cases) {
        const found = broken([source]);
        assert.ok(found.includes(expected), `${source.path}: expected "${expected}", got "${found}"`);
      }
    });

    it('refuses a may-import column it cannot read, so that prose never becomes a rule', () => {
      const table = (column: string) =>
        `| folder | what | may import |\n|---|---|---|\n| \`src/web/\` | x | ${column} |\n- **no I/O**: \`net\`\n- **routers apart**: \`web/api.ts\`\n- **console**: \`src/logger.ts\`\n- **tests**: \`test/support/\`\n`;
      assert.deepEqual(readRules(table('`service`, `check` types')).rows[0].allowed, [
        { name: 'service', typesOnly: false },
        { name: 'check', typesOnly: true },
      ]);
      assert.throws(() => readRules(table('`service` (never `store`)')), /cannot read/);
    });

    it('lets the routers share the rest of web/ and web/ use the service', () => {
      const files = [
        file('src/web/admin.ts', "import { pages } from './pages';\nimport { csrf } from './csrf';\nimport type { S } from '../service';"),
        file('src/web/well-known.ts', "import { POLICY_PATH } from '../policy';"),
      ];
      assert.equal(broken(files), '');
    });
  });
});
