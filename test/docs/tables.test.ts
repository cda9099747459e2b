import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory from 'knex';
import { createMtaSts } from '../../src';
import { CHECK_CODES, CHECK_NAMES } from '../../src/check/verdicts/codes';
import { PUBLISH_SECRETS, PUBLISH_SOURCES } from '../../src/config/publish-settings';
import { SERVER_SOURCES, SOURCES } from '../../src/config/setting-sources';
import { CONDITIONS } from '../../src/scheduler/conditions';
import { codeSpans, interfaceMembers, names, tableRows } from '../support/doc-tables';

// The reference tables of docs/ that mirror code: the options, the members of createMtaSts's
// result, the DNS Check's checks and codes, the alert conditions, the commands and the standalone
// server's settings with their environment variables. Each is compared with what the code
// declares, so a name added, renamed or dropped in one place fails here until the other follows.

const ROOT = join(__dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

describe('docs: the tables that mirror code name what the code declares', () => {
  it('docs/options.md "Options": every option of plugin.json (which test/web/manifest ties to src/options), no other', () => {
    const manifest = JSON.parse(read('plugin.json')) as { options: { required: string[]; optional: string[] } };
    const documented = tableRows(ROOT, 'docs/options.md', '| option |').map((row) => codeSpans(row[0])[0].split(/[.(]/)[0]);
    assert.deepEqual(names(documented), names([...manifest.options.required, ...manifest.options.optional]));
  });

  it('docs/options.md "What createMtaSts returns": every member of the MtaSts interface, no other', () => {
    const documented = tableRows(ROOT, 'docs/options.md', '| member |').flatMap((row) => codeSpans(row[0]).map((span) => /^\w+/.exec(span)?.[0] ?? span));
    assert.deepEqual(names(documented), names(interfaceMembers(read('src/index.ts'), 'MtaSts')));
  });

  it('docs/dns-check.md: one row per check of CHECK_NAMES, and every code it names is in CHECK_CODES', () => {
    const rows = tableRows(ROOT, 'docs/dns-check.md', '| name | what it checks |');
    assert.deepEqual(names(rows.map((row) => codeSpans(row[0])[0])), names(CHECK_NAMES));
    const text = read('docs/dns-check.md');
    const codes = codeSpans(text).filter((span) => CHECK_NAMES.some((name) => span.startsWith(`${name}.`)) && !span.endsWith('.*'));
    assert.ok(codes.length > 5, 'the page names codes');
    const known = new Set<string>(CHECK_CODES);
    assert.deepEqual(
      codes.filter((code) => !known.has(code)),
      [],
      'codes named in docs/dns-check.md but not in CHECK_CODES',
    );
  });

  it('docs/dns-check.md "Scheduled checks and alerts": one row per alert condition, no other', () => {
    const rows = tableRows(ROOT, 'docs/dns-check.md', '| condition |');
    assert.deepEqual(names(rows.map((row) => codeSpans(row[0])[0])), names(CONDITIONS));
  });

  it('docs/cli.md: one row for every command and subcommand the program declares', () => {
    const documented = tableRows(ROOT, 'docs/cli.md', '| command |').flatMap((row) =>
      codeSpans(row[0]).flatMap((span) => {
        const words: string[] = [];
        for (const word of span.split(' ')) {
          if (/^[<[(-]/.test(word)) break;
          words.push(...word.split('\\|'));
        }
        return words;
      }),
    );
    const sources = readdirSync(join(ROOT, 'src/commands'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => read(`src/commands/${f}`))
      .join('\n');
    const declared = [...sources.matchAll(/\.command\('([\w-]+)/g)].map((m) => m[1]);
    assert.ok(declared.length > 10, 'read the commands from src/commands/');
    assert.deepEqual(names(documented), names(declared));
  });

  it("docs/cli.md: every command's setting with its flag and its environment variable", () => {
    const text = read('docs/cli.md');
    for (const [setting, env] of Object.entries(SOURCES)) {
      assert.ok(text.includes(`\`--${kebab(setting)}\``), `docs/cli.md names --${kebab(setting)}`);
      assert.ok(text.includes(`\`${env}\``), `docs/cli.md names ${env}`);
    }
  });

  it('docs/publishing.md "Settings": every setting of `publish` beside its flag, and its two keys', () => {
    const rows = tableRows(ROOT, 'docs/publishing.md', '| flag | environment | what it is |');
    const pairs = rows.map((row) => [codeSpans(row[0])[0] ?? null, codeSpans(row[1])[0]]);
    const expected = [
      ...Object.entries(PUBLISH_SOURCES).map(([setting, env]) => [`--${kebab(setting)}`, env]),
      ...Object.values(PUBLISH_SECRETS).map((env) => [null, env]),
    ];
    assert.deepEqual(pairs, expected);
  });

  it('docs/server.md "Settings": every environment variable of the server, each beside its own flag', () => {
    const rows = tableRows(ROOT, 'docs/server.md', '| flag | environment |');
    const byEnv = new Map<string, string>(Object.entries(SERVER_SOURCES).map(([setting, env]) => [env, setting]));
    const documented: string[] = [];
    for (const [flagCell, envCell] of rows) {
      const envs = codeSpans(envCell);
      documented.push(...envs);
      const flag = codeSpans(flagCell)[0];
      if (flag === undefined) continue;
      assert.equal(envs.length, 1, `the flag ${flag} has one environment variable`);
      assert.equal(`--${kebab(byEnv.get(envs[0]) ?? '?')}`, flag, `${envs[0]} is the variable of ${flag}`);
    }
    assert.deepEqual(names(documented), names(Object.values(SERVER_SOURCES)));
    const flags = [...read('src/commands/serve.ts').matchAll(/\.option\('(--[\w-]+)/g)].map((m) => m[1]);
    assert.deepEqual(names(rows.flatMap((row) => codeSpans(row[0]))), names(flags), "the table's flags are those of `mta-sts serve`");
  });

  it('docs/options.md "Database columns": exactly the columns migrate() adds to the domain table', async () => {
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    try {
      await knex.schema.createTable('domain', (t) => {
        t.string('domain').primary();
        t.boolean('active').defaultTo(true);
      });
      const before = Object.keys(await knex('domain').columnInfo());
      await createMtaSts({ knex, mailHostname: 'mail.example.org', aliasDomains: null }).migrate();
      const added = Object.keys(await knex('domain').columnInfo()).filter((column) => !before.includes(column));
      const documented = tableRows(ROOT, 'docs/options.md', '| column |').map((row) => codeSpans(row[0])[0]);
      assert.deepEqual(names(documented), names(added));
    } finally {
      await knex.destroy();
    }
  });
});
