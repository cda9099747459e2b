// The scheduled DNS Checks end to end: a fake resolver decides what DNS says, a clock decides the
// time, a loopback SMTP sink (without STARTTLS, and without a password: mail goes as between
// mail servers) and a loopback HTTP server receive the alerts.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import type { LookupResult, RecordType, Resolver } from '../../src';
import { createMtaSts, SIGNATURE_HEADER } from '../../src';
import { DB_KINDS } from '../support/db';
import { smtpSink } from '../support/smtp-sink';
import { createServer, MAIL_HOSTNAME, type TestServer } from '../support/server';

const DAY = 86_400_000;
const SECRET = 'webhook-secret-0123456789';

/** What DNS says for each domain: the published id and the MX host. */
interface Zone {
  id: string;
  mx: string;
}

function fakeResolver(zones: Map<string, Zone>): Resolver {
  return {
    servers: ['127.0.0.1:53'],
    timeoutMs: 1000,
    async lookup<T extends RecordType>(name: string, type: T): Promise<LookupResult<T>> {
      const fail = { ok: false, name, type, failure: 'nxdomain', message: 'no such name', cnames: [] } as unknown as LookupResult<T>;
      const ok = (records: unknown) => ({ ok: true, name, type, records, cnames: [], server: '127.0.0.1:53' }) as unknown as LookupResult<T>;
      const sts = /^_mta-sts\.(.+)$/.exec(name);
      if (sts && type === 'TXT') {
        const zone = zones.get(sts[1]);
        return zone ? ok([`v=STSv1; id=${zone.id}`]) : fail;
      }
      const zone = zones.get(name);
      if (zone && type === 'MX') return ok([{ exchange: zone.mx, preference: 10 }]);
      if (type === 'A' && (name === zones.get(name.replace(/^[^.]+\./, ''))?.mx || name.startsWith('mta-sts.'))) return ok(['192.0.2.1']);
      return fail;
    },
  };
}

/** An HTTP server on loopback that accepts a POST only with a valid signature. */
async function webhookSink(): Promise<{
  server: HttpServer;
  url: string;
  received: Array<Record<string, unknown>>;
  rejected: number;
  failNext: { count: number };
}> {
  const received: Array<Record<string, unknown>> = [];
  const state = { rejected: 0 };
  const failNext = { count: 0 };
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
      if (req.headers[SIGNATURE_HEADER.toLowerCase()] !== expected || req.headers['content-type']?.startsWith('application/json') !== true) {
        state.rejected += 1;
        res.writeHead(401).end();
        return;
      }
      if (failNext.count > 0) {
        failNext.count -= 1;
        res.writeHead(503).end();
        return;
      }
      received.push(JSON.parse(raw.toString('utf8')) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    get rejected() {
      return state.rejected;
    },
    failNext,
  };
}

