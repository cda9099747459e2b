// Figure 3: DNS Check latency. The check asks all its lookups at once, so with every answer
// delayed by 100 ms it should take about as long as its slowest single lookup; with a resolver
// that never answers, about its configured timeout. The https and smtp probes are disabled: they
// test TLS on port 443/25, not DNS, and would only add a local TLS handshake.
import { join } from 'node:path';
import { createMtaSts, type DnsCheckResult } from '../../src';
import { CHECK_NAMES } from '../../src/check';
import { caaNames } from '../../src/check/verdicts/caa';
import { createResolver, type RecordType } from '../../src/dns';
import { MAIL_HOSTNAME, MAIN_DOMAIN, activateAll, domainNames, openKnex, seedHost } from '../lib/data';
import type { Report } from '../lib/report';
import { median, nowMs, round, start } from '../lib/util';
import { sized } from '../lib/mode';

const DELAY_MS = 100;
const LIVE_ROUNDS = sized(5, 1);
const DEAD_ROUNDS = sized(3, 1);
const TIMEOUT_MS = sized(1000, 500);

/** Every lookup the check makes for a domain whose MX host is the mail host. */
const LOOKUPS: Array<[string, RecordType]> = [
  [`_mta-sts.${MAIN_DOMAIN}`, 'TXT'],
  [MAIN_DOMAIN, 'TXT'],
  [`mta-sts.${MAIN_DOMAIN}`, 'CNAME'],
  [`mta-sts.${MAIN_DOMAIN}`, 'A'],
  [`mta-sts.${MAIN_DOMAIN}`, 'AAAA'],
  [MAIL_HOSTNAME, 'A'],
  [MAIL_HOSTNAME, 'AAAA'],
  [MAIN_DOMAIN, 'MX'],
  [`_smtp._tls.${MAIN_DOMAIN}`, 'TXT'],
  [`_25._tcp.${MAIL_HOSTNAME}`, 'TLSA'],
  // CAA of the policy host and its parents: the first follows the host's CNAME (RFC 8659), so it
  // takes two answers, and is the slowest lookup of the check.
  ...caaNames(MAIN_DOMAIN).map((name): [string, RecordType] => [name, 'CAA']),
];

