// Self-contained on purpose (see the first migration): table, column and index names are literals
// here, and the alignment rule below is a frozen copy, never imported from src/. Changes the
// plugin's OWN report tables (20261201000100) only:
// - `aligned_domain` on a report: the DKIM signing domain of a mailed report whose signature
//   passed and is aligned with the report's contact-info (or, for reports received from now on,
//   with the mail's From); null otherwise. Reports already stored are filled from their
//   contact-info (the From was not kept);
// - `<prefix>tlsrpt_known_reporters`: organisations the admin trusts by name, one list per panel.
import type { Knex } from 'knex';

/** What this migration needs: the prefix of the plugin's own tables. */
export interface KnownReportersConfig {
  tablePrefix?: string;
}

function names(config: KnownReportersConfig) {
  const prefix = config.tablePrefix ?? 'mta_sts_';
  return { reports: `${prefix}tlsrpt_reports`, known: `${prefix}tlsrpt_known_reporters` };
}

/** The rule of 2026-12-10: the contact-info's domain (e-mail address or http(s) URL), lower case. */
function contactDomain(contact: string): string | null {
  const value = contact.trim().toLowerCase();
  if (/^https?:\/\//.test(value)) {
    try {
      return new URL(value).hostname.replace(/\.$/, '') || null;
    } catch {
      return null;
    }
  }
  const at = value.lastIndexOf('@');
  return at > 0
    ? value
        .slice(at + 1)
        .replace(/>$/, '')
        .replace(/\.$/, '') || null
    : null;
}

function aligned(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return short.includes('.') && long.endsWith(`.${short}`);
}

/** Guarded step by step, so that a partly applied run can run again. */
export async function up(knex: Knex, config: KnownReportersConfig = {}): Promise<void> {
  const t = names(config);
  if (!(await knex.schema.hasTable(t.known))) {
    await knex.schema.createTable(t.known, (table) => {
      // The organisation name exactly as reports carry it (`organization-name`).
      table.string('name', 255).primary();
      table.string('added_at', 24).notNullable();
    });
  }
  if (!(await knex.schema.hasTable(t.reports))) return;
  if (!(await knex.schema.hasColumn(t.reports, 'aligned_domain'))) {
    // A nullable column at the end: instant on MariaDB, no table copy.
    await knex.schema.alterTable(t.reports, (table) => table.string('aligned_domain', 255).nullable());
  }
  // The reports stored before: mailed, DKIM pass, not yet filled; in batches by id.
  for (let after = 0; ;) {
    const rows: Array<{ id: unknown; dkim_domain: unknown; contact_info: unknown }> = await knex<{ id: unknown; dkim_domain: unknown; contact_info: unknown }>(
      t.reports,
    )
      .where('id', '>', after)
      .where('received_via', 'mail')
      .where('dkim', 'pass')
      .whereNotNull('dkim_domain')
      .whereNull('aligned_domain')
      .orderBy('id')
      .limit(500)
      .select('id', 'dkim_domain', 'contact_info');
    if (rows.length === 0) return;
    // One UPDATE per signing domain of the batch, not one per report.
    const bySigner = new Map<string, number[]>();
    for (const row of rows) {
      after = Number(row.id);
      const signer = String(row.dkim_domain).toLowerCase();
      const contact = typeof row.contact_info === 'string' ? contactDomain(row.contact_info) : null;
      if (contact !== null && aligned(signer, contact)) bySigner.set(signer, [...(bySigner.get(signer) ?? []), after]);
    }
    for (const [signer, ids] of bySigner) await knex(t.reports).whereIn('id', ids).update({ aligned_domain: signer });
  }
}

export async function down(knex: Knex, config: KnownReportersConfig = {}): Promise<void> {
  const t = names(config);
  await knex.schema.dropTableIfExists(t.known);
  if ((await knex.schema.hasTable(t.reports)) && (await knex.schema.hasColumn(t.reports, 'aligned_domain'))) {
    await knex.schema.alterTable(t.reports, (table) => table.dropColumn('aligned_domain'));
  }
}
