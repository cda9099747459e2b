// mailcow's own MTA-STS settings (mailcow 2025-09 and later keep them in a table `mta_sts`:
// domain, version (lower case, "stsv1"), mode, mx (comma-joined), max_age, id, active), read for
// `mta-sts import-mailcow`. Read only: mailcow owns that table.
import type { Knex } from 'knex';
import { isIdentifier } from '../identifier';
import { flag, nullableText, text, type Row } from './rows';

export interface MailcowPolicy {
  domain: string;
  version: string;
  mode: string;
  mx: string[];
  maxAge: string;
  id: string | null;
  active: boolean;
}

export async function readMailcowPolicies(knex: Knex, table: string): Promise<MailcowPolicy[]> {
  if (!isIdentifier(table)) throw new TypeError(`--table must be a table name (letters, digits, underscores), got "${table}"`);
  if (!(await knex.schema.hasTable(table)))
    throw new TypeError(`there is no table "${table}" in this database: is it mailcow's, and mailcow 2025-09 or later?`);
  const rows: Row[] = await knex<Row>(table).select('*').orderBy('domain');
  return rows.map((row) => ({
    domain: text(row.domain),
    version: text(row.version).toLowerCase(),
    mode: text(row.mode),
    mx: text(row.mx)
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
    maxAge: text(row.max_age),
    id: nullableText(row.id) || null,
    active: flag(row.active),
  }));
}
