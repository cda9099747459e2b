import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type TestServer, createServer } from '../support/server';
import { freePort } from '../support/pebble';
import { createTestCa, type TestCa } from '../support/tls';

const NGINX = '/usr/sbin/nginx';
const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'plugin.json'))) as string;

/** The nginx server block exactly as docs/certificates.md ("Behind a reverse proxy") gives it. */
function docNginxBlock(): string {
  const doc = readFileSync(join(ROOT, 'docs', 'certificates.md'), 'utf8');
  const match = /```nginx\n([\s\S]*?)```/.exec(doc);
  assert.ok(match, 'docs/certificates.md has an nginx snippet');
  return match[1];
}

function get(port: number, servername: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, servername, path: '/.well-known/mta-sts.txt', headers: { Host: servername }, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

// The nginx snippet of docs/certificates.md, run for real: TLS terminated by nginx, mta-sts.* passed to a small
// express app with the plugin mounted, the policy coming back through the proxy.
describe('behind a real nginx, configured as docs/certificates.md says', function () {
  this.timeout(60_000);
  let server: TestServer;
  let ca: TestCa;
  let prefix: string;
  let nginx: ChildProcess | null = null;
  let port: number;

  before(async function () {
    assert.ok(existsSync(NGINX), `${NGINX} is missing: apt-get install -y nginx-light (.ci/run does)`);
    // nginx binds, writes its temp files and switches user only as root: skip where that is not so.
    if (process.getuid?.() !== 0) this.skip();
    server = await createServer({ plugin: { trustProxy: ['127.0.0.1'] } });
    await server.setPolicy('example.org', { active: true, mode: 'enforce', mx: ['mail.example.org'], maxAge: 86400, id: '20260101000000', revision: 1 });
    ca = createTestCa('nginx test CA');
    const leaf = ca.issue(['mta-sts.example.org']);
    prefix = mkdtempSync(join(tmpdir(), 'mta-sts-nginx-'));
    mkdirSync(join(prefix, 'logs'));
    writeFileSync(join(prefix, 'cert.pem'), leaf.cert);
    writeFileSync(join(prefix, 'key.pem'), leaf.key);
    port = await freePort();
    const appPort = (server.http.address() as { port: number }).port;
    const block = docNginxBlock()
      .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`)
      .replace(/ssl_certificate\s+\S+;/, `ssl_certificate ${join(prefix, 'cert.pem')};`)
      .replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${join(prefix, 'key.pem')};`)
      .replace('http://127.0.0.1:3000', `http://127.0.0.1:${appPort}`);
    writeFileSync(
      join(prefix, 'nginx.conf'),
      [
        'daemon off;',
        'user root;',
        'worker_processes 1;',
        `pid ${join(prefix, 'nginx.pid')};`,
        `error_log ${join(prefix, 'logs', 'error.log')};`,
        'events { worker_connections 64; }',
        'http {',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(prefix, t)};`),
        block,
        '}',
      ].join('\n'),
    );
    const { stderr } = await promisify(execFile)(NGINX, ['-t', '-p', prefix, '-c', join(prefix, 'nginx.conf')]);
    assert.match(stderr, /syntax is ok/);
    assert.match(stderr, /test is successful/);
    nginx = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
    const started = Date.now();
    for (;;) {
      try {
        await get(port, 'mta-sts.example.org', ca.cert);
        break;
      } catch (err) {
        if (Date.now() - started > 15_000) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx?.once('exit', r));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await server?.close();
    ca?.dispose();
    if (prefix) rmSync(prefix, { recursive: true, force: true });
  });

  it('passes mta-sts.* to the plugin and the policy comes back over nginx’s TLS', async () => {
    const res = await get(port, 'mta-sts.example.org', ca.cert);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmax_age: 86400\r\n');
  });
});
