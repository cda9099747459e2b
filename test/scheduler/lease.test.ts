// Two `mta-sts serve` processes on one database run the scheduled DNS Checks one at a time: a
// condition gives one alert, not one per instance; when the instance holding the lease is killed
// (SIGKILL: no release, no goodbye), the other takes the lease over within its period and runs the
// schedule, and alerts only what was not told yet.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import knexFactory, { type Knex } from 'knex';
import { cli, postfixAdminDb, serve, type PanelDb, type Served } from '../support/standalone';

const LEASE_SECONDS = 2;
const REPLY_DELAY_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Alert {
  domain: string;
  condition: string;
  state: string;
}

/** The instance's gauge `mta_sts_scheduler_active` from its metrics port. */
async function active(server: Served): Promise<number> {
  const text = await (await fetch(server.metricsUrl as string)).text();
  return Number(/^mta_sts_scheduler_active (\d)$/m.exec(text)?.[1] ?? NaN);
}

/** Polls `test` every 100 ms until it is true, at most `ms`. */
async function until(test: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = performance.now() + ms; performance.now() < end; await sleep(100)) if (await test()) return true;
  return test();
}

for (const kind of ['sqlite', 'mariadb', 'postgres'] as const) {
  describe(`two mta-sts serve on one ${kind} database: one scheduler`, function () {
    this.timeout(120_000);
    let dir: string;
    let hook: Server;
    let panel: PanelDb | null = null;
    let knex: Knex;
    const alerts: Alert[] = [];
    const servers: Served[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'mta-sts-lease-'));
      hook = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const payload = JSON.parse(body) as Alert;
          alerts.push({ domain: payload.domain, condition: payload.condition, state: payload.state });
          // A slow receiver keeps a run busy before it can store what it told: two instances running
          // the schedule at once would then both send (as with many domains, where a run takes minutes).
          setTimeout(() => res.writeHead(204).end(), REPLY_DELAY_MS);
        });
      });
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      for (const server of servers) await server.stop();
      await knex?.destroy();
      await panel?.drop();
      await new Promise<void>((resolve) => hook.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('sends each alert once, and after the holder is killed the other takes over within the lease period', async () => {
      const file = join(dir, 'panel.sqlite');
      if (kind !== 'sqlite') panel = await postfixAdminDb(kind, ['example.org', 'example.net']);
      const base =
        kind === 'sqlite'
          ? ['--database', `sqlite:${file}`, '--dns-servers', '127.0.0.1:9']
          : ['--database', (panel as PanelDb).url, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', '--dns-servers', '127.0.0.1:9'];
      const env = {
        ...(kind === 'sqlite' ? { MTA_STS_EMBEDDED: 'yes', DEMO_DOMAINS: 'example.org,example.net' } : {}),
        MTA_STS_ALERT_WEBHOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
        MTA_STS_CHECK_INTERVAL_MINUTES: '60',
        MTA_STS_CHECK_LEASE_SECONDS: String(LEASE_SECONDS),
        LOG_LEVEL: 'info',
        METRICS_PORT: '0',
      };
      knex =
        kind === 'sqlite'
          ? knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true })
          : knexFactory(kind === 'mariadb' ? { client: 'mysql2', connection: (panel as PanelDb).url } : { client: 'pg', connection: (panel as PanelDb).url });
      // The tables first (the embedded database by a first start, a panel's by `migrate`), then one served policy
      // whose host does not resolve: the condition `policy-unreachable` (and whatever else the check finds).
      if (kind === 'sqlite') {
        const first = await serve(base, { ...env, MTA_STS_CHECK_INTERVAL_MINUTES: '0', ADMIN_PASSWORD: 'a long enough password' }, dir);
        assert.equal(await first.stop(), 0, first.output());
      } else {
        const migrate = await cli([...base, 'migrate']);
        assert.equal(migrate.code, 0, migrate.stderr);
      }
      const set = await cli([...base, 'set', 'example.org', '--mode', 'testing', '--mx', 'mail.example.org', '--active', 'yes']);
      assert.equal(set.code, 0, set.stderr);

      servers.push(...(await Promise.all([serve(base, env, dir), serve(base, env, dir)])));
      const outputs = () => servers.map((s, i) => `--- instance ${i} ---\n${s.output()}`).join('\n');
      const holder = async () => (await knex('mta_sts_leases').where({ name: 'scheduled-checks' }).first<{ holder: string } | undefined>('holder'))?.holder;
      assert.ok(await until(() => alerts.length > 0, 30_000), `no alert arrived:\n${outputs()}`);
      // Both schedulers are up; the one without the lease never runs: a while of several lease periods sends nothing more.
      await sleep(3 * LEASE_SECONDS * 1000);
      const first = alerts.map((a) => `${a.domain} ${a.condition} ${a.state}`);
      assert.ok(
        first.every((a) => a.startsWith('example.org ')),
        first.join(', '),
      );
      assert.equal(new Set(first).size, first.length, `one alert per condition, not one per instance: ${first.join(', ')}`);

      // A second condition, on a domain not checked yet; then the holder dies without a word.
      const set2 = await cli([...base, 'set', 'example.net', '--mode', 'testing', '--mx', 'mail.example.net', '--active', 'yes']);
      assert.equal(set2.code, 0, set2.stderr);
      const held = (await holder()) ?? '';
      const victim = servers.find((s) => held.split('/')[1] === String(s.proc.pid));
      assert.ok(victim, `the lease names one of the two instances: ${held}`);
      const survivor = servers.find((s) => s !== victim) as Served;
      assert.deepEqual([await active(victim), await active(survivor)], [1, 0], 'the metrics say which instance runs the checks');
      const killedAt = performance.now();
      victim.proc.kill('SIGKILL');
      assert.ok(await until(async () => ((await holder()) ?? '').split('/')[1] === String(survivor.proc.pid), 30_000), `no takeover:\n${outputs()}`);
      const takeoverMs = Math.round(performance.now() - killedAt);
      assert.ok(await until(() => alerts.some((a) => a.domain === 'example.net'), 30_000), `the survivor sent no alert:\n${outputs()}`);
      await sleep(LEASE_SECONDS * 1000);
      // The figure the issue asks for, printed where the run is read.
      console.log(`      takeover on ${kind} after SIGKILL of the holder: ${takeoverMs} ms (lease ${LEASE_SECONDS} s)`);

      const all = alerts.map((a) => `${a.domain} ${a.condition} ${a.state}`);
      assert.equal(new Set(all).size, all.length, `each condition alerted once over the takeover: ${all.join(', ')}`);
      assert.deepEqual(
        all.filter((a) => a.startsWith('example.org ')),
        first,
        'the survivor did not tell again what the dead holder had told',
      );
      // Within the lease period and one renewal interval, with slack for a busy machine.
      assert.ok(takeoverMs < LEASE_SECONDS * 1000 * 1.25 + 5000, `takeover after ${takeoverMs} ms`);
      assert.match(survivor.output(), /this instance holds the scheduled-checks lease/);
      assert.equal(await active(survivor), 1);
    });
  });
}
