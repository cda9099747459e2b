// `mta-sts serve --acme` as an operator runs it, against Debian's pebble on loopback: certificates
// for every mta-sts.<domain> with a policy, ordered through the server's own HTTP port, a real
// HTTPS policy request with them, a name pointing elsewhere skipped with its reason.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { freePort, startPebble, type Pebble } from '../support/pebble';
import { CLI, cli } from '../support/standalone';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function fetch(
  getter: typeof httpGet | typeof httpsGet,
  options: Record<string, unknown>,
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    getter(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    }).on('error', reject);
  });
}

describe('mta-sts serve --acme against pebble', function () {
  this.timeout(180_000);
  let dir: string;
  let dns: TestDnsServer;
  let pebble: Pebble;
  let httpPort: number;
  let httpsPort: number;
  let base: string[];
  const key = randomBytes(32).toString('hex');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-acme-serve-'));
    dns = await startDnsServer();
    dns.setZone([
      { name: 'mta-sts.example.org', type: 'A', data: '127.0.0.1' },
      { name: 'mta-sts.example.net', type: 'A', data: '127.0.0.1' },
      // Its policy host is served elsewhere: an order would fail, so none is placed.
      { name: 'mta-sts.elsewhere.test', type: 'A', data: '192.0.2.10' },
    ]);
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    pebble = await startPebble({ httpPort, dnsServer: dns.address });
    writeFileSync(join(dir, 'pebble-listener.pem'), pebble.listenerCa);
    base = ['--database', `sqlite:${join(dir, 'panel.sqlite')}`, '--dns-servers', dns.address, '--mail-hostname', 'mail.example.org'];
  });
  after(async () => {
    await pebble?.close();
    await dns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('issues a certificate for each policy host pointing here, serves the policy and the panel over HTTPS with it (Secure __Host- cookies, HSTS), and skips the other with its reason', async () => {
    // The embedded database, its tables made and seeded by a first start, then the policies set.
    const first = spawn(
      process.execPath,
      [CLI, ...base, 'serve', '--embedded', '--demo-domains', 'example.org,example.net,elsewhere.test', '--port', '0', '--host', '127.0.0.1'],
      {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ADMIN_PASSWORD: 'a long enough password' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await new Promise<void>((resolve) => first.stdout.on('data', (c: Buffer) => /MTA-STS server/.test(c.toString()) && resolve()));
    first.kill('SIGTERM');
    await new Promise((resolve) => first.once('exit', resolve));
    for (const domain of ['example.org', 'example.net', 'elsewhere.test']) {
      const set = await cli([...base, 'set', domain, '--mode', 'testing', '--mx', `mail.${domain}`, '--active', 'yes']);
      assert.equal(set.code, 0, set.stderr);
    }

    const acme = [
      '--acme',
      '--acme-directory',
      pebble.directoryUrl,
      '--acme-email',
      'hostmaster@example.org',
      '--acme-accept-terms',
      'yes',
      '--acme-addresses',
      '127.0.0.1',
      '--acme-directory-ca',
      join(dir, 'pebble-listener.pem'),
      '--https-port',
      String(httpsPort),
    ];
    let output = '';
    const server = spawn(process.execPath, [CLI, ...base, 'serve', '--embedded', '--port', String(httpPort), '--host', '127.0.0.1', ...acme], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', MTA_STS_ACME_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout.on('data', (c: Buffer) => (output += c.toString()));
    server.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    try {
      let status: Array<{ name: string; state: string; reason?: string }> = [];
      for (let i = 0; i < 90; i++) {
        const listed = await cli([...base, 'certificate-names', '--status', '--json'], { env: { MTA_STS_ACME_KEY: key } });
        status = (JSON.parse(listed.stdout || '{"status":[]}') as { status: typeof status }).status;
        const byName = Object.fromEntries(status.map((s) => [s.name, s.state]));
        if (byName['mta-sts.example.org'] === 'issued' && byName['mta-sts.example.net'] === 'issued' && byName['mta-sts.elsewhere.test'] === 'skipped') break;
        if (server.exitCode !== null) break;
        await sleep(1000);
      }
      const byName = Object.fromEntries(status.map((s) => [s.name, s]));
      assert.equal(byName['mta-sts.example.org']?.state, 'issued', output);
      assert.equal(byName['mta-sts.example.net']?.state, 'issued', output);
      assert.equal(byName['mta-sts.elsewhere.test']?.state, 'skipped', output);
      assert.match(byName['mta-sts.elsewhere.test']?.reason ?? '', /192\.0\.2\.10/);

      // What a sender does: HTTPS to mta-sts.example.org, SNI set, the certificate checked against pebble's root.
      const policy = await fetch(httpsGet, {
        host: '127.0.0.1',
        port: httpsPort,
        servername: 'mta-sts.example.org',
        path: '/.well-known/mta-sts.txt',
        headers: { host: 'mta-sts.example.org' },
        ca: await pebble.root(),
      });
      assert.equal(policy.status, 200);
      assert.equal(policy.text, 'version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 86400\r\n');
      assert.equal(policy.headers['strict-transport-security'], 'max-age=31536000', 'HSTS on every HTTPS answer');
      // The admin pages over HTTPS: every cookie Secure with the __Host- prefix, and HSTS.
      const login = await fetch(httpsGet, {
        host: '127.0.0.1',
        port: httpsPort,
        servername: 'mta-sts.example.org',
        path: '/login',
        headers: { host: 'mail.example.org' },
        ca: await pebble.root(),
      });
      assert.equal(login.status, 200);
      assert.equal(login.headers['strict-transport-security'], 'max-age=31536000');
      const cookies = ([] as string[]).concat((login.headers['set-cookie'] as string[] | undefined) ?? []);
      assert.ok(
        cookies.some((c) => c.startsWith('__Host-panel.csrf=')),
        cookies.join(' | '),
      );
      assert.deepEqual(
        cookies.filter((c) => !c.startsWith('__Host-') || !/; Secure/i.test(c)),
        [],
        'no cookie without Secure and __Host-',
      );
      // Plain HTTP: the policy file and the challenges, and the admin pages sent to HTTPS.
      const admin = await fetch(httpGet, { host: '127.0.0.1', port: httpPort, path: '/domains', headers: { host: 'mail.example.org' } });
      assert.equal(admin.status, 301);
      assert.equal(admin.headers.location, `https://mail.example.org:${httpsPort}/domains`);
      assert.equal(admin.headers['set-cookie'], undefined, 'no cookie over plain HTTP');
      assert.doesNotMatch(output, /PRIVATE KEY/, 'no key material in the log');
    } finally {
      server.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    }
  });

  it('refuses incomplete ACME settings at start with one sentence naming the setting (exit 2)', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--acme'], {}, /acmeDirectory must be the https:\/\/ URL/],
      [['--acme', '--acme-directory', 'https://ca.example/dir', '--acme-email', 'hostmaster@example.org'], {}, /acmeAcceptTerms must be yes/],
      [
        ['--acme', '--acme-directory', 'https://ca.example/dir', '--acme-email', 'hostmaster@example.org', '--acme-accept-terms', 'yes'],
        {},
        /acmeKey must be 32 random bytes/,
      ],
      [
        [
          '--acme',
          '--acme-directory',
          'https://ca.example/dir',
          '--acme-email',
          'hostmaster@example.org',
          '--acme-accept-terms',
          'yes',
          '--acme-addresses',
          'here',
        ],
        { MTA_STS_ACME_KEY: key },
        /acmeAddresses must be this server's public IP addresses/,
      ],
    ];
    for (const [flags, env, message] of cases) {
      const run = await cli([...base, 'serve', '--port', '0', ...flags], { env });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    }
  });
});
