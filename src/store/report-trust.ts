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

/** Organisations of signed reports (rule b) a single-domain read binds as values, at most this many. */
const MAX_SIGNED_ORGANISATIONS = 1000;

/**
 * What the trust of a domain's reports depends on beyond their own row, read once per page: the
 * known reporters, and the organisations with a DKIM-aligned mailed report of the domain (rule b).
 * Binding these as values keeps the condition per row a comparison; as a correlated subquery per
 * row, a year of reports (7,300) cost the reports page 0.8 s of SQLite.
 */
export interface TrustFacts {
  known: readonly string[];
  signed: readonly string[];
}

export async function trustFacts(knex: Knex, tables: TrustTables, domain: string): Promise<TrustFacts> {
  const known = await readKnownReporters(knex, tables);
  const rows: Row[] = await knex<Row>(tables.reports)
    .where('domain', domain)
    .whereNotNull('aligned_domain')
    .distinct('organisation')
    .orderBy('organisation')
    .limit(MAX_SIGNED_ORGANISATIONS);
  // Beyond the limit an organisation's HTTPS reports are not counted: "trusted" errs on the safe side.
  return { known, signed: rows.map((row) => text(row.organisation)) };
}

/** The condition "report `alias` (of the domain of `facts`) is trusted", all values bound. */
export function whereTrustedBy(alias: string, facts: TrustFacts): (q: Knex.QueryBuilder) => void {
  return (q) => {
    q.where((w) => {
      w.whereNotNull(`${alias}.aligned_domain`);
      if (facts.known.length > 0) w.orWhereIn(`${alias}.organisation`, [...facts.known]);
      if (facts.signed.length > 0)
        w.orWhere((https) => {
          https.where(`${alias}.received_via`, 'https').whereIn(`${alias}.organisation`, [...facts.signed]);
        });
    });
  };
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

/** The ids of a domain's trusted reports that start within [from, to], as a subquery (for a join). */
export function trustedIds(knex: Knex, tables: TrustTables, domain: string, from: string, to: string, facts: TrustFacts): Knex.QueryBuilder {
  return knex(`${tables.reports} as r`)
    .where('r.domain', domain)
    .whereBetween('r.start_at', [`${from}T00:00:00.000Z`, `${to}T23:59:59.999Z`])
    .modify(whereTrustedBy('r', facts))
    .select('r.id');
}

/** The organisations with a trusted report of `domain` within [from, to], at most `limit`. */
export async function trustedOrganisations(
  knex: Knex,
  tables: TrustTables,
  domain: string,
  from: string,
  to: string,
  facts: TrustFacts,
  limit: number,
): Promise<Set<string>> {
  const rows = (await knex<Row>(`${tables.reports} as r`)
    .where('r.domain', domain)
    .whereBetween('r.start_at', [`${from}T00:00:00.000Z`, `${to}T23:59:59.999Z`])
    .modify(whereTrustedBy('r', facts))
    .distinct('r.organisation')
    .limit(limit)) as Row[];
  return new Set(rows.map((r) => text(r.organisation)));
}
