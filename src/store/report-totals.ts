// What a domain's stored TLS reports add up to over a period, read in bounded work whatever is
// stored. One 600 KB report may hold 85,000 failure groups; summing a period's rows in one
// statement took 0.1 to 0.8 s on SQLite, whose driver runs synchronously, so the policy file of
// every domain waited that long. On SQLite (and MariaDB, see `grouped`) the rows of a period are
// therefore read in slices of SLICE_ROWS (each aggregated in SQL), the event loop is free between
// slices, and what is kept between them is at most MAX_GROUPS groups per list. PostgreSQL
// aggregates in one statement on its own server while the event loop goes on, and answers one
// page (LIMIT/OFFSET).
import type { Knex } from 'knex';
import { dialectOf } from './dialect';
import { nullableText, text, type Row } from './rows';
import { MAX_GROUPS, num, sliced, type Group, type SliceSpec } from './report-slices';
import { trustFacts, trustedIds, trustedOrganisations, type TrustTables } from './report-trust';
/** Pages of a list and rows per page: the last reachable row (10,000) is the last kept group. */
export const MAX_PAGE = 100;
export const MAX_LIMIT = 100;
/** Organisations listed at most (one statement over the reports table, bounded by the page). */
const MAX_ORGANISATIONS = MAX_PAGE * MAX_LIMIT;

export interface TotalsPage {
  /** From 1. */
  page: number;
  limit: number;
}

export interface FailureGroupTotal {
  policyType: string;
  resultType: string;
  receivingMxHostname: string | null;
  receivingIp: string | null;
  sendingMtaIp: string | null;
  receivingMxHelo: string | null;
  failureReasonCode: string | null;
  /** The sending organisation (null in rows stored before 20261210000000 and not yet refilled). */
  organisation: string | null;
  /** Not a key: senders write it per report; the greatest of the group's (one example). */
  additionalInformation: string | null;
  sessions: number;
  /** Failure details summed (some without a count). */
  details: number;
}

/** Failed sessions of one value of a breakdown (null: the reports did not say). */
export interface BreakdownEntry {
  name: string | null;
  sessions: number;
}

/** The period's failed sessions (of the failure details) by four of their fields, every value up to MAX_GROUPS groups. */
export interface FailureBreakdown {
  /** All failed sessions of the details, including those of groups folded beyond MAX_GROUPS. */
  sessions: number;
  resultType: BreakdownEntry[];
  receivingMx: BreakdownEntry[];
  organisation: BreakdownEntry[];
  sendingIp: BreakdownEntry[];
}

export interface PolicyTotal {
  policyType: string;
  fingerprint: string | null;
  mx: string;
  sessions: number;
  lastDay: string;
}

export interface OrganisationTotal {
  name: string;
  /** Whether a report of it within the period is trusted (see ./report-trust.ts). */
  trusted: boolean;
  reports: number;
  success: number;
  failure: number;
  lastDay: string;
}

/** One page of a list, how many it has in all (at most MAX_GROUPS), and what was summed unlisted. */
export interface Listed<T> {
  items: T[];
  total: number;
  /** Sessions of the groups beyond MAX_GROUPS (0 when every group is listed). */
  folded: number;
}

export interface ReportTotals {
  days: Array<{ date: string; success: number; failure: number }>;
  organisations: Listed<OrganisationTotal>;
  /** Grouped by the applied policy's type too, most sessions first. */
  failures: Listed<FailureGroupTotal>;
  policies: Listed<PolicyTotal>;
  breakdown: FailureBreakdown;
}

/** What "ready for enforce" needs of a period: organisations that reported, and failures enforce would refuse. */
export interface ReadinessFacts {
  /** Organisations with a trusted report (see ./report-trust.ts): only these count. */
  organisations: number;
  /** Organisations that reported, trusted or not. */
  reported: number;
  blocking: { sessions: number; resultTypes: string[] };
}

export interface ReportTables extends TrustTables {
  reports: string;
  policies: string;
  failures: string;
}

