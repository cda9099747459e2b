// Which stored TLS reports are trusted (see src/reports/trust.ts for the rule of a mailed one), as
// SQL over the reports table, and the panel's list of known reporters. A report is trusted when
// (a) it was mailed with a passing DKIM signature aligned with its contact-info or From
//     (`aligned_domain` set at intake), or
// (b) it came over HTTPS and its organisation has a report of (a) stored for the same domain, or
// (c) its organisation is on the known reporters list.
// Knex builder only, the same SQL on SQLite, MariaDB and PostgreSQL.
import type { Knex } from 'knex';
import { MAX_KNOWN_REPORTERS } from '../reports';
import { text, type Row } from './rows';

export interface TrustTables {
  reports: string;
  known: string;
}

/** The known reporters' names, in order (at most MAX_KNOWN_REPORTERS). */
export async function readKnownReporters(knex: Knex, tables: TrustTables): Promise<string[]> {
  const rows: Row[] = await knex<Row>(tables.known).orderBy('name').limit(MAX_KNOWN_REPORTERS).select('name');
  return rows.map((row) => text(row.name));
}

/** Replaces the list in one transaction: names already validated (parseKnownReporters). */
export async function saveKnownReporters(knex: Knex, tables: TrustTables, names: readonly string[], now: Date): Promise<void> {
  await knex.transaction(async (trx) => {
    const kept: Row[] = await trx<Row>(tables.known).select('name');
    const old = new Set(kept.map((row) => text(row.name)));
    const gone = [...old].filter((name) => !names.includes(name));
    if (gone.length > 0) await trx(tables.known).whereIn('name', gone).delete();
    const added = names.filter((name) => !old.has(name)).map((name) => ({ name, added_at: now.toISOString() }));
    if (added.length > 0) await trx(tables.known).insert(added);
  });
}

/**
 * The condition "report `alias` is trusted", on a query that reads the reports table under
 * `alias`: `known` are the known reporters' names (at most MAX_KNOWN_REPORTERS bound values).
 */
export function whereTrusted(knex: Knex, tables: TrustTables, alias: string, known: readonly string[]): (q: Knex.QueryBuilder) => void {
  return (q) => {
    q.where((w) => {
      w.whereNotNull(`${alias}.aligned_domain`);
      if (known.length > 0) w.orWhereIn(`${alias}.organisation`, [...known]);
      w.orWhere((https) => {
        https.where(`${alias}.received_via`, 'https').whereExists(
          knex(`${tables.reports} as signed`)
            .select(knex.raw('1'))
            .whereRaw('?? = ??', ['signed.domain', `${alias}.domain`])
            .whereRaw('?? = ??', ['signed.organisation', `${alias}.organisation`])
            .whereNotNull('signed.aligned_domain'),
        );
      });
    });
  };
}

/** The ids of a domain's trusted reports, as a subquery (for a join). */
export function trustedIds(knex: Knex, tables: TrustTables, domain: string, known: readonly string[]): Knex.QueryBuilder {
  return knex(`${tables.reports} as r`)
    .where('r.domain', domain)
    .modify(whereTrusted(knex, tables, 'r', known))
    .select('r.id');
}
