import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkRules, importsOf, readSources, report, type SourceFile } from './import-rules';

const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'plugin.json'))) as string;

describe('architecture: the rooms keep their import rules', () => {
  it('holds for every file of src/ and migrations/', () => {
    const files = readSources(ROOT, ['src', 'migrations']);
    assert.ok(files.length > 40, `reads the sources (found ${files.length} files)`);
    assert.ok(
      files.some((f) => f.path === 'src/web/client/tab.mts'),
      'the browser script (.mts) is read too',
    );
    const violations = checkRules(files);
    assert.equal(violations.length, 0, `broken import rules:\n${report(violations)}`);
  });

  describe('the checker, on a small made-up tree', () => {
    const file = (path: string, text: string): SourceFile => ({ path, text });
    const broken = (files: SourceFile[]) => report(checkRules(files));

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
          ].join('\n'),
        ),
      );
      assert.deepEqual(
        imports.map((i) => [i.line, i.target]),
        [
          [1, 'src/store/policy-store'],
          [4, 'src/web/admin'],
          [5, 'src/dns'],
          [6, 'src/web/pages'],
          [7, 'knex'],
          [8, 'node:fs/promises'],
        ],
      );
    });

    it('passes a tree that keeps every rule', () => {
      const files = [
        file('src/policy/parse.ts', "import { problem } from './problems';\nimport type { X } from '../i18n';"),
        file('src/web/api.ts', "import type { MtaStsService } from '../service';\nimport { Router } from 'express';"),
        file('src/dns/resolver.ts', "import * as net from 'node:net';\nimport dnsPacket from 'dns-packet';"),
        file('migrations/1_x.ts', "import type { Knex } from 'knex';"),
        file('src/logger.ts', "export const log = () => console.error('x');"),
        file('src/options.ts', '// the console.log of old is gone\nconst a = 1;'),
      ];
      assert.equal(broken(files), '');
    });

    it('names the file, line and import of each broken rule', () => {
      const cases: Array<[SourceFile, string]> = [
        [file('src/policy/parse.ts', "import { readFileSync } from 'node:fs';"), "src/policy/parse.ts:1 imports 'node:fs': policy/ and tlsrpt/ are pure"],
        [file('src/tlsrpt/record.ts', "\nimport knex from 'knex';"), "src/tlsrpt/record.ts:2 imports 'knex'"],
        [file('src/policy/served.ts', "import { x } from '../service';"), "src/policy/served.ts:1 imports '../service'"],
        [file('src/policy/mx.ts', "import { x } from '../store/columns';"), "src/policy/mx.ts:1 imports '../store/columns'"],
        [file('src/dns/resolver.ts', "import { x } from '../check/run';"), "src/dns/resolver.ts:1 imports '../check/run': dns/ imports nothing"],
        [file('src/dns/transport.ts', "import { x } from '../probes';"), "src/dns/transport.ts:1 imports '../probes'"],
        [file('src/web/api.ts', "import { x } from './admin';"), "src/web/api.ts:1 imports './admin': the routers"],
        [file('src/web/well-known.ts', "export { y } from './api';"), "src/web/well-known.ts:1 imports './api': the routers"],
        [file('src/web/pages.ts', "import type { R } from '../store/policy-store';"), "src/web/pages.ts:1 imports '../store/policy-store': web/ reaches"],
        [file('src/web/tab.ts', "import { r } from '../dns';"), "src/web/tab.ts:1 imports '../dns': web/ reaches"],
        [file('src/i18n/format.ts', "import { e } from '../web/errors';"), "src/i18n/format.ts:1 imports '../web/errors': i18n/"],
        [file('src/check/run.ts', "import { sayText } from '../i18n/text';"), "src/check/run.ts:1 imports '../i18n/text': check/ imports nothing from i18n/"],
        [
          file('src/i18n/check-text.ts', "import type { Verdict } from '../check/verdicts/kit';"),
          "src/i18n/check-text.ts:1 imports '../check/verdicts/kit': i18n/ imports nothing from check/",
        ],
        [
          file('migrations/1_x.ts', "import { COLUMNS } from '../src/store/columns';"),
          "migrations/1_x.ts:1 imports '../src/store/columns': migrations are self-contained",
        ],
        [file('src/service.ts', "const a = 1;\n  console.log('saved');"), "src/service.ts:2 uses 'console.log('saved');': no console"],
      ];
      for (const [source, expected] of cases) {
        const found = broken([source]);
        assert.ok(found.includes(expected), `${source.path}: expected "${expected}", got "${found}"`);
      }
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