/** One page (or, without `at`, every group up to MAX_GROUPS), most first by the first sum. */
interface Grouped {
  groups: Group[];
  total: number;
  folded: number;
  /** Every group (up to MAX_GROUPS) when they were read in slices; null from PostgreSQL's one page. */
  all: Group[] | null;
}

/**
 * The groups of `spec` over the rows of `domain` within [from, to]: on SQLite read in slices,
 * elsewhere in one statement for one page with the number of groups.
 */
async function grouped(knex: Knex, spec: SliceSpec, domain: string, from: string, to: string, at: TotalsPage | null): Promise<Grouped> {
  const start = at ? (at.page - 1) * at.limit : 0;
  const limit = at ? at.limit : MAX_GROUPS;
  // SQLite reads synchronously; MariaDB grouped 340,000 rows by their four text columns in 33 s
  // (an on-disk temporary table) where its slices take a fraction of that. PostgreSQL groups them
  // in one statement within seconds, on its own server.
  if (dialectOf(knex) !== 'postgres') {
    const all = await sliced(knex, spec, domain, from, to);
    const groups = [...all.map.values()].sort((a, b) => b.sums[0] - a.sums[0] || compareKeys(a.keys, b.keys));
    return { groups: groups.slice(start, start + limit), total: groups.length, folded: all.folded, all: groups };
  }
  const rows = () => {
    const query = knex(`${spec.table} as s`).where('s.domain', domain).where('s.day', '>=', from).where('s.day', '<=', to);
    if (spec.joinPolicies) query.join(`${spec.joinPolicies} as p`, 'p.id', 's.policy');
    if (spec.trusted) query.leftJoin(spec.trusted.clone().as('t'), 't.id', 's.report');
    return query.groupByRaw(spec.keys.join(', '));
  };
  const page = (await rows()
    .select(spec.keys.map((k, i) => knex.raw(`${k} as ??`, [`k${i}`])))
    .select(spec.sums.map((sum, i) => knex.raw(`sum(${sum}) as ??`, [`v${i}`])))
    .modify((q) => {
      if (spec.count) q.select(knex.raw('count(*) as ??', [`v${spec.sums.length}`]));
    })
    .select((spec.samples ?? []).map((sample, i) => knex.raw(`max(${sample}) as ??`, [`m${i}`])))
    .select(knex.raw('max(s.day) as ??', ['last_day']))
    // The number of groups, counted after grouping in the same statement (one pass over the rows).
    .select(knex.raw('count(*) over () as ??', ['groups']))
    .orderBy('v0', 'desc')
    .orderBy(spec.keys.map((_k, i) => `k${i}`))
    .offset(start)
    .limit(limit)) as Row[];
  // A page past the last has no row to carry the count: then counted apart (rare: a hand-made URL).
  const counted: Row[] = page.length > 0 ? page : await knex.from<Row>(rows().select(knex.raw('1 as one')).as('g')).count({ groups: '*' });
  const sums = spec.sums.length + (spec.count ? 1 : 0);
  return {
    groups: page.map((row) => ({
      keys: spec.keys.map((_k, i) => row[`k${i}`]),
      sums: Array.from({ length: sums }, (_v, i) => num(row[`v${i}`])),
      last: text(row.last_day),
      samples: (spec.samples ?? []).map((_m, i) => nullableText(row[`m${i}`])),
    })),
    total: num(counted[0]?.groups),
    folded: 0,
    all: null,
  };
}

