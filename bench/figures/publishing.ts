// Figure 10: DNS publishing against a real BIND on loopback (the tests' start-up, TSIG-signed
// RFC 2136 updates). A panel database (SQLite, postfixadmin's tables) of DOMAINS domains with a
// saved policy, spread over ZONES zones of BIND:
// (b) `mta-sts publish --all` from scratch: every record created, one UPDATE message per zone and
//     batch; wall time and the command's CPU time (/usr/bin/time);
// (c) the same command again with nothing changed: the drift check, reads only;
// (a) `mta-sts serve --dns-update`, a policy saved through its API: from the save's answer to the
//     new id answered by BIND, several rounds.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory from 'knex';
import { COLUMNS } from '../../src/store/columns';
import { askTxt, startBind, type TestBind } from '../../test/support/dns-primaries';
import { CLI, ROOT, serve, type Served } from '../../test/support/standalone';
import { MAIL_HOSTNAME, POLICY, POLICY_ID } from '../lib/data';
import { request } from '../lib/http';
import type { Report } from '../lib/report';
import { median, nowMs, round, sleep } from '../lib/util';
import { sized } from '../lib/mode';

const DOMAINS = sized(10_000, 200);
const ZONES = sized(100, 4);
const ROUNDS = sized(20, 3);
const API_KEY = 'bench-publish-key-0123456789abcdef';

const zoneName = (z: number) => `z${z}.bench.test`;
const domainName = (i: number) => `d${i}.${zoneName(i % ZONES)}`;

interface Timed {
  code: number | null;
  stderr: string;
  seconds: number;
  cpuSeconds: number;
}

/** `mta-sts <args>` under /usr/bin/time: its wall time, and its user + system CPU time. */
function timedCli(args: string[], env: NodeJS.ProcessEnv, timeFile: string): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const proc = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%U %S', process.execPath, CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      const seconds = (nowMs() - t0) / 1000;
      const [user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      resolve({ code, stderr, seconds, cpuSeconds: user + system });
    });
  });
}

