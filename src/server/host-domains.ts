// The panel's domain table as the server's pages read it: whatever its column names and flag types
// (the preset's schema mapping), and whichever form of a name (A-label or U-label) it holds.
import type { Knex } from 'knex';
import type { SchemaMapping } from '../config/presets';
import { policy } from '../index';
import { cell, flag } from './host-schema';

/** One domain of the host, as the server's pages show it. */
export interface HostDomain {
  domain: string;
  description: string;
  /** Empty when the host's table has no such column (the embedded demo's has). */
  mailboxes: string;
  active: boolean;
}

/** A domain with its MTA-STS state: the plugin's columns in the host's table, or the panel's own policy row. */
export interface ListedDomain extends HostDomain {
  mtaStsActive: boolean;
  mtaStsMode: string;
}

export class HostDomains {
  private constructor(
    private readonly knex: Knex,
    private readonly schema: SchemaMapping,
    private readonly columns: { description: boolean; mailboxes: boolean },
  ) {}

  /** Learns once which optional columns the host's table has. */
  static async open(knex: Knex, schema: SchemaMapping): Promise<HostDomains> {
    const [description, mailboxes] = await Promise.all(['description', 'mailboxes'].map((column) => knex.schema.hasColumn(schema.domainTable, column)));
    return new HostDomains(knex, schema, { description, mailboxes });
  }

  /** The host row of a domain, whichever form (A-label or U-label) the table and the URL hold. */
  async find(name: string): Promise<HostDomain | null> {
    const forms = [...new Set([name, policy.toALabel(name) ?? name, policy.toULabel(name)])];
    const row = (await this.knex(this.schema.domainTable).whereIn(this.schema.domainColumn, forms).first()) as Record<string, unknown> | undefined;
    return row ? this.hostRow(row) : null;
  }

  /** Every domain of the host, by name. */
  async list(): Promise<ListedDomain[]> {
    const { domainTable, domainColumn, policyTable } = this.schema;
    let query = this.knex({ d: domainTable }).select('d.*');
    // mailcow's own table holds the policies (one row per configured domain), under the names the
    // plugin's columns have; a domain without a row is off.
    if (policyTable) query = query.leftJoin({ p: policyTable }, 'p.domain', `d.${domainColumn}`).select({ mta_sts_active: 'p.active', mta_sts_mode: 'p.mode' });
    const rows = (await query.orderBy(`d.${domainColumn}`)) as Array<Record<string, unknown>>;
    return rows.map((row) => ({ ...this.hostRow(row), mtaStsActive: flag(row.mta_sts_active), mtaStsMode: cell(row, 'mta_sts_mode') || 'none' }));
  }

  private hostRow(row: Record<string, unknown>): HostDomain {
    const active = this.schema.domainActiveColumn;
    return {
      domain: cell(row, this.schema.domainColumn),
      description: this.columns.description ? cell(row, 'description') : '',
      mailboxes: this.columns.mailboxes ? cell(row, 'mailboxes') : '',
      active: active === null ? true : flag(row[active]),
    };
  }
}