/** The order of groups with the same sum: by their keys, nulls first, so that pages do not overlap. */
function compareKeys(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === null || a[i] === undefined ? '' : text(a[i]);
    const y = b[i] === null || b[i] === undefined ? '' : text(b[i]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Sums for the reports of `domain` whose first day is within [from, to] (YYYY-MM-DD, UTC): the days, and one page of each list. */
export async function readTotals(knex: Knex, t: ReportTables, domain: string, from: string, to: string, at: TotalsPage): Promise<ReportTotals> {
  // One after the other: each yields between its slices, and SQLite serialises them anyway.
  const days = await grouped(
    knex,
    { table: t.policies, columns: ['day', 'success', 'failure'], keys: ['s.day'], sums: ['s.success', 's.failure'] },
    domain,
    from,
    to,
    null,
  );
  const policies = await grouped(
    knex,
    {
      table: t.policies,
      columns: ['policy_type', 'fingerprint', 'mx', 'success', 'failure'],
      keys: ['s.policy_type', 's.fingerprint', 's.mx'],
      sums: ['s.success + s.failure'],
    },
    domain,
    from,
    to,
    at,
  );
  const failures = await grouped(
    knex,
    {
      table: t.failures,
      columns: [
        'policy',
        'result_type',
        'receiving_mx_hostname',
        'receiving_ip',
        'sending_mta_ip',
        'receiving_mx_helo',
        'failure_reason_code',
        'additional_information',
        'organisation',
        'sessions',
      ],
      keys: [
        'p.policy_type',
        's.result_type',
        's.receiving_mx_hostname',
        's.receiving_ip',
        's.sending_mta_ip',
        's.receiving_mx_helo',
        's.failure_reason_code',
        's.organisation',
      ],
      samples: ['s.additional_information'],
      sums: ['s.sessions'],
      count: true,
      joinPolicies: t.policies,
    },
    domain,
    from,
    to,
    at,
  );
  // The four breakdowns: from every group of the list just read in slices (one pass over the rows
  // for both); PostgreSQL answered one page, so it groups the four fields in one more statement.
  const combined: Grouped =
    failures.all !== null
      ? { ...failures, groups: failures.all.map((g) => ({ ...g, keys: [g.keys[1], g.keys[2], g.keys[7], g.keys[4]] })) }
      : await grouped(
          knex,
          {
            table: t.failures,
            columns: ['result_type', 'receiving_mx_hostname', 'organisation', 'sending_mta_ip', 'sessions'],
            keys: ['s.result_type', 's.receiving_mx_hostname', 's.organisation', 's.sending_mta_ip'],
            sums: ['s.sessions'],
          },
          domain,
          from,
          to,
          null,
        );
  const start = (at.page - 1) * at.limit;
  const organisations: Row[] = await knex<Row>(t.reports)
    .where('domain', domain)
    .whereBetween('start_at', [`${from}T00:00:00.000Z`, `${to}T23:59:59.999Z`])
    .select('organisation')
    .count({ reports: '*' })
    .sum({ success: 'success', failure: 'failure' })
    .max({ last: 'start_at' })
    .groupBy('organisation')
    .orderBy('organisation')
    .limit(MAX_ORGANISATIONS);
  const trusted = await trustedOrganisations(knex, t, domain, from, to, await trustFacts(knex, t, domain), MAX_ORGANISATIONS);
  return {
    days: days.groups.map((g) => ({ date: text(g.keys[0]), success: g.sums[0], failure: g.sums[1] })).sort((a, b) => a.date.localeCompare(b.date)),
    organisations: {
      items: organisations.slice(start, start + at.limit).map((r: Row) => ({
        name: text(r.organisation),
        trusted: trusted.has(text(r.organisation)),
        reports: num(r.reports),
        success: num(r.success),
        failure: num(r.failure),
        lastDay: text(r.last).slice(0, 10),
      })),
      total: organisations.length,
      folded: 0,
    },
    // The folded sum of the policies is of successful and failed sessions alike.
    policies: {
      items: policies.groups.map((g) => ({
        policyType: text(g.keys[0]),
        fingerprint: nullableText(g.keys[1]),
        mx: text(g.keys[2]),
        sessions: g.sums[0],
        lastDay: g.last,
      })),
      total: policies.total,
      folded: policies.folded,
    },
    failures: {
      items: failures.groups.map((g) => ({
        policyType: text(g.keys[0]),
        resultType: text(g.keys[1]),
        receivingMxHostname: nullableText(g.keys[2]),
        receivingIp: nullableText(g.keys[3]),
        sendingMtaIp: nullableText(g.keys[4]),
        receivingMxHelo: nullableText(g.keys[5]),
        failureReasonCode: nullableText(g.keys[6]),
        additionalInformation: g.samples[0] ?? null,
        organisation: nullableText(g.keys[7]),
        sessions: g.sums[0],
        details: g.sums[1],
      })),
      total: failures.total,
      folded: failures.folded,
    },
    breakdown: breakdownOf(combined, combined.total > combined.groups.length ? await failedSessions(knex, t, domain, from, to) : null),
  };
}

/** All failed sessions of the details within [from, to]: when PostgreSQL answered only the first MAX_GROUPS groups. */
async function failedSessions(knex: Knex, t: ReportTables, domain: string, from: string, to: string): Promise<number> {
  const row: Row | undefined = await knex<Row>(t.failures).where('domain', domain).whereBetween('day', [from, to]).sum({ n: 'sessions' }).first();
  return num(row?.n);
}

/** The four breakdowns of the groups of (result type, receiving MX, organisation, sending IP), most sessions first. */
function breakdownOf(combined: Grouped, all: number | null): FailureBreakdown {
  const by = (index: number): BreakdownEntry[] => {
    const sums = new Map<string | null, number>();
    for (const g of combined.groups) {
      const name = nullableText(g.keys[index]);
      sums.set(name, (sums.get(name) ?? 0) + g.sums[0]);
    }
    return [...sums.entries()]
      .map(([name, sessions]) => ({ name, sessions }))
      .sort((a, b) => b.sessions - a.sessions || (a.name ?? '').localeCompare(b.name ?? ''));
  };
  const sessions = all ?? combined.groups.reduce((sum, g) => sum + g.sums[0], combined.folded);
  return { sessions, resultType: by(0), receivingMx: by(1), organisation: by(2), sendingIp: by(3) };
}

/**
 * Organisations that reported within [from, to] and the failures enforce would refuse: under an
 * applied STS policy, or an STS policy failure whatever was applied (`stsResultTypes`).
 */
export async function readReadiness(
  knex: Knex,
  t: ReportTables,
  domain: string,
  from: string,
  to: string,
  stsResultTypes: readonly string[],
): Promise<ReadinessFacts> {
  const [row]: Row[] = await knex<Row>(t.reports)
    .where('domain', domain)
    .whereBetween('start_at', [`${from}T00:00:00.000Z`, `${to}T23:59:59.999Z`])
    .countDistinct({ n: 'organisation' });
  const facts = await trustFacts(knex, t, domain);
  const trusted = await trustedOrganisations(knex, t, domain, from, to, facts, MAX_ORGANISATIONS);
  const blocking = await grouped(
    knex,
    {
      table: t.failures,
      columns: ['report', 'policy', 'result_type', 'sessions'],
      // Every row is read (a WHERE would hide where a slice ended); the STS flag and whether the
      // row's report is trusted are group keys, and only trusted groups count below.
      keys: ['s.result_type', "CASE WHEN p.policy_type = 'sts' THEN 1 ELSE 0 END", 'CASE WHEN t.id IS NULL THEN 0 ELSE 1 END'],
      sums: ['s.sessions'],
      joinPolicies: t.policies,
      trusted: trustedIds(knex, t, domain, from, to, facts),
    },
    domain,
    from,
    to,
    null,
  );
  const sts = new Set(stsResultTypes);
  const merged = new Map<string, number>();
  for (const g of blocking.groups) {
    const type = text(g.keys[0]);
    if (num(g.keys[2]) !== 1) continue;
    if (num(g.keys[1]) === 1 || sts.has(type)) merged.set(type, (merged.get(type) ?? 0) + g.sums[0]);
  }
  const types = [...merged.entries()].sort((a, b) => b[1] - a[1]);
  return {
    organisations: trusted.size,
    reported: num(row?.n),
    blocking: {
      // Groups folded beyond 10,000 result types count as blocking: "ready" errs on the safe side.
      sessions: types.reduce((sum, [, sessions]) => sum + sessions, blocking.folded),
      // Named in one sentence of the page: the ten largest.
      resultTypes: types.slice(0, 10).map(([type]) => type),
    },
  };
}
