import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MtaSts, MtaStsOptions } from '../../src';
import { createHostTables, createTestDb } from '../support/db';

// The package root: this file runs from dist/test/web.
const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'plugin.json'))) as string;

interface Manifest {
  id: string;
  license: string;
  name: string;
  version: string;
  description: string;
  library: string;
  factory: string;
  compatibility: { node: string; express: string; knex: string; databases: string[] };
  routes: Array<{ export: string; mount: string; serves?: string; option?: string; methods?: string[]; auth: string; csrf?: boolean; order?: string }>;
  hooks: Array<{ hook: string; method: string }>;
  migrations: { directory: string; tableName: string; loadExtensions: string[]; run: string };
  options: { required: string[]; optional: string[] };
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'plugin.json'), 'utf8')) as Manifest;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  description: string;
  license: string;
  main: string;
  engines: { node: string };
  dependencies: Record<string, string>;
};

/** The major version a caret or plain range starts from: "^5.3.0" → 5. */
function major(range: string): number {
  const match = /^\^?(\d+)\./.exec(range);
  assert.ok(match, `"${range}" is a caret range`);
  return Number(match[1]);
}

/** What the library the manifest names exports, loaded the way a host loads it. */
function loadFactory(): (options: MtaStsOptions) => MtaSts {
  const library = require(join(ROOT, manifest.library)) as Record<string, unknown>;
  const factory = library[manifest.factory];
  assert.equal(typeof factory, 'function', `${manifest.library} exports ${manifest.factory}()`);
  return factory as (options: MtaStsOptions) => MtaSts;
}

