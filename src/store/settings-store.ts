// Panel-wide settings of the plugin (table `<prefix>settings`): a name and a JSON value. The
// defaults for a first policy live here; the store knows no setting's shape, the service checks it.
import type { Knex } from 'knex';

export class SettingsStore {
  constructor(
    private readonly knex: Knex,
    readonly table: string,
  ) {}

  /** The stored JSON value, or null when never set or not JSON. */
  async get(name: string): Promise<unknown> {
    const row = (await this.knex(this.table).where('name', name).first()) as Record<string, unknown> | undefined;
    if (!row || typeof row.value !== 'string') return null;
    try {
      return JSON.parse(row.value) as unknown;
    } catch {
      return null;
    }
  }

  async set(name: string, value: unknown, now: Date): Promise<void> {
    await this.knex(this.table)
      .insert({ name, value: JSON.stringify(value), updated_at: now.toISOString() })
      .onConflict('name')
      .merge(['value', 'updated_at']);
  }
}
