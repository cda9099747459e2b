// deploy/nginx-mta-sts.conf as shipped: `nginx -t` accepts it, and a real nginx (Debian's
// nginx-light, run with a temporary prefix on loopback ports) passes a policy request to a running
// server, the ACME challenge path to its webroot, and plain HTTP on to HTTPS.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get as httpGet, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { createPanel } from '../../src/server/app';
import { createTestCa } from '../support/tls';
import { ROOT } from '../support/standalone';

const NGINX = '/usr/sbin/nginx';
const API_KEY = 'nginx-test-key-0123456789';

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function get(options: {
  port: number;
  path: string;
  host: string;
  tls?: { ca: string };
}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const common = { host: '127.0.0.1', port: options.port, path: options.path, headers: { Host: options.host } };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    };
    const req = options.tls ? httpsRequest({ ...common, servername: options.host, ca: options.tls.ca }, onResponse) : httpGet(common, onResponse);
    req.on('error', reject);
    req.end();
  });
}

describe('deploy/nginx-mta-sts.conf with a real nginx', function () {
  this.timeout(60_000);
  let dir: string;
  let knex: Knex;
  let app: Server;
  let nginx: ChildProcess | null = null;
  let ports: { http: number; https: number };
  let ca: string;
  let closePanel: () => void;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-nginx-'));
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
    const panel = await createPanel({ knex, mailHostname: 'mail.example.org', apiKey: API_KEY, trustedProxies: ['127.0.0.1'], dnsServers: ['127.0.0.1:9'] });
    closePanel = panel.close;
    app = createServer(panel.app);
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', () => resolve()));
    const put = await request(app)
      .put('/api/v1/mta-sts/example.org')
      .set('X-API-Key', API_KEY)
      .send({ mode: 'enforce', mx: ['mail.example.org'], active: true });
    assert.equal(put.status, 200);

    // The shipped site, with only its addresses, ports and files pointed into the temp dir.
    const testCa = createTestCa();
    ca = testCa.cert;
    const leaf = testCa.issue(['mta-sts.example.org', 'mta-sts.example.net', 'admin.example.org']);
    writeFileSync(join(dir, 'cert.pem'), leaf.cert);
    writeFileSync(join(dir, 'key.pem'), leaf.key);
    mkdirSync(join(dir, 'acme/.well-known/acme-challenge'), { recursive: true });
    writeFileSync(join(dir, 'acme/.well-known/acme-challenge/token123'), 'token123.thumbprint');
    // nginx's workers run as an unprivileged user: the webroot must be readable to them (mkdtemp makes 0700).
    chmodSync(dir, 0o755);
    ports = { http: await freePort(), https: await freePort() };
    const site = readFileSync(join(ROOT, 'deploy/nginx-mta-sts.conf'), 'utf8')
      .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${(app.address() as AddressInfo).port};`)
      .replace(/listen \[::\]:\d+[^;]*;\n/g, '')
      .replace('listen 80;', `listen 127.0.0.1:${ports.http};`)
      .replace('listen 443 ssl http2;', `listen 127.0.0.1:${ports.https} ssl http2;`)
      .replace('/etc/ssl/mta-sts/fullchain.pem', join(dir, 'cert.pem'))
      .replace('/etc/ssl/mta-sts/privkey.pem', join(dir, 'key.pem'))
      .replaceAll('/var/www/acme', join(dir, 'acme'))
      .replace('return 301 https://$host$request_uri;', `return 301 https://$host:${ports.https}$request_uri;`);
    for (const sub of ['logs', 'tmp']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'site.conf'), site);
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        'worker_processes 1;',
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'logs/error.log')} warn;`,
        'events { worker_connections 64; }',
        'http {',
        `  access_log ${join(dir, 'logs/access.log')};`,
        `  client_body_temp_path ${join(dir, 'tmp/body')};`,
        `  proxy_temp_path ${join(dir, 'tmp/proxy')};`,
        `  fastcgi_temp_path ${join(dir, 'tmp/fastcgi')};`,
        `  uwsgi_temp_path ${join(dir, 'tmp/uwsgi')};`,
        `  scgi_temp_path ${join(dir, 'tmp/scgi')};`,
        `  include ${join(dir, 'site.conf')};`,
        '}',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    closePanel();
    await new Promise((resolve) => app.close(resolve));
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes `nginx -t`', () => {
    const result = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /syntax is ok/);
    assert.match(result.stderr, /test is successful/);
  });

  it('serves the policy by Host over HTTPS from the server behind it, the ACME challenge from the webroot, and redirects plain HTTP', async () => {
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let ready = false;
    for (let i = 0; i < 50 && !ready; i++) {
      ready = await get({ port: ports.https, path: '/healthz', host: 'admin.example.org', tls: { ca } }).then(
        (res) => res.status === 200,
        () => false,
      );
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(ready, 'nginx answers');
    const policy = await get({ port: ports.https, path: '/.well-known/mta-sts.txt', host: 'mta-sts.example.org', tls: { ca } });
    assert.equal(policy.status, 200);
    assert.equal(policy.body, 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmax_age: 86400\r\n');
    assert.match(String(policy.headers['content-type']), /^text\/plain/);
    const unknown = await get({ port: ports.https, path: '/.well-known/mta-sts.txt', host: 'mta-sts.example.net', tls: { ca } });
    assert.equal(unknown.status, 404);
    const challenge = await get({ port: ports.http, path: '/.well-known/acme-challenge/token123', host: 'mta-sts.example.org' });
    assert.equal(challenge.status, 200);
    assert.equal(challenge.body, 'token123.thumbprint');
    const plain = await get({ port: ports.http, path: '/.well-known/mta-sts.txt', host: 'mta-sts.example.org' });
    assert.equal(plain.status, 301);
    assert.equal(plain.headers.location, `https://mta-sts.example.org:${ports.https}/.well-known/mta-sts.txt`);
    const metrics = await get({ port: ports.https, path: '/metrics', host: 'admin.example.org', tls: { ca } });
    assert.equal(metrics.status, 404, 'metrics are not published through nginx');
  });
});