/** A received message with its quoted-printable body decoded (nodemailer's choice for non-ASCII text). */
function decoded(message: string): string {
  const soft = message.replace(/=\r\n/g, '');
  return Buffer.from(
    soft.replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

for (const kind of DB_KINDS)
  describe(`scheduled checks and alerts (${kind})`, function () {
    this.timeout(30_000);
    let server: TestServer;
    let smtp: Awaited<ReturnType<typeof smtpSink>>;
    let hook: Awaited<ReturnType<typeof webhookSink>>;
    const zones = new Map<string, Zone>();
    let clock = Date.parse('2026-12-01T08:00:00Z');
    const errors: string[] = [];
    const pluginOptions = () => ({
      logger: { error: (text: string) => errors.push(text), warn: () => undefined, info: () => undefined },
      resolver: fakeResolver(zones),
      now: () => new Date(clock),
      alerts: {
        locale: 'de' as const,
        email: { to: 'admin@example.net', smtp: { host: '127.0.0.1', port: smtp.port } },
        webhook: { url: hook.url, secret: SECRET },
      },
    });

    before(async () => {
      smtp = await smtpSink();
      hook = await webhookSink();
      server = await createServer({ db: kind, plugin: pluginOptions() });
      for (const domain of ['example.org', 'example.com']) {
        await server.setPolicy(domain, { active: true, mode: 'testing', mx: [MAIL_HOSTNAME], maxAge: 604800, id: `id${domain.length}x`, revision: 1 });
        zones.set(domain, { id: `id${domain.length}x`, mx: MAIL_HOSTNAME });
      }
    });

    after(async () => {
      await server.close();
      smtp.server.close();
      hook.server.close();
    });

    const webhooks = (domain: string) => hook.received.filter((m) => m.domain === domain).map((m) => `${String(m.condition)}:${String(m.state)}`);

    it('checks every served domain, stores the result, and says nothing while all is well', async () => {
      const summary = await server.mtaSts.runScheduledChecks();
      assert.equal(summary.checked, 2);
      assert.equal(summary.alerts, 0);
      assert.deepEqual(hook.received, []);
      assert.deepEqual(smtp.messages, []);
      const rows = await server.db.knex(`${server.db.tablePrefix}last_checks`).select('domain', 'worst').whereNotNull('result').orderBy('domain');
      assert.deepEqual(
        rows.map((r) => r.domain),
        ['example.com', 'example.org'],
      );
    });

    it('alerts once by mail and signed webhook when the published id differs, in the alert language', async () => {
      zones.set('example.org', { id: 'someotherid', mx: MAIL_HOSTNAME });
      clock += 60_000;
      const summary = await server.mtaSts.runScheduledChecks();
      assert.equal(summary.alerts, 1);
      assert.deepEqual(webhooks('example.org'), ['id-mismatch:raised']);
      const alert = hook.received[0];
      assert.deepEqual(alert.codes, ['sts-txt.other-id']);
      assert.equal(alert.locale, 'de');
      assert.match(String(alert.subject), /MTA-STS-Warnung für example\.org/);
      assert.equal(hook.rejected, 0, 'every webhook carried a valid signature');
      assert.equal(smtp.messages.length, 1);
      assert.match(smtp.messages[0], /^To: admin@example\.net/im);
      assert.match(smtp.messages[0], /^X-MTA-STS-Condition: id-mismatch; raised/im);
      assert.match(decoded(smtp.messages[0]), /Die geplante DNS-Prüfung von example\.org .* hat ein Problem gefunden/s);
      assert.match(decoded(smtp.messages[0]), /\(sts-txt\.other-id\)/);
      assert.deepEqual(webhooks('example.com'), []);
    });

    it('does not alert again for a condition that persists, nor for one that recovers within the day', async () => {
      clock += 60_000;
      await server.mtaSts.runScheduledChecks();
      zones.set('example.org', { id: 'id11x', mx: MAIL_HOSTNAME });
      clock += 60_000;
      await server.mtaSts.runScheduledChecks();
      assert.deepEqual(webhooks('example.org'), ['id-mismatch:raised']);
      assert.equal(smtp.messages.length, 1);
    });

    it('sends the recovery once the day is over, and a restart does not alert again', async () => {
      clock += DAY;
      await server.mtaSts.runScheduledChecks();
      assert.deepEqual(webhooks('example.org'), ['id-mismatch:raised', 'id-mismatch:recovered']);
      // A new plugin instance over the same tables (a restart): the state is read back.
      const again = createMtaSts({ ...server.options, ...pluginOptions() });
      clock += 60_000;
      const summary = await again.runScheduledChecks();
      assert.equal(summary.alerts, 0);
      assert.deepEqual(webhooks('example.org'), ['id-mismatch:raised', 'id-mismatch:recovered']);
      assert.equal(smtp.messages.length, 2);
      assert.match(decoded(smtp.messages[1]), /findet dieses Problem nicht mehr/);
    });

    it('alerts on MX hosts the policy does not cover, and retries an alert no channel took', async () => {
      zones.set('example.com', { id: 'id11x', mx: 'other-mx.example.com' });
      hook.failNext.count = 1;
      const smtpBefore = smtp.messages.length;
      smtp.server.close();
      clock += 60_000;
      let summary = await server.mtaSts.runScheduledChecks();
      // The mail server is gone and the webhook failed: nothing delivered, nothing recorded as told.
      assert.equal(summary.failedAlerts, 1);
      assert.ok(errors.some((e) => /mx-uncovered alert of example\.com by email/.test(e)));
      assert.ok(errors.some((e) => /mx-uncovered alert of example\.com by webhook/.test(e)));
      assert.deepEqual(webhooks('example.com'), []);
      clock += 60_000;
      summary = await server.mtaSts.runScheduledChecks();
      assert.equal(summary.alerts, 1);
      assert.deepEqual(webhooks('example.com'), ['mx-uncovered:raised']);
      assert.equal(smtp.messages.length, smtpBefore);
      smtp = await smtpSink();
    });

    it('alerts when failed TLS sessions in the reports rise above the week before', async () => {
      const day = (back: number) => new Date(clock - back * DAY).toISOString().slice(0, 10);
      const table = `${server.db.tablePrefix}tlsrpt_policies`;
      // Rows of a report mailed with a DKIM signature aligned with its reporter: trusted (issue 22).
      const insert = server.db.knex(`${server.db.tablePrefix}tlsrpt_reports`).insert({
        domain: 'example.org',
        organisation: 'Signed Org',
        report_id: 'signed-1',
        start_at: `${day(1)}T00:00:00Z`,
        end_at: `${day(1)}T23:59:59Z`,
        received_at: `${day(0)}T00:00:00Z`,
        received_via: 'mail',
        dkim: 'pass',
        dkim_domain: 'signed.example',
        aligned_domain: 'signed.example',
        report_gz: Buffer.from(''),
      });
      const [inserted]: Array<{ id: number } | number> = await (kind === 'postgres' ? insert.returning('id') : insert);
      const report = typeof inserted === 'object' ? inserted.id : inserted;
      const row = (d: string, failure: number) => ({ report, domain: 'example.org', day: d, policy_type: 'sts', success: 100, failure });
      await server.db.knex(table).insert([row(day(4), 2), row(day(1), 5)]);
      clock += 60_000;
      await server.mtaSts.runScheduledChecks();
      const last = hook.received[hook.received.length - 1];
      assert.equal(`${String(last.domain)} ${String(last.condition)}:${String(last.state)}`, 'example.org tls-failures-rising:raised');
      assert.deepEqual(last.failures, { day: day(1), count: 5, baseline: 2 });
      assert.match(String(last.text), new RegExp(`gemeldet für ${day(1)}: 5; höchstens 2`));
    });

    it('a self-driving scheduler runs at start and again after its interval, and stops', async () => {
      const runs: number[] = [];
      const scheduler = server.mtaSts.createScheduler({ intervalMs: 1000, onRun: (s) => runs.push(s.checked) });
      scheduler.start();
      const t0 = Date.now();
      while (runs.length < 2 && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 50));
      await scheduler.stop();
      assert.deepEqual(runs.slice(0, 2), [2, 2]);
      const count = runs.length;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(runs.length, count, 'no run after stop()');
      assert.equal(scheduler.lastRun?.checked, 2);
    });

    it('validates its options naming the option', () => {
      const base = server.options;
      assert.throws(() => createMtaSts({ ...base, scheduler: { intervalMs: 10 } }), /options\.scheduler\.intervalMs must be a whole number/);
      assert.throws(() => createMtaSts({ ...base, alerts: { email: { to: 'nobody', smtp: { host: 'localhost' } } } }), /options\.alerts\.email\.to/);
      assert.throws(() => createMtaSts({ ...base, alerts: { webhook: { url: 'ftp://x' } } }), /options\.alerts\.webhook\.url/);
      const smtp = { host: 'mail.example.org', user: 'alerts', password: 'secret', allowPlaintext: 'other.example.org' };
      assert.throws(
        () => createMtaSts({ ...base, alerts: { email: { to: 'admin@example.org', smtp } } }),
        /options\.alerts\.email\.smtp\.allowPlaintext must name the server's host \(mail\.example\.org\)/,
      );
      assert.throws(() => createMtaSts({ ...base, alerts: { webhook: { url: 'https://x.example', secret: 'short' } } }), /options\.alerts\.webhook\.secret/);
      assert.throws(() => createMtaSts({ ...base, alerts: { locale: 'fr' as 'en' } }), /options\.alerts\.locale/);
      assert.throws(() => server.mtaSts.createScheduler({ concurrency: 0 }), /createScheduler\.concurrency must be a whole number/);
      assert.throws(() => createMtaSts({ ...base, scheduler: { leaseMs: 500 } }), /options\.scheduler\.leaseMs must be a whole number from 1000 to 3600000/);
      assert.throws(() => server.mtaSts.createScheduler({ leaseMs: 1.5e3 + 0.5 }), /createScheduler\.leaseMs must be a whole number from 1000 to 3600000/);
    });
  });
