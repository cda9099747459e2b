// The tls-failures-above-baseline alert end to end (issue 22): real reports through the public
// HTTPS intake and the mail path, the scheduled run, a loopback webhook. Raised when the last
// complete day's failed sessions in trusted reports are at least 3 times the median of the 14 days
// before and at least 10; never by reports nobody vouched for; once per domain a day.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupResult, RecordType, Resolver } from '../../src';
import { createMtaSts } from '../../src';
import { reportMail } from '../support/report-mail';
import { googleSample } from '../support/report-samples';
import { createServer, MAIL_HOSTNAME, type TestServer } from '../support/server';

const API = '/api/v1/mta-sts';
const DAY = 86_400_000;

/** DNS that serves every domain's policy record and MX as the test set them, nothing else. */
function resolver(): Resolver {
  return {
    servers: ['127.0.0.1:53'],
    timeoutMs: 1000,
    async lookup<T extends RecordType>(name: string, type: T): Promise<LookupResult<T>> {
      if (type === 'TXT' && name.startsWith('_mta-sts.'))
        return { ok: true, name, type, records: ['v=STSv1; id=id1'], cnames: [], server: '127.0.0.1:53' } as unknown as LookupResult<T>;
      if (type === 'MX')
        return {
          ok: true,
          name,
          type,
          records: [{ exchange: MAIL_HOSTNAME, preference: 10 }],
          cnames: [],
          server: '127.0.0.1:53',
        } as unknown as LookupResult<T>;
      return { ok: false, name, type, failure: 'nxdomain', message: 'no such name', cnames: [] } as unknown as LookupResult<T>;
    },
  };
}

/** A report of `organisation` for `domain` on `day` with `failed` failed sessions. */
function report(domain: string, organisation: string, day: string, failed: number): Record<string, unknown> {
  const sample = googleSample(domain, day, `${organisation}-${day}`);
  sample['organization-name'] = organisation;
  const policy = (sample.policies as Array<Record<string, unknown>>)[0];
  policy.summary = { 'total-successful-session-count': 100, 'total-failure-session-count': failed };
  return sample;
}

for (const kind of ['sqlite', 'postgres'] as const)
  describe(`the baseline alert of failed TLS sessions (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let hook: HttpServer;
    let url: string;
    const received: Array<Record<string, unknown>> = [];
    const clock = { now: Date.parse('2026-12-20T08:00:00Z') };
    const day = (back: number) => new Date(clock.now - back * DAY).toISOString().slice(0, 10);
    const plugin = () => ({
      resolver: resolver(),
      now: () => new Date(clock.now),
      alerts: { webhook: { url } },
      logger: { error: () => undefined, warn: () => undefined, info: () => undefined },
    });

    before(async () => {
      hook = createHttpServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
          res.writeHead(204).end();
        });
      });
      hook.listen(0, '127.0.0.1');
      await once(hook, 'listening');
      url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      server = await createServer({ db: kind, plugin: plugin() });
      for (const domain of ['example.org', 'example.com']) {
        await server.setPolicy(domain, { active: true, mode: 'testing', mx: [MAIL_HOSTNAME], maxAge: 604800, id: 'id1', revision: 1 });
      }
    });
    after(async () => {
      await server.close();
      hook.close();
    });

    const post = async (domain: string, body: unknown) => {
      const setup = await server
        .request()
        .put(`${API}/${domain}/reporting`)
        .send({ rua: [`mailto:tlsrpt@${domain}`] });
      const res = await server
        .request()
        .post(new URL(setup.body.reportingUri).pathname)
        .set('Content-Type', 'application/tlsrpt+json')
        .send(JSON.stringify(body));
      assert.ok(res.status === 201 || res.status === 200, res.text);
    };
    /** 14 days of `usual` failures, then `last` on the last complete day, from `organisation` over HTTPS. */
    const history = async (domain: string, organisation: string, usual: number[], last: number) => {
      for (let i = 0; i < usual.length; i++) await post(domain, report(domain, organisation, day(i + 2), usual[i]));
      await post(domain, report(domain, organisation, day(1), last));
    };
    const run = async () => {
      clock.now += 60_000;
      await server.mtaSts.runScheduledChecks();
    };
    const reportAlerts = (domain: string) =>
      received.filter((m) => m.domain === domain && String(m.condition).startsWith('tls-failures')).map((m) => `${String(m.condition)}:${String(m.state)}`);

    it('raises nothing for a spike posted by a made-up organisation or mailed unsigned; raises once a day when the reporter is trusted', async () => {
      // Median of the 14 days before: 2; the last day: 30 (15 times, and at least 10).
      await history('example.org', 'Made-up Org', [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 30);
      const unsigned = reportMail(report('example.org', 'Unsigned Org', day(1), 40), { domain: 'example.org', submitter: 'unsigned.example' });
      assert.equal((await server.mtaSts.ingestReportMessage(unsigned)).status, 'created');
      await run();
      assert.deepEqual(reportAlerts('example.org'), [], 'neither the HTTPS post nor the unsigned mail raised an alert');

      assert.equal(
        (
          await server
            .request()
            .put(`${API}/known-reporters`)
            .send({ names: ['Made-up Org'] })
        ).status,
        200,
      );
      await run();
      assert.deepEqual(reportAlerts('example.org'), ['tls-failures-rising:raised', 'tls-failures-above-baseline:raised']);
      const alert = received.find((m) => m.condition === 'tls-failures-above-baseline');
      assert.deepEqual(alert?.spike, { day: day(1), count: 30, median: 2, factor: 3, minimum: 10 });
      assert.match(String(alert?.text), new RegExp(`trusted reports for ${day(1)}: 30; the median of the 14 days before is 2 a day`));
      // Later the same day: no second alert.
      await run();
      await run();
      assert.deepEqual(reportAlerts('example.org'), ['tls-failures-rising:raised', 'tls-failures-above-baseline:raised']);
    });

    it('raises nothing below 3 times the median', async () => {
      assert.equal(
        (
          await server
            .request()
            .put(`${API}/known-reporters`)
            .send({ names: ['Made-up Org', 'Steady Org'] })
        ).status,
        200,
      );
      // Median 4: 11 is above every day before (rising) but under 3 x 4 = 12.
      await history('example.com', 'Steady Org', [4, 4, 4, 4, 4, 4, 4, 3, 5, 4, 4, 4, 4, 4], 11);
      await run();
      assert.deepEqual(reportAlerts('example.com'), ['tls-failures-rising:raised']);
      // The unit test of failuresAboveBaseline (test/scheduler/conditions.test.ts) takes the minimum of 10.
    });

    it('takes the factor and the minimum from alerts.baseline, validated', () => {
      const base = { ...server.options, ...plugin() };
      assert.throws(
        () => createMtaSts({ ...base, alerts: { baseline: { factor: 0.5 } } }),
        /options\.alerts\.baseline\.factor must be a number from 1 to 1000/,
      );
      assert.throws(
        () => createMtaSts({ ...base, alerts: { baseline: { minimum: 0 } } }),
        /options\.alerts\.baseline\.minimum must be a whole number from 1 to 1000000000/,
      );
      assert.doesNotThrow(() => createMtaSts({ ...base, alerts: { baseline: { factor: 2.5, minimum: 5 } } }));
    });
  });
