// Issue 18, "storage and page size": four 600 KB posts stored 85,000 failure rows each, and the
// reports page became 119 MB of HTML while the summary held the event loop (and with it the policy
// file) for more than a second. Here the same data set is generated and stored directly (whatever
// the intake lets through, the read side must stay bounded), then the page and the API are asked
// while the event loop's delay is measured in this process, where the server runs.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { DB_KINDS } from '../support/db';
import { TestServer, createServer } from '../support/server';

const API = '/api/v1/mta-sts';
const REPORTS = 4;
const ROWS_PER_REPORT = 85_000;
/** The budget for one request on the reports page or the summary API. */
const LOOP_BUDGET_MS = 50;
/**
 * The control: a domain with one report of this many rows, 17 times fewer. Read in slices, its
 * requests do the same kinds of work between two turns of the loop (a slice, a fold of the kept
 * groups, a garbage collection) as those over 340,000 rows, only fewer times; work that grows with
 * the rows would hold the loop 17 times as long.
 */
const CONTROL_ROWS = 20_000;

/**
 * Stores `reports` reports (one a day from 2026-11-05) of `rows` distinct failure groups each, 4
 * sessions each, in batched inserts; the last row of the last report is the real problem, with
 * 1,000,000 sessions, after all the noise.
 */
async function storeFlood(server: TestServer, domain: string, reports: number, rows: number): Promise<void> {
  const { knex, tablePrefix: prefix } = server.db;
  const batch = server.db.kind === 'sqlite' ? 500 : 2000;
  await knex.transaction(async (trx) => {
    for (let r = 0; r < reports; r++) {
      const last = r === reports - 1;
      const day = `2026-11-0${5 + r}`;
      const [report] = await trx(`${prefix}tlsrpt_reports`)
        .insert({
          domain,
          organisation: `Flood ${r}`,
          report_id: `flood-${domain}-${r}`,
          start_at: `${day}T00:00:00Z`,
          end_at: `${day}T23:59:59Z`,
          received_at: `${day}T23:59:59Z`,
          received_via: 'https',
          success: 10,
          failure: rows * 4 + (last ? 999_996 : 0),
          report_gz: Buffer.alloc(16),
          // Stored as the intake stores now (every field of the failure rows): nothing to refill.
          failure_details: 1,
        })
        .modify((q) => {
          if (server.db.kind === 'postgres') q.returning('id');
        });
      const reportId = Number(typeof report === 'object' ? report.id : report);
      const [policy] = await trx(`${prefix}tlsrpt_policies`)
        .insert({
          report: reportId,
          domain,
          day,
          policy_type: 'sts',
          fingerprint: 'testing|86400|mx.example.org',
          mx: 'mx.example.org',
          success: 10,
          failure: rows * 4 + (last ? 999_996 : 0),
        })
        .modify((q) => {
          if (server.db.kind === 'postgres') q.returning('id');
        });
      const policyId = Number(typeof policy === 'object' ? policy.id : policy);
      for (let i = 0; i < rows; i += batch) {
        const values = [];
        for (let j = i; j < Math.min(i + batch, rows); j++) {
          const real = last && j === rows - 1;
          values.push({
            report: reportId,
            policy: policyId,
            domain,
            day,
            result_type: real ? 'certificate-expired' : 'certificate-host-mismatch',
            receiving_mx_hostname: real ? 'mx.example.org' : `mx-${r}-${j}.flood.example`,
            receiving_ip: `10.${r}.${(j >> 8) & 255}.${j & 255}`,
            sessions: real ? 1_000_000 : 4,
          });
        }
        await trx(`${prefix}tlsrpt_failures`).insert(values);
      }
    }
  });
}

/**
 * Runs `request` while a 2 ms timer probes the event loop, and answers the longest time the loop
 * was held between two ticks of the probe: the smaller of two upper bounds of the main thread's
 * work, the loop's active time (performance.eventLoopUtilization, which also counts waiting for a
 * core) and the process's CPU time (process.cpuUsage, which also counts the garbage collector's
 * helper threads). Not the wall-clock gap between ticks, reported too: on a shared machine (this
 * one runs eight test sessions on two cores) the process also waits for a core.
 */
async function measured(request: () => PromiseLike<{ status: number; text: string }>) {
  // Twice, keeping the smaller hold: a pause of the garbage collector for the test's own data (the
  // 340,000 rows it inserted) can land in any one run, and is not the request's work.
  const first = await measuredOnce(request);
  const second = await measuredOnce(request);
  return second.loopMs < first.loopMs ? second : first;
}

