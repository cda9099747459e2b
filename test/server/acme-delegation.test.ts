// The built-in ACME client under CNAME delegation (RFC 8461 section 8.2): the customer's
// `mta-sts.<domain>` is a CNAME to the panel's policy host, which points here. The client must
// still order `mta-sts.<domain>` (its address is found through the CNAME), and pebble's HTTP-01
// validation, asking its loopback DNS server, follows the CNAME to this server's HTTP port.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get as httpsGet } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { freePort, startPebble, type Pebble } from '../support/pebble';
import { CLI, cli } from '../support/standalone';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const POLICY_HOST = 'policy.panel.test';

function fetchPolicy(port: number, name: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    httpsGet({ host: '127.0.0.1', port, servername: name, path: '/.well-known/mta-sts.txt', headers: { host: name }, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    }).on('error', reject);
  });
}

describe('mta-sts serve --acme with CNAME delegation against pebble', function () {
  this.timeout(180_000);
  let dir: string;
  let dns: TestDnsServer;
  let pebble: Pebble;
  let httpPort: number;
  let httpsPort: number;
  let base: string[];
  const key = randomBytes(32).toString('hex');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-acme-delegation-'));
    dns = await startDnsServer();
    // The customer's one-time CNAME to the panel's policy host; only the policy host has an address.
    dns.setZone([
      { name: 'mta-sts.customer.test', type: 'CNAME', data: POLICY_HOST },
      { name: POLICY_HOST, type: 'A', data: '127.0.0.1' },
    ]);
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    pebble = await startPebble({ httpPort, dnsServer: dns.address });
    writeFileSync(join(dir, 'pebble-listener.pem'), pebble.listenerCa);
    base = [
      '--database',
      `sqlite:${join(dir, 'panel.sqlite')}`,
      '--dns-servers',
      dns.address,
      '--mail-hostname',
      'mail.panel.test',
      '--delegation-zone',
      'deleg.panel.test',
      '--delegation-policy-host',
      POLICY_HOST,
    ];
  });
  after(async () => {
    await pebble?.close();
    await dns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('issues the certificate for mta-sts.<domain> through the CNAME (HTTP-01 answered here) and serves the policy with it', async () => {
    const first = spawn(process.execPath, [CLI, ...base, 'serve', '--embedded', '--demo-domains', 'customer.test', '--port', '0', '--host', '127.0.0.1'], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ADMIN_PASSWORD: 'a long enough password' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve) => first.stdout.on('data', (c: Buffer) => /MTA-STS server/.test(c.toString()) && resolve()));
    first.kill('SIGTERM');
    await new Promise((resolve) => first.once('exit', resolve));
    const set = await cli([...base, 'set', 'customer.test', '--mode', 'testing', '--mx', 'mail.panel.test', '--active', 'yes']);
    assert.equal(set.code, 0, set.stderr);

    const acme = [
      '--acme',
      '--acme-directory',
      pebble.directoryUrl,
      '--acme-email',
      'hostmaster@panel.test',
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
      let state: { name: string; state: string; reason?: string } | undefined;
      for (let i = 0; i < 90; i++) {
        const listed = await cli([...base, 'certificate-names', '--status', '--json'], { env: { MTA_STS_ACME_KEY: key } });
        const status = (JSON.parse(listed.stdout || '{"status":[]}') as { status: Array<{ name: string; state: string; reason?: string }> }).status;
        state = status.find((s) => s.name === 'mta-sts.customer.test');
        if (state?.state === 'issued' || state?.state === 'skipped' || state?.state === 'failed' || server.exitCode !== null) break;
        await sleep(1000);
      }
      assert.equal(state?.state, 'issued', `${JSON.stringify(state)}\n${output}`);
      // A sender follows the CNAME to this server and checks the certificate for mta-sts.customer.test.
      const policy = await fetchPolicy(httpsPort, 'mta-sts.customer.test', await pebble.root());
      assert.equal(policy.status, 200);
      assert.equal(policy.text, 'version: STSv1\r\nmode: testing\r\nmx: mail.panel.test\r\nmax_age: 86400\r\n');
    } finally {
      server.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    }
  });
});