export async function figureDnsLatency(ctx: { temp: string; report: Report }): Promise<void> {
  const { report } = ctx;
  console.log(`\nFigure 3: DNS Check latency (answers delayed ${DELAY_MS} ms; then a resolver that never answers)`);
  const dns = start('dns', join(__dirname, '..', 'servers', 'dns.js'), { domains: 1, engine: 'test' });
  const address = String((await dns.next('ready')).address);
  const knex = openKnex({ kind: 'sqlite', file: join(ctx.temp, 'dns-check.sqlite') });
  try {
    await seedHost(knex, domainNames(1));
    const plugin = (retries: number) =>
      createMtaSts({
        knex,
        mailHostname: MAIL_HOSTNAME,
        dns: { servers: [address], timeoutMs: TIMEOUT_MS, retries },
        dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
      });
    const live = plugin(0);
    await live.migrate();
    await activateAll(knex);
    const resolver = createResolver({ servers: [address], timeoutMs: TIMEOUT_MS, retries: 0 });

    // Live: every lookup answered after 100 ms.
    await dns.ask({ type: 'delay', ms: DELAY_MS }, 'done');
    const liveRounds: Array<{ slowestLookupMs: number; slowest: string; checkMs: number; ratio: number }> = [];
    let lastLive: DnsCheckResult | null = null;
    for (let r = 0; r < LIVE_ROUNDS; r++) {
      let slowestLookupMs = 0;
      let slowest = '';
      for (const [name, type] of LOOKUPS) {
        const t0 = nowMs();
        const answer = await resolver.lookup(name, type);
        const ms = nowMs() - t0;
        // No CAA anywhere is the zone's answer (nothing restricts issuance), not a failure.
        if (!answer.ok && answer.failure !== 'nodata' && answer.failure !== 'nxdomain')
          throw new Error(`bench zone: ${name} ${type} failed: ${answer.message}`);
        if (ms > slowestLookupMs) [slowestLookupMs, slowest] = [ms, `${name} ${type}`];
      }
      const t0 = nowMs();
      lastLive = await live.dnsCheck(MAIN_DOMAIN);
      const checkMs = nowMs() - t0;
      liveRounds.push({ slowestLookupMs: round(slowestLookupMs), slowest, checkMs: round(checkMs), ratio: round(checkMs / slowestLookupMs, 3) });
      console.log(`  live round ${r + 1}: check ${checkMs.toFixed(0)} ms, slowest single lookup ${slowestLookupMs.toFixed(0)} ms (${slowest})`);
    }
    const statuses = Object.fromEntries((lastLive?.checks ?? []).map((c) => [c.name, c.status]));
    // The bench zone is unsigned: its TLSA record is there to time the lookup, and the DANE part then
    // warns that senders ignore it (dane.unsigned), which is true and no fault of the bench.
    const bad = Object.entries(statuses).filter(
      ([name, status]) =>
        (status === 'error' || status === 'warning') && !(name === 'dane' && lastLive?.checks.find((c) => c.name === 'dane')?.code === 'dane.unsigned'),
    );
    if (bad.length > 0) throw new Error(`the live DNS Check found problems in the bench zone: ${JSON.stringify(lastLive)}`);

    // Dead: the resolver drops every query.
    await dns.ask({ type: 'delay', ms: 0 }, 'done');
    await dns.ask({ type: 'fault', fault: 'drop' }, 'done');
    const dead: Record<string, Array<{ checkMs: number; deadlineMs: number; ratio: number }>> = {};
    for (const retries of [0, 1]) {
      const instance = plugin(retries);
      const deadlineMs = TIMEOUT_MS * (retries + 1);
      const key = `retries${retries}`;
      dead[key] = [];
      for (let r = 0; r < DEAD_ROUNDS; r++) {
        const t0 = nowMs();
        const result = await instance.dnsCheck(MAIN_DOMAIN);
        const checkMs = nowMs() - t0;
        const dnsChecks = (result?.checks ?? []).filter((c) => !['policy', 'https', 'mx-tls'].includes(c.name));
        if (result?.checks.length !== CHECK_NAMES.length || dnsChecks.some((c) => c.status !== 'error' && c.status !== 'info')) {
          throw new Error(`a dead resolver should give a complete result of errors: ${JSON.stringify(result)}`);
        }
        dead[key].push({ checkMs: round(checkMs), deadlineMs, ratio: round(checkMs / deadlineMs, 3) });
        console.log(`  dead resolver (timeout ${TIMEOUT_MS} ms, ${retries} retries): check ${checkMs.toFixed(0)} ms`);
      }
    }

    const liveRatio = median(liveRounds.map((r) => r.ratio));
    report.row({
      figure: '3 DNS Check',
      measure: `check, answers delayed ${DELAY_MS} ms (probes disabled)`,
      value: `${median(liveRounds.map((r) => r.checkMs)).toFixed(0)} ms`,
      reference: `slowest lookup ${median(liveRounds.map((r) => r.slowestLookupMs)).toFixed(0)} ms`,
      ratio: `${liveRatio.toFixed(2)}x`,
      goal: '<= 1.5x',
      met: liveRatio <= 1.5,
    });
    for (const retries of [0, 1]) {
      const rows = dead[`retries${retries}`];
      const ratio = median(rows.map((r) => r.ratio));
      report.row({
        figure: '3 DNS Check',
        measure: `check, resolver never answers, ${retries} ${retries === 1 ? 'retry' : 'retries'}`,
        value: `${median(rows.map((r) => r.checkMs)).toFixed(0)} ms`,
        reference: retries === 0 ? `timeout ${TIMEOUT_MS} ms` : `timeout ${TIMEOUT_MS} ms x 2 tries`,
        ratio: `${ratio.toFixed(2)}x`,
        goal: '<= 1.1x',
        met: ratio <= 1.1,
      });
    }
    report.figure('3-dns-check-latency', {
      probes: 'https and smtp probes disabled (dnsCheck.https/smtp.enabled = false)',
      delayMs: DELAY_MS,
      timeoutMs: TIMEOUT_MS,
      lookups: LOOKUPS.map(([n, t]) => `${n} ${t}`),
      live: { rounds: liveRounds, medianRatio: liveRatio, statuses },
      dead,
    });
  } finally {
    await knex.destroy();
    await dns.stop();
  }
}