async function measuredOnce(request: () => PromiseLike<{ status: number; text: string }>) {
  let loopMs = 0;
  let wallMs = 0;
  let cpu = process.cpuUsage();
  let elu = performance.eventLoopUtilization();
  let tick = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const probe = () => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    const active = performance.eventLoopUtilization(elu).active;
    loopMs = Math.max(loopMs, Math.min(active, (used.user + used.system) / 1000));
    wallMs = Math.max(wallMs, now - tick);
    cpu = process.cpuUsage();
    elu = performance.eventLoopUtilization();
    tick = now;
    timer = setTimeout(probe, 2);
  };
  timer = setTimeout(probe, 2);
  const started = performance.now();
  const res = await request();
  const ms = performance.now() - started;
  clearTimeout(timer);
  probe();
  clearTimeout(timer);
  const figures = { res, loopMs, wallMs, bytes: Buffer.byteLength(res.text ?? ''), ms };
  // REPORT_FIGURES=1 prints each request's figures (for the measurements in docs/performance.md).
  if (process.env.REPORT_FIGURES)
    console.log(`      ${figures.bytes} bytes, ${ms.toFixed(0)} ms, loop held ${loopMs.toFixed(1)} ms (wall-clock gap ${wallMs.toFixed(0)} ms)`);
  return figures;
}

