// Figure "overview": the admin overview page with 100,000 domains, on SQLite and on MariaDB, with
// its filters (the publishing state's `dns=` among them). The
// plugin's admin router in-process behind a loopback HTTP server; each request renders the whole
// page (one count, one page query with the LEFT JOIN on the last checks, one TLS report query).
// Goal: at most 200 ms per page, whatever the filter, sort or page.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import type { Knex } from 'knex';
import { createMtaSts } from '../../src';
import { DbSpec, activateAll, createDatabase, domainNames, openKnex, seedHost, uniqueSuffix } from '../lib/data';
import type { Report } from '../lib/report';
import { median, nowMs, percentile, round } from '../lib/util';
import { sized } from '../lib/mode';

const DOMAINS = Number(process.env.BENCH_OVERVIEW_DOMAINS ?? sized(100_000, 500));
const REQUESTS = sized(15, 2);
const GOAL_MS = 200;
const QUERIES: Array<[string, string]> = [
  ['first page', '/'],
  ['search "d99"', '/?search=d99'],
  ['mode testing, page 20', '/?mode=testing&page=20'],
  ['last check errors, sorted by check time', '/?verdict=error&sort=checked&desc=1'],
  ['sorted by Maximum Age, page 500', '/?sort=maxAge&page=500'],
  ['200 rows per page', '/?size=200'],
  // The publishing state's filter (the `dns=` of the overview, a join on the dns_states row's indexed state).
  ['dns=differs (1 in 20)', '/?dns=differs'],
  ['dns=published, page 100', '/?dns=published&page=100'],
  ['dns=unknown (never published, 1 in 10)', '/?dns=unknown'],
];

async function seed(knex: Knex): Promise<void> {
  const names = domainNames(DOMAINS);
  await seedHost(knex, names);
  const mtaSts = createMtaSts({
    knex,
    mailHostname: 'mail.example.org',
    domainTable: 'domain',
    csrf: { secret: 'bench-secret-0123456789-0123456789-01' },
    authorize: () => true,
  });
  await mtaSts.migrate();
  await activateAll(knex);
  // A third in testing, with varied Maximum Ages; half the domains checked, one in ten with errors.
  await knex('domain').whereRaw("domain like 'd%3.example'").update({ mta_sts_mode: 'testing', mta_sts_max_age: 604800 });
  const checked = names.filter((_n, i) => i % 2 === 0);
  for (let i = 0; i < checked.length; i += 500) {
    await knex('mta_sts_last_checks').insert(
      checked.slice(i, i + 500).map((domain, j) => ({
        domain,
        checked_at: new Date(Date.UTC(2026, 11, 1, 0, 0, (i + j) % 86400)).toISOString(),
        verdict: (i + j) % 10 === 0 ? 'error' : 'ok',
        errors: (i + j) % 10 === 0 ? 1 : 0,
        warnings: 0,
        policy_id: '20261128000000',
      })),
    );
  }
  // The publisher's states: nine in ten domains published by it, of those one in 20 differs and one in 50 is pending.
  const published = names.filter((_n, i) => i % 10 !== 9);
  for (let i = 0; i < published.length; i += 500) {
    await knex('mta_sts_dns_states').insert(
      published.slice(i, i + 500).map((domain, j) => {
        const state = (i + j) % 20 === 0 ? 'differs' : (i + j) % 50 === 1 ? 'pending' : 'published';
        const checkedAt = new Date(Date.UTC(2026, 11, 1, 0, 0, (i + j) % 86400)).toISOString();
        return { domain, state, checked_at: checkedAt, records: JSON.stringify([{ name: `_mta-sts.${domain}`, state, since: checkedAt, checkedAt }]) };
      }),
    );
  }
}

async function measure(knex: Knex): Promise<Array<{ query: string; medianMs: number; p95Ms: number }>> {
  // A panel admin who sees every domain: the host's domainFilter says so (null) in one call, as
  // docs/options.md advises a large panel; without it every domain's name is put to authorize.
  const mtaSts = createMtaSts({
    knex,
    mailHostname: 'mail.example.org',
    domainTable: 'domain',
    csrf: { secret: 'bench-secret-0123456789-0123456789-01' },
    authorize: () => true,
    domainFilter: () => null,
  });
  const app = express();
  app.use('/mta-sts', mtaSts.admin);
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/mta-sts`;
  const out: Array<{ query: string; medianMs: number; p95Ms: number }> = [];
  try {
    for (const [name, path] of QUERIES) {
      const times: number[] = [];
      for (let i = 0; i < REQUESTS + 2; i++) {
        const started = nowMs();
        const res = await fetch(`${base}${path}`);
        await res.text();
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        // The first two warm the caches (statements, templates).
        if (i >= 2) times.push(nowMs() - started);
      }
      out.push({ query: name, medianMs: round(median(times), 1), p95Ms: round(percentile(times, 95), 1) });
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return out;
}

export async function figureOverview(ctx: { temp: string; databases: string[]; report: Report }): Promise<void> {
  console.log(`\nFigure overview: the admin overview page with ${DOMAINS} domains (half checked, nine in ten published), ${REQUESTS} requests per query`);
  const figures: Record<string, unknown> = {};
  for (const kind of ['sqlite', 'mariadb'] as const) {
    let db: DbSpec;
    if (kind === 'sqlite') db = { kind, file: join(ctx.temp, 'overview.sqlite') };
    else {
      const database = `mta_sts_bench_overview_${uniqueSuffix()}`;
      await createDatabase(database);
      ctx.databases.push(database);
      db = { kind, database };
    }
    const knex = openKnex(db);
    try {
      const seeded = nowMs();
      await seed(knex);
      console.log(`  ${kind}: seeded in ${round((nowMs() - seeded) / 1000, 1)} s`);
      const results = await measure(knex);
      figures[kind] = results;
      for (const r of results) {
        console.log(`  ${kind}: ${r.query}: median ${r.medianMs} ms, p95 ${r.p95Ms} ms`);
        ctx.report.row({
          figure: 'overview',
          measure: `${kind}, ${DOMAINS} domains: ${r.query}`,
          value: `${r.medianMs} ms (p95 ${r.p95Ms} ms)`,
          goal: `<= ${GOAL_MS} ms`,
          met: r.p95Ms <= GOAL_MS,
        });
      }
    } finally {
      await knex.destroy();
    }
  }
  ctx.report.figure('overview', figures);
}
