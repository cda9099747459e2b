// The plugin's place in the database: its migrations (applied, pending, run, reverted) and its
// columns in the host's domain table. Commands ask this before they touch a policy.
import { migrateLatest, migrationStatus, rollbackAll, type MigrateOptions } from '../store/migrate';
import type { PolicyStore } from '../store/policy-store';
import type { ServedService } from './served';

export interface SchemaDeps {
  store: PolicyStore;
  /** For the number of names served, once the columns are there. */
  served: ServedService;
  migrations: MigrateOptions;
}

export interface SchemaStatus {
  applied: string[];
  pending: string[];
  missingColumns: string[];
  /** Names with a served policy; null while columns are missing or the database is unavailable. */
  served: number | null;
}

export class SchemaService {
  constructor(private readonly deps: SchemaDeps) {}

  /**
   * The plugin's columns the host's table lacks (none once migrated). Asks the database's
   * catalogue only, never the rows: what a command checks before every run, at any table size.
   */
  missingColumns(): Promise<string[]> {
    return this.deps.store.missingColumns();
  }

  /** Migrations applied and pending, the plugin's columns the table lacks, and how many names are served (reads every served policy). */
  async status(): Promise<SchemaStatus> {
    const { applied, pending } = await migrationStatus(this.deps.store.knex, this.deps.migrations);
    const missingColumns = await this.missingColumns();
    const names = missingColumns.length === 0 ? await this.deps.served.names() : null;
    return { applied, pending, missingColumns, served: names === null ? null : names.length };
  }

  /** Adds the plugin's columns and tables (idempotent); the migrations applied. */
  migrate(): Promise<string[]> {
    return migrateLatest(this.deps.store.knex, this.deps.migrations);
  }

  /** Removes exactly the plugin's columns and tables; the migrations reverted. */
  rollback(): Promise<string[]> {
    return rollbackAll(this.deps.store.knex, this.deps.migrations);
  }
}