for (const kind of DB_KINDS) {
  describe(`the reports page and summary API with 340,000 stored failure rows (${kind})`, function () {
    // Minutes on a loaded machine: the page is asked three times over 340,000 rows.
    this.timeout(600_000);
    let server: TestServer;
    const clock = new Date('2026-11-10T12:00:00Z');
    /**
     * The budget: 50 ms, or five times the longest hold of the same requests on the control domain
     * when this machine is slower than that right now (a CI machine shared with other jobs held the
     * last page 3x the control). Work that grows with the rows would hold the loop 17 times as long.
     */
    let budget = LOOP_BUDGET_MS;
    let control = 0;

    before(async () => {
      server = await createServer({ db: kind, plugin: { now: () => clock } });
      for (const domain of ['example.org', 'example.com']) {
        await server.put(domain, { mode: 'testing', mx: [`mx.${domain}`], maxAge: 86400, active: true });
      }
      await storeFlood(server, 'example.org', REPORTS, ROWS_PER_REPORT);
      await storeFlood(server, 'example.com', 1, CONTROL_ROWS);
      for (let i = 0; i < 4; i++) {
        const page = await measured(() => server.request().get(`${server.adminPath}/example.com/reports?days=30`));
        const api = await measured(() => server.request().get(`${API}/example.com/reports?from=2026-11-01&to=2026-11-30&limit=100`));
        assert.match(page.res.text, /1000000 sessions/);
        assert.equal(JSON.parse(api.res.text).failures[0].sessions, 1_000_000);
        control = Math.max(control, page.loopMs, api.loopMs);
      }
      budget = Math.max(LOOP_BUDGET_MS, 5 * control);
    });
    after(async () => {
      await server?.close();
    });

    it('answers the page in bounded HTML, with page links, without holding the event loop', async () => {
      const first = await measured(() => server.request().get(`${server.adminPath}/example.org/reports?days=30`));
      assert.equal(first.res.status, 200);
      assert.ok(
        first.bytes < 300_000,
        `the page is ${first.bytes} bytes (${first.ms.toFixed(0)} ms, event loop held ${first.loopMs.toFixed(0)} ms, control ${control.toFixed(0)} ms)`,
      );
      assert.ok(
        first.loopMs < budget,
        `the event loop was held ${first.loopMs.toFixed(1)} ms, control ${control.toFixed(1)} ms (${first.wallMs.toFixed(0)} ms wall-clock; page of ${first.bytes} bytes in ${first.ms.toFixed(0)} ms)`,
      );
      // The real failure is first, ahead of the noise, and explained.
      // (Rows stored without organisation and sending IP: their cells empty.)
      assert.match(
        first.res.text,
        /<tbody><tr><td class="font-monospace">certificate-expired<\/td><td data-organisation><\/td><td class="font-monospace"><\/td><td class="font-monospace text-break">mx\.example\.org</,
      );
      assert.match(first.res.text, /The certificate of mx\.example\.org had expired \(1000000 sessions\)/);
      const failureRows = /<table class="table table-sm mb-3" data-failures>[^]*?<\/table>/.exec(first.res.text)?.[0] ?? '';
      assert.equal((failureRows.match(/<tr>/g) ?? []).length, 51, 'a header and one page of 50 failure groups');
      assert.match(first.res.text, /<nav aria-label="Pages of the report lists"/);
      assert.match(first.res.text, /<a class="page-link" href="[^"]*\/example\.org\/reports\?days=30&amp;page=2" rel="next">Next<\/a>/);
      const second = await measured(() => server.request().get(`${server.adminPath}/example.org/reports?days=30&page=2`));
      assert.equal(second.res.status, 200);
      assert.ok(second.loopMs < budget, `page 2 held the event loop ${second.loopMs.toFixed(1)} ms, control ${control.toFixed(1)} ms`);
      const secondRows = /<table class="table table-sm mb-3" data-failures>[^]*?<\/table>/.exec(second.res.text)?.[0] ?? '';
      assert.equal((secondRows.match(/<tr>/g) ?? []).length, 51);
      assert.doesNotMatch(secondRows, /certificate-expired/);
      assert.match(second.res.text, /rel="prev">Previous</);
      const german = await server.request().get(`${server.adminPath}/example.org/reports?days=30&page=2`).set('Accept-Language', 'de');
      assert.match(german.text, /rel="prev">Zurück</);
      assert.match(german.text, /Seite 2 von \d+/);
      const bad = await server.request().get(`${server.adminPath}/example.org/reports?page=0`);
      assert.equal(bad.status, 400);
      assert.match(bad.text, /page must be a whole number from 1 to 100/);
    });

    it('answers the summary API in pages of at most the limit, without holding the event loop', async () => {
      const all = await measured(() => server.request().get(`${API}/example.org/reports?from=2026-11-01&to=2026-11-30&limit=100`));
      assert.equal(all.res.status, 200, all.res.text.slice(0, 200));
      assert.ok(
        all.bytes < 200_000,
        `the summary is ${all.bytes} bytes (${all.ms.toFixed(0)} ms, event loop held ${all.loopMs.toFixed(0)} ms, control ${control.toFixed(0)} ms)`,
      );
      assert.ok(
        all.loopMs < budget,
        `the event loop was held ${all.loopMs.toFixed(1)} ms, control ${control.toFixed(1)} ms (${all.wallMs.toFixed(0)} ms wall-clock; summary of ${all.bytes} bytes in ${all.ms.toFixed(0)} ms)`,
      );
      const body = JSON.parse(all.res.text);
      assert.equal(body.failures.length, 100);
      assert.deepEqual(body.failures[0], {
        resultType: 'certificate-expired',
        receivingMxHostname: 'mx.example.org',
        receivingIp: '10.3.76.7',
        sendingMtaIp: null,
        receivingMxHelo: null,
        failureReasonCode: null,
        additionalInformation: null,
        organisation: null,
        sessions: 1_000_000,
      });
      assert.equal(body.days.length, 30);
      assert.equal(
        body.days.reduce((sum: number, d: { failure: number }) => sum + d.failure, 0),
        REPORTS * ROWS_PER_REPORT * 4 + 999_996,
      );
      assert.deepEqual([body.page, body.limit, body.more], [1, 100, true]);
      if (kind !== 'postgres') {
        // SQLite and MariaDB: read in slices: at most 10,000 groups are kept, the smallest folded into a count.
        assert.ok(body.totals.failures <= 10_000 && body.folded.failures > 0, JSON.stringify([body.totals, body.folded]));
      } else {
        // PostgreSQL groups in one statement, one page at a time: every group counted.
        assert.deepEqual([body.totals.failures, body.folded.failures], [REPORTS * ROWS_PER_REPORT, 0]);
      }
      const lastPage = Math.min(100, Math.ceil(body.totals.failures / 100));
      const last = await measured(() => server.request().get(`${API}/example.org/reports?from=2026-11-01&to=2026-11-30&limit=100&page=${lastPage}`));
      assert.equal(last.res.status, 200);
      assert.ok(last.loopMs < budget, `the last page held the event loop ${last.loopMs.toFixed(1)} ms, control ${control.toFixed(1)} ms`);
      assert.equal(JSON.parse(last.res.text).failures.length, Math.min(100, body.totals.failures - (lastPage - 1) * 100));
      for (const [query, field, rule] of [
        ['page=0', 'page', 'page must be a whole number from 1 to 100'],
        ['page=101', 'page', 'page must be a whole number from 1 to 100'],
        ['limit=101', 'limit', 'limit must be a whole number from 1 to 100'],
        ['limit=ten', 'limit', 'limit must be a whole number from 1 to 100'],
      ]) {
        const bad = await server.request().get(`${API}/example.org/reports?${query}`);
        assert.equal(bad.status, 400, query);
        assert.deepEqual([bad.body.errors[0].field, bad.body.errors[0].message], [field, rule], query);
      }
    });
  });
}
