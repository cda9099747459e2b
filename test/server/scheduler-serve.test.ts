// `mta-sts serve` runs the scheduled DNS Check of every served domain by itself and sends its
// alerts: here by webhook to a loopback receiver that checks the signature.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, serve } from '../support/standalone';

const SECRET = 'a webhook secret of some length';

describe('mta-sts serve: scheduled checks and alerts', function () {
  this.timeout(120_000);
  let dir: string;
  let hook: Server;
  const received: Array<{ body: string; signature: string | undefined }> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-scheduler-serve-'));
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, signature: req.headers['x-mta-sts-signature'] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => hook.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks the served domains at start and posts a signed alert for a policy nobody can reach', async () => {
    const base = ['--database', `sqlite:${join(dir, 'panel.sqlite')}`, '--dns-servers', '127.0.0.1:9'];
    const env = {
      MTA_STS_EMBEDDED: 'yes',
      ADMIN_PASSWORD: 'a long enough password',
      MTA_STS_ALERT_WEBHOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      MTA_STS_ALERT_WEBHOOK_SECRET: SECRET,
      MTA_STS_CHECK_INTERVAL_MINUTES: '60',
    };
    // A first start makes the embedded tables; then a policy, served, whose host does not resolve.
    const first = await serve(base, env, dir);
    assert.equal(await first.stop(), 0, first.output());
    const set = await cli([...base, 'set', 'example.org', '--mode', 'testing', '--mx', 'mail.example.org', '--active', 'yes']);
    assert.equal(set.code, 0, set.stderr);

    const server = await serve(base, env, dir);
    try {
      for (let i = 0; i < 60 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(received.length > 0, `no alert arrived: ${server.output()}`);
      assert.match(server.output(), /DNS Check of every served domain every 60 minutes, with alerts/);
      const alert = received[0];
      const expected = `sha256=${createHmac('sha256', SECRET).update(alert.body).digest('hex')}`;
      assert.equal(alert.signature, expected, 'signed with the configured secret over the raw body');
      const payload = JSON.parse(alert.body) as Record<string, unknown>;
      assert.equal(payload.domain, 'example.org', alert.body);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
  });

  it('refuses unusable alert settings at start with one sentence naming them (exit 2)', async () => {
    const base = ['--database', `sqlite:${join(dir, 'bad.sqlite')}`, '--dns-servers', '127.0.0.1:9'];
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ MTA_STS_CHECK_INTERVAL_MINUTES: 'often' }, /^mta-sts: checkIntervalMinutes must be whole minutes/],
      [{ MTA_STS_CHECK_LEASE_SECONDS: '0' }, /^mta-sts: checkLeaseSeconds must be whole seconds from 1 to 3600/],
      [{ MTA_STS_ALERT_EMAIL: 'admin@example.org' }, /^mta-sts: alertSmtp must be set too/],
      [
        { MTA_STS_ALERT_EMAIL: 'admin@example.org', MTA_STS_ALERT_SMTP: 'http://mail.example.org' },
        /^mta-sts: alertSmtp must be an smtp:\/\/ or smtps:\/\/ URL/,
      ],
      [
        { MTA_STS_ALERT_WEBHOOK: 'ftp://hooks.example.org/x' },
        /^mta-sts: alerts \(MTA_STS_ALERT_\*\) are not usable: options\.alerts\.webhook\.url must be an http\(s\) URL/,
      ],
    ];
    for (const [env, message] of cases) {
      const run = await cli([...base, 'serve', '--embedded', '--port', '0'], { env });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr.trim(), message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
  });
});
