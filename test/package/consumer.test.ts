import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startExample, useExample, type ExampleSession } from '../support/examples';

const run = promisify(execFile);
const ROOT = join(__dirname, '../../..');

/**
 * The package as a host gets it: `npm pack`, installed from the tarball into a fresh host app in a
 * folder outside the repository (its own package.json, registry dependencies only), mounted as the
 * README says. A file missing from `files` or a wrong `exports` entry fails here, not at a user's.
 */
describe('the published package, installed into a fresh host app', function () {
  this.timeout(240_000);
  let app: string;
  let tarball: string;

  before(async () => {
    app = mkdtempSync(join(tmpdir(), 'mta-sts-consumer-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', app, '--ignore-scripts'], { cwd: ROOT, maxBuffer: 10_000_000 });
    tarball = join(app, JSON.parse(packed.stdout)[0].filename as string);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'host-panel',
          private: true,
          dependencies: { 'mta-sts-plugin': `file:${tarball}`, express: manifest.dependencies.express, knex: manifest.dependencies.knex },
          // What a TypeScript host has for examples/mount-express.ts (knex brings its own types).
          devDependencies: { '@types/express': manifest.devDependencies['@types/express'], '@types/node': manifest.devDependencies['@types/node'] },
        },
        null,
        2,
      ),
    );
    // better-sqlite3's native module is built from source here (no prebuilt downloads), which this
    // repository's own install has done already: reuse that build rather than compile it again.
    // Everything else comes from the registry (or npm's cache), as for any host.
    await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app, maxBuffer: 10_000_000 });
    cpSync(join(ROOT, 'node_modules/better-sqlite3/build'), join(app, 'node_modules/better-sqlite3/build'), { recursive: true });
  });
  after(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('ships the library, its types, views, client script, migrations and manifest, and nothing of the tests', () => {
    const pkg = join(app, 'node_modules/mta-sts-plugin');
    for (const file of [
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli.js',
      'dist/src/web/client/tab.mjs',
      'views/tab.ejs',
      'dist/migrations/20261128000000_add_mta_sts_columns.js',
      'dist/migrations/20261201000000_add_mta_sts_history.js',
      'dist/migrations/20261201000100_add_tls_report_tables.js',
      'dist/migrations/20261201000200_add_server_accounts.js',
      'dist/migrations/20261201000300_add_acme_tables.js',
      'dist/migrations/20261201000400_add_mta_sts_overview_tables.js',
      'dist/migrations/20261201000500_add_mta_sts_checks.js',
      'dist/migrations/20261207000000_bound_tls_reports.js',
      'dist/migrations/20261207000100_add_server_login_failures.js',
      'dist/migrations/20261208000000_add_mta_sts_leases.js',
      'dist/migrations/20261208000100_one_check_table.js',
      'dist/migrations/20261209000000_add_mta_sts_dns_states.js',
      'dist/migrations/20261210000000_add_tls_failure_details.js',
      'dist/migrations/20261210000100_add_tls_known_reporters.js',
      // The standalone server's own chain (`mta-sts serve` from the package needs it).
      'dist/migrations/server/20261208000100_add_server_tables.js',
      'plugin.json',
      // The docs link to the examples (docs/options.md quotes one whole).
      'examples/mount-express.ts',
      'examples/mount-express.mjs',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
    ]) {
      assert.ok(existsSync(join(pkg, file)), `${file} is in the package`);
    }
    // The old static policy file of the demo's web root (kept in the repository to prove it is never served) is not shipped.
    for (const absent of ['dist/test', 'dist/bench', 'src', 'test', '.ci', 'views/server/public/.well-known/mta-sts.txt'])
      assert.ok(!existsSync(join(pkg, absent)), `${absent} is not`);
  });

  it('mounts as the README says: migrate, the policy file before static files, the tab, the API by key', async () => {
    const script = `
      const express = require('express');
      const knexFactory = require('knex');
      const { createMtaSts, API_PATH } = require('mta-sts-plugin');
      const manifest = require('mta-sts-plugin/plugin.json');
      (async () => {
        const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
        await knex.schema.createTable('domain', (t) => { t.string('domain').primary(); t.boolean('active').defaultTo(true); });
        await knex('domain').insert({ domain: 'example.org', active: true });
        const mtaSts = createMtaSts({
          knex, mailHostname: 'mail.example.org', aliasDomains: null,
          authorize: (req) => req.get('x-api-key') === 'k' || req.get('x-admin') === 'yes',
          csrf: { secureCookie: false },
          dns: { servers: ['127.0.0.1:9'], timeoutMs: 200, retries: 0 },
        });
        const applied = await mtaSts.migrate();
        const app = express();
        app.use(mtaSts.wellKnown);
        app.use('/mta-sts', mtaSts.admin);
        app.use(API_PATH, mtaSts.api);
        app.get('/domains/:domain', async (req, res, next) => {
          try { res.send('<main>' + await mtaSts.renderTab(req, res, req.params.domain) + '</main>'); } catch (err) { next(err); }
        });
        const server = app.listen(0, '127.0.0.1', async () => {
          const base = 'http://127.0.0.1:' + server.address().port;
          const put = await fetch(base + API_PATH + '/example.org', { method: 'PUT', headers: { 'x-api-key': 'k', 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'testing', mx: ['mail.example.org'], active: true }) });
          // fetch() drops a Host header of its own: ask with node:http, as a sender's client would.
          const policy = await new Promise((resolve, reject) => require('node:http').get(
            { host: '127.0.0.1', port: server.address().port, path: '/.well-known/mta-sts.txt', headers: { host: 'mta-sts.example.org' } },
            (res) => { let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => resolve({ status: res.statusCode, text: async () => text })); },
          ).on('error', reject));
          const tab = await fetch(base + '/domains/example.org', { headers: { 'x-admin': 'yes' } });
          const tabHtml = await tab.text();
          const script = tabHtml.match(/src="([^"]*tab\\.mjs[^"]*)"/);
          const asset = script ? await fetch(base + script[1].replace(/&amp;/g, '&')) : null;
          const tables = (await knex('sqlite_master').where('type', 'table').pluck('name')).sort();
          console.log(JSON.stringify({
            applied, tables, put: put.status, id: (await put.json()).id, policy: policy.status, body: await policy.text(),
            tab: tab.status, hasForm: /name="mx"/.test(tabHtml), asset: asset && asset.status, factory: manifest.factory,
          }));
          server.close(); await knex.destroy();
        });
      })().catch((err) => { console.error(err); process.exit(1); });`;
    writeFileSync(join(app, 'host.js'), script);
    const { stdout } = await run(process.execPath, ['host.js'], { cwd: app });
    const result = JSON.parse(stdout.trim().split('\n').pop() as string);
    assert.deepEqual(result.applied, [
      '20261128000000_add_mta_sts_columns.js',
      '20261201000000_add_mta_sts_history.js',
      '20261201000100_add_tls_report_tables.js',
      // This one and 20261207000100: recorded only, their tables moved to the server's chain.
      '20261201000200_add_server_accounts.js',
      '20261201000300_add_acme_tables.js',
      '20261201000400_add_mta_sts_overview_tables.js',
      '20261201000500_add_mta_sts_checks.js',
      '20261207000000_bound_tls_reports.js',
      '20261207000100_add_server_login_failures.js',
      '20261208000000_add_mta_sts_leases.js',
      '20261208000100_one_check_table.js',
      '20261209000000_add_mta_sts_dns_states.js',
      '20261210000000_add_tls_failure_details.js',
      '20261210000100_add_tls_known_reporters.js',
    ]);
    // The library's tables only: none of the standalone server's (accounts, sessions, secrets, failed logins).
    assert.deepEqual(
      result.tables.filter((name: string) => /^mta_sts_(users|sessions|server_secrets|login_failures|server_migrations)$/.test(name)),
      [],
      result.tables.join(', '),
    );
    assert.ok(result.tables.includes('mta_sts_history'), result.tables.join(', '));
    assert.equal(result.put, 200);
    assert.match(result.id, /^\d{14}$/);
    assert.equal(result.policy, 200);
    assert.equal(result.body, 'version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 86400\r\n');
    assert.equal(result.tab, 200);
    assert.equal(result.hasForm, true);
    assert.equal(result.asset, 200, "the tab's script is served from the installed package");
    assert.equal(result.factory, 'createMtaSts');
  });

  it('runs `npx mta-sts --help` from the installed package', async () => {
    const { stdout } = await run('npx', ['--no-install', 'mta-sts', '--help'], { cwd: app });
    assert.match(stdout, /Usage: mta-sts \[options\] \[command\]/);
    assert.match(stdout, /Exit codes: 0 ok/);
  });

  /** Runs an example host from `file` in a folder of its own (its SQLite file), uses it, stops it. */
  async function runExample(file: string, folder: string): Promise<ExampleSession> {
    const cwd = join(app, folder);
    mkdirSync(cwd);
    const running = await startExample(file, cwd);
    const session = await useExample(running.base).finally(() => running.stop());
    // SIGTERM closes the server and the database: the process ends by itself, with 0.
    assert.equal(await running.stop(), 0, `the example stops cleanly on SIGTERM: ${running.output()}`);
    return session;
  }

  /** What a person and a script see of a running example, as the docs promise it. */
  function assertExampleWorks(session: ExampleSession): void {
    assert.equal(session.list.status, 200);
    assert.match(session.list.text, /example\.org/);
    assert.equal(session.list.anonymous, 401, 'a page of the panel without a login asks for one');
    assert.deepEqual(session.page, { status: 200, hasForm: true });
    assert.equal(session.save.status, 303);
    assert.match(session.save.location, /^\/domains\/example\.org\?tab=mta-sts&/, 'a save returns to the panel page (tabUrl), not the plugin page');
    assert.equal(session.save.after.status, 200);
    assert.ok(session.save.after.notices.length > 0, 'the panel page after the save says how it went');
    assert.equal(session.policy.status, 200);
    assert.equal(session.policy.text, 'version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 86400\r\n');
    assert.equal(session.ownerElsewhere, 403, "example.net's owner may not open example.org");
    assert.equal(session.ownerOwn, 200);
    assert.equal(session.apiPut, 200);
    assert.equal(session.apiWithoutKey, 401);
    assert.equal(session.apiPolicy.status, 200);
    assert.match(session.apiPolicy.text, /^mode: enforce\r$/m);
    assert.deepEqual(session.openapi, { status: 200, version: '3.1.0' }, 'the API document is mounted and public');
  }

  it('runs examples/mount-express.mjs as pasted: login, the tab saved through its form, the API by key, the policy served', async () => {
    copyFileSync(join(ROOT, 'examples/mount-express.mjs'), join(app, 'mount-express.mjs'));
    assertExampleWorks(await runExample(join(app, 'mount-express.mjs'), 'run-js'));
  });

  it('compiles examples/mount-express.ts with strict against the installed types, and runs it', async () => {
    copyFileSync(join(ROOT, 'examples/mount-express.ts'), join(app, 'mount-express.ts'));
    const compilerOptions = { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, esModuleInterop: true, outDir: 'build' };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['mount-express.ts'] }, null, 2));
    await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: app }).catch((err: { stdout?: string; message: string }) => {
      throw new Error(`tsc failed: ${err.stdout ?? ''}${err.message}`);
    });
    assertExampleWorks(await runExample(join(app, 'build/mount-express.js'), 'run-ts'));
  });
});