describe('plugin.json (the manifest a panel installs from)', () => {
  it('names the package it ships in: id, version and description of package.json', () => {
    assert.equal(manifest.id, pkg.name);
    assert.equal(manifest.version, pkg.version);
    assert.equal(manifest.description, pkg.description);
    assert.equal(manifest.license, pkg.license);
    assert.equal(manifest.name, 'MTA-STS', 'the display name is what the user guide calls the tab');
  });

  it('names a compiled library file that exists and exports the factory', () => {
    assert.ok(existsSync(join(ROOT, manifest.library)), `${manifest.library} exists (run tsc)`);
    assert.equal(manifest.library, pkg.main, 'the same entry file as package.json "main"');
    loadFactory();
  });

  it('declares compatibility ranges that agree with package.json', () => {
    assert.equal(manifest.compatibility.node, pkg.engines.node);
    assert.equal(major(manifest.compatibility.express), major(pkg.dependencies.express));
    assert.equal(major(manifest.compatibility.knex), major(pkg.dependencies.knex));
    for (const driver of manifest.compatibility.databases) assert.ok(pkg.dependencies[driver], `${driver} is a dependency`);
  });

  describe('against the factory result', () => {
    const knex = () => require('knex')({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    let instance: { destroy(): Promise<void> };
    let mtaSts: MtaSts;
    before(() => {
      instance = knex();
      mtaSts = loadFactory()({ knex: instance as never, mailHostname: 'mail.example.org' });
    });
    after(() => instance.destroy());

    it('mounts every route export where mtaSts.mounts says, serving what it says', () => {
      assert.equal(manifest.routes.length, mtaSts.mounts.length);
      for (const route of manifest.routes) {
        const value = (mtaSts as unknown as Record<string, unknown>)[route.export];
        assert.equal(typeof value, 'function', `${route.export} is a middleware or router`);
        const mount = mtaSts.mounts.find((m) => m.export === route.export);
        assert.ok(mount, `mtaSts.mounts has ${route.export}`);
        assert.equal(mount.path, route.mount, `${route.export} mount`);
        assert.equal(mount.serves, route.serves, `${route.export} serves`);
      }
      assert.equal(manifest.routes[0].export, 'wellKnown', 'the policy file is mounted first');
      assert.equal(manifest.routes[0].order, 'before-static');
    });

    it('names the option that moves the admin route, and the mount follows it', () => {
      const admin = manifest.routes.find((r) => r.export === 'admin');
      assert.equal(admin?.option, 'adminPath');
      const moved = loadFactory()({ knex: instance as never, mailHostname: 'mail.example.org', adminPath: '/panel/mta-sts' });
      assert.equal(moved.mounts.find((m) => m.export === 'admin')?.path, '/panel/mta-sts');
    });

    it('has every hook method on the factory result', () => {
      for (const hook of manifest.hooks) {
        assert.equal(typeof (mtaSts as unknown as Record<string, unknown>)[hook.method], 'function', `${hook.hook} → ${hook.method}()`);
      }
      assert.equal(manifest.migrations.run, 'migrate');
      assert.ok(manifest.hooks.some((h) => h.hook === 'install' && h.method === manifest.migrations.run));
    });
  });

  it('requires exactly the options createMtaSts rejects without, and lists every other option as optional', () => {
    const create = loadFactory();
    const instance = require('knex')({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    const full: Record<string, unknown> = { knex: instance, mailHostname: 'mail.example.org' };
    try {
      assert.doesNotThrow(() => create(full as never));
      const rejected = Object.keys(full).filter((name) => {
        const { [name]: _left, ...rest } = full;
        try {
          create(rest as never);
          return false;
        } catch (err) {
          return err instanceof TypeError;
        }
      });
      assert.deepEqual([...manifest.options.required].sort(), rejected.sort());
    } finally {
      void instance.destroy();
    }
    // Every option of MtaStsOptions (src/options/index.ts, with the option groups it extends,
    // each in its own file of src/options/) is declared, once.
    const sources = readdirSync(join(ROOT, 'src/options'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(ROOT, 'src/options', f), 'utf8'))
      .join('\n');
    const fields = (name: string): string[] => {
      const found = new RegExp(`export interface ${name}(?: extends ([\\w, ]+))? \\{([\\s\\S]*?)\\n\\}`).exec(sources);
      assert.ok(found, `src/options declares ${name}`);
      const groups = found[1] === undefined ? [] : found[1].split(',').map((g) => g.trim());
      return [...groups.flatMap(fields), ...[...found[2].matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1])];
    };
    const declared = fields('MtaStsOptions');
    assert.ok(declared.length > 5, 'read the option names from src/options/');
    assert.deepEqual([...manifest.options.required, ...manifest.options.optional].sort(), declared.sort());
  });

  describe('migrations', () => {
    it('points to a folder of compiled migrations, named as migrate() records them in the plugin table', async () => {
      const dir = join(ROOT, manifest.migrations.directory);
      assert.ok(existsSync(dir), `${manifest.migrations.directory} exists`);
      // Names with their extension: what Knex's own migrator records for the same files.
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.js'))
        .sort();
      assert.ok(files.length > 0, 'it holds compiled migrations');
      for (const file of files) {
        const migration = require(join(dir, file)) as Record<string, unknown>;
        assert.equal(typeof migration.up, 'function', `${file} has up()`);
        assert.equal(typeof migration.down, 'function', `${file} has down()`);
      }

      const db = await createTestDb('sqlite');
      try {
        await createHostTables(db, [{ domain: 'example.org' }]);
        // The default table name, as the manifest declares it.
        const mtaSts = loadFactory()({ knex: db.knex, mailHostname: 'mail.example.org', domainTable: db.domainTable });
        const applied = await mtaSts.migrate();
        assert.deepEqual([...applied].sort(), files);
        const recorded = (await db.knex(manifest.migrations.tableName).select('name')).map((r: { name: string }) => r.name).sort();
        assert.deepEqual(recorded, files);
        assert.deepEqual(await mtaSts.migrate(), [], 'a second install applies nothing');
        assert.deepEqual([...(await mtaSts.rollback())].sort(), files, 'uninstall reverts them all');
      } finally {
        await db.destroy();
      }
    });

    it('lets a host that ran the folder with Knex itself call migrate() and rollback() afterwards', async () => {
      const db = await createTestDb('sqlite');
      try {
        // The migration files' default table: mailcow's `domain`.
        await db.knex.schema.createTable('domain', (t) => {
          t.string('domain', 255).primary();
          t.boolean('active').notNullable().defaultTo(true);
        });
        await db.knex.migrate.latest({
          directory: join(ROOT, manifest.migrations.directory),
          tableName: manifest.migrations.tableName,
          loadExtensions: manifest.migrations.loadExtensions,
        });
        assert.ok(await db.knex.schema.hasColumn('domain', 'mta_sts_mode'), 'Knex ran the migration');
        const mtaSts = loadFactory()({ knex: db.knex, mailHostname: 'mail.example.org', domainTable: 'domain' });
        assert.deepEqual(await mtaSts.migrate(), [], 'migrate() sees it as applied');
        const files = readdirSync(join(ROOT, manifest.migrations.directory)).filter((f) => f.endsWith('.js'));
        assert.equal((await mtaSts.rollback()).length, files.length, 'rollback() reverts them');
        assert.equal(await db.knex.schema.hasColumn('domain', 'mta_sts_mode'), false);
      } finally {
        await db.destroy();
      }
    });
  });
});
