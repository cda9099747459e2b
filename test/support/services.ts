// The plugin's services over a real test database (test/support/db.ts), built the way the factory,
// the CLI and the server build them, for the tests of each service in test/service/.
import type { MtaStsOptions } from '../../src';
import type { Logger } from '../../src/logger';
import { resolveOptions } from '../../src/options';
import { MtaStsService } from '../../src/service';
import { createHostTables, createTestDb, type DbKind, type TestDb } from './db';
import { LOOPBACK_ONLY } from './loopback';

export interface TestServices {
  db: TestDb;
  service: MtaStsService;
  /** The options the services were built from: build a second instance over the same database with them. */
  options: MtaStsOptions;
  /** What the services logged, one message per line. */
  logged: string[];
  destroy(): Promise<void>;
}

/**
 * A host table with these domains (and aliases: `alias -> target`), the services over it, and the
 * plugin's migrations run unless `migrate: false`. Anything in `plugin` overrides the defaults.
 */
export async function createTestServices(
  kind: DbKind,
  setup: {
    domains: Array<{ domain: string; active?: boolean }>;
    aliases?: Array<{ alias: string; target: string; active?: boolean }>;
    migrate?: boolean;
    plugin?: Partial<MtaStsOptions>;
  },
): Promise<TestServices> {
  const db = await createTestDb(kind);
  await createHostTables(db, setup.domains);
  const aliases = setup.aliases ?? [];
  if (aliases.length > 0) {
    await db.knex(db.aliasTable).insert(aliases.map((a) => ({ alias_domain: a.alias, target_domain: a.target, active: a.active ?? true })));
  }
  const logged: string[] = [];
  const logger: Logger = { error: (m) => logged.push(m), warn: (m) => logged.push(m), info: (m) => logged.push(m) };
  const options: MtaStsOptions = {
    knex: db.knex,
    mailHostname: 'mail.example.net',
    domainTable: db.domainTable,
    aliasDomains: { table: db.aliasTable, aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: 'active' },
    migrationsTable: db.migrationsTable,
    tablePrefix: db.tablePrefix,
    logger,
    ...LOOPBACK_ONLY,
    ...setup.plugin,
  };
  const service = MtaStsService.fromOptions(resolveOptions(options));
  if (setup.migrate !== false) await service.schema.migrate();
  return {
    db,
    service,
    options,
    logged,
    async destroy() {
      await service.served.idle();
      await db.destroy();
    },
  };
}