export async function figurePublishing(ctx: { temp: string; report: Report }): Promise<void> {
  const { temp, report } = ctx;
  console.log(`\nFigure 10: DNS publishing to BIND on loopback: ${DOMAINS.toLocaleString('en')} domains in ${ZONES} zones, ${ROUNDS} saves`);
  const file = join(temp, 'publishing.sqlite');
  const base = ['--database', `sqlite:${file}`, '--preset', 'postfixadmin', '--mail-hostname', MAIL_HOSTNAME];
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
  let bind: TestBind | null = null;
  let server: Served | null = null;
  try {
    await knex.schema.createTable('domain', (t) => {
      t.string('domain', 255).primary();
      t.boolean('active').notNullable().defaultTo(true);
    });
    await knex.schema.createTable('alias_domain', (t) => {
      t.string('alias_domain', 255).primary();
      t.string('target_domain', 255).notNullable();
      t.boolean('active').notNullable().defaultTo(true);
    });
    const names = Array.from({ length: DOMAINS }, (_, i) => domainName(i));
    for (let i = 0; i < names.length; i += 500) await knex('domain').insert(names.slice(i, i + 500).map((domain) => ({ domain, active: true })));
    const migrated = await timedCli([...base, 'migrate'], {}, join(temp, 'publishing-time'));
    if (migrated.code !== 0) throw new Error(`mta-sts migrate: ${migrated.stderr}`);
    // Every domain with a saved, active policy, as if each had been saved once.
    await knex('domain').update({
      [COLUMNS.active]: true,
      [COLUMNS.version]: POLICY.version,
      [COLUMNS.mode]: POLICY.mode,
      [COLUMNS.maxAge]: POLICY.maxAge,
      [COLUMNS.mx]: POLICY.mx.join(','),
      [COLUMNS.id]: POLICY_ID,
      [COLUMNS.updatedAt]: '2026-11-28T00:00:00.000Z',
      [COLUMNS.revision]: 1,
    });
    const t0 = nowMs();
    bind = await startBind(Object.fromEntries(Array.from({ length: ZONES }, (_, z) => [zoneName(z), ''])));
    console.log(`  BIND with ${ZONES} zones up in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
    const env = { MTA_STS_DNS_UPDATE: `rfc2136://127.0.0.1:${bind.port}`, MTA_STS_TSIG_KEY: bind.tsigKey };
    const publish = (...extra: string[]) => timedCli([...base, 'publish', '--all', '--verify-seconds', '0', ...extra], env, join(temp, 'publishing-time'));

    // (b) from scratch.
    const first = await publish();
    const created = /create (\d+), update (\d+), delete (\d+) at \S+: (\d+) applied, (\d+) failed/.exec(first.stderr);
    const applied = created ? Number(created[4]) : 0;
    console.log(
      `  publish --all from scratch: ${first.seconds.toFixed(1)} s, CPU ${first.cpuSeconds.toFixed(1)} s, exit ${first.code}: ${first.stderr.trim().split('\n').pop()}`,
    );
    const sample = await askTxt(bind.port, `_mta-sts.${domainName(DOMAINS - 1)}`);
    const sampleOk = sample.some((parts) => parts.join('') === `v=STSv1; id=${POLICY_ID}`);
    report.row({
      figure: '10 DNS publishing',
      measure: `publish --all, ${DOMAINS.toLocaleString('en')} domains from scratch (${ZONES} zones, one UPDATE per zone and batch of 100)`,
      value: `${first.seconds.toFixed(1)} s (CPU ${first.cpuSeconds.toFixed(1)} s)`,
      reference: `${applied.toLocaleString('en')} records created`,
      goal: '<= 60 s',
      met: first.code === 0 && applied === DOMAINS && sampleOk && first.seconds <= 60,
    });

    // (c) nothing changed: every record read, none written.
    const second = await publish();
    const nothing = /nothing to do: (\d+) of (\d+) records are published as wanted/.exec(second.stderr);
    console.log(
      `  publish --all again (nothing changed): ${second.seconds.toFixed(1)} s, CPU ${second.cpuSeconds.toFixed(1)} s, exit ${second.code}: ${second.stderr.trim().split('\n').pop()}`,
    );
    report.row({
      figure: '10 DNS publishing',
      measure: `drift check, ${DOMAINS.toLocaleString('en')} domains, nothing changed (reads only)`,
      value: `${second.seconds.toFixed(1)} s (CPU ${second.cpuSeconds.toFixed(1)} s)`,
      reference: nothing ? `${Number(nothing[1]).toLocaleString('en')} of ${Number(nothing[2]).toLocaleString('en')} as wanted` : 'no "nothing to do"',
      goal: '<= 30 s',
      met: second.code === 0 && nothing !== null && nothing[1] === nothing[2] && Number(nothing[1]) >= DOMAINS && second.seconds <= 30,
    });

    // (a) one save through the API of `mta-sts serve --dns-update`, until BIND answers the new id.
    server = await serve(base, { ...env, API_KEY, MTA_STS_DNS_REPAIR_MINUTES: '0', MTA_STS_CHECK_INTERVAL_MINUTES: '0' });
    const domain = domainName(0);
    const lags: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const saved = await request(`${server.base}/api/v1/mta-sts/${domain}`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY },
        body: JSON.stringify({ maxAge: POLICY.maxAge + 1 + (r % 2) }),
      });
      const answeredAt = nowMs();
      const id = saved.status === 200 ? (JSON.parse(saved.body) as { id?: string }).id : undefined;
      if (!id) throw new Error(`saving ${domain}: ${saved.status} ${saved.body.slice(0, 300)}`);
      for (;;) {
        const held = await askTxt(bind.port, `_mta-sts.${domain}`);
        if (held.some((parts) => parts.join('') === `v=STSv1; id=${id}`)) break;
        if (nowMs() - answeredAt > 10_000) throw new Error(`the id ${id} of ${domain} is not at BIND after 10 s: ${server.output().slice(-2000)}`);
        await sleep(5);
      }
      lags.push(nowMs() - answeredAt);
      // A new id needs a new second (ids are timestamps): each save waits for the next.
      await sleep(1000 - (Date.now() % 1000) + 20);
    }
    const worst = Math.max(...lags);
    console.log(`  save to BIND: p50 ${median(lags).toFixed(0)} ms, max ${worst.toFixed(0)} ms over ${ROUNDS} saves`);
    report.row({
      figure: '10 DNS publishing',
      measure: `one save through the API of serve --dns-update, until BIND answers the new id (${DOMAINS.toLocaleString('en')} domains)`,
      value: `p50 ${median(lags).toFixed(0)} ms, max ${worst.toFixed(0)} ms (${ROUNDS} saves)`,
      goal: '<= 2 s',
      met: worst <= 2000,
    });
    report.figure('10-dns-publishing', {
      domains: DOMAINS,
      zones: ZONES,
      fromScratch: { seconds: round(first.seconds, 2), cpuSeconds: round(first.cpuSeconds, 2), applied, exit: first.code },
      nothingChanged: { seconds: round(second.seconds, 2), cpuSeconds: round(second.cpuSeconds, 2), exit: second.code },
      saveToBindMs: lags.map((ms) => round(ms, 1)),
    });
  } finally {
    await server?.stop();
    await bind?.close();
    await knex.destroy();
  }
}
