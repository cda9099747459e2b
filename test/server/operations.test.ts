// Running the server in production: /healthz follows the database, metrics are exposed, and
// SIGTERM lets a slow request finish before the process exits 0. MariaDB sits behind a loopback
// TCP proxy that the test cuts, as a network or database failure would.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import request from 'supertest';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { cli, logIn, postfixAdminDb, serve, type PanelDb, type Served } from '../support/standalone';

const API_KEY = 'operations-test-key-0123456789';
const PASSWORD = 'operations password';

describe('mta-sts serve in operation (MariaDB behind a proxy)', function () {
  this.timeout(120_000);
  let db: PanelDb;
  let proxy: TcpProxy;
  let silentDns: Socket;
  let server: Served | null = null;
  let args: string[];

  before(async () => {
    // A DNS server that never answers: a DNS Check then takes the resolver's full timeout (a slow request).
    silentDns = createSocket('udp4');
    await new Promise<void>((resolve) => silentDns.bind(0, '127.0.0.1', () => resolve()));
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 3306 });
    db = await postfixAdminDb('mariadb', ['example.org'], proxy.port);
    args = ['--database', db.url, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.org', '--dns-servers', `127.0.0.1:${silentDns.address().port}`];
    assert.equal((await cli([...args, 'migrate'])).code, 0);
    assert.equal((await cli([...args, 'admin', 'add', 'ops', '--password-stdin'], { input: PASSWORD })).code, 0);
    assert.equal((await cli([...args, 'set', 'example.org', '--mode', 'enforce', '--mx', 'mail.example.org', '--active', 'yes'])).code, 0);
    server = await serve(args, { API_KEY, METRICS_PORT: '0', LOG_LEVEL: 'info' });
  });
  after(async () => {
    proxy.restore();
    if (server) await server.stop();
    await db.drop();
    await proxy.close();
    silentDns.close();
  });

  it('answers /healthz 200 while the database answers, 503 when it goes away, 200 again when it is back', async () => {
    const base = server!.base;
    const up = await request(base).get('/healthz');
    assert.equal(up.status, 200);
    assert.equal(up.body.status, 'ok');
    assert.equal(up.body.database, 'reachable');
    await request(base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
    const loaded = await request(base).get('/healthz');
    assert.equal(typeof loaded.body.servedSetAgeSeconds, 'number', 'the served set has been loaded');
    assert.ok(loaded.body.servedSetAgeSeconds >= 0 && loaded.body.servedSetAgeSeconds < 60);

    proxy.cut('reset');
    const down = await request(base).get('/healthz');
    assert.equal(down.status, 503);
    assert.deepEqual([down.body.status, down.body.database], ['unavailable', 'unreachable']);
    // The policy file is still served from the last set loaded.
    const policy = await request(base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
    assert.equal(policy.status, 200);
    assert.match(policy.text, /mode: enforce/);

    proxy.restore();
    let back = 0;
    for (let i = 0; i < 20 && back !== 200; i++) {
      back = (await request(base).get('/healthz')).status;
      if (back !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(back, 200);
  });

  it('exposes Prometheus metrics on the metrics port: policy responses, served set age and reloads, logins, DNS Checks', async () => {
    const base = server!.base;
    const metricsUrl = server!.metricsUrl;
    assert.ok(metricsUrl, server!.output());
    await request(base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
    await request(base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.unknown.example');
    const cookie = await logIn(base, 'ops', PASSWORD);
    await request(base).get('/domains').set('Cookie', cookie).set('X-Request-Id', 'trace-abc.123');
    await assert.rejects(logIn(base, 'ops', 'not the password'));
    const scraped = await request(metricsUrl).get('');
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers['content-type'], /text\/plain/);
    const text = scraped.text;
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    assert.ok(value(/^mta_sts_policy_responses_total\{status="200"\} (\d+)/m) >= 2, text);
    assert.ok(value(/^mta_sts_policy_responses_total\{status="404"\} (\d+)/m) >= 1);
    assert.ok(value(/^mta_sts_logins_total\{outcome="ok"\} (\d+)/m) >= 1);
    assert.ok(value(/^mta_sts_logins_total\{outcome="failed"\} (\d+)/m) >= 1);
    assert.ok(value(/^mta_sts_served_set_reload_seconds_count\{outcome="ok"\} (\d+)/m) >= 1);
    assert.ok(value(/^mta_sts_served_set_age_seconds (\S+)/m) >= 0);
    assert.match(text, /^# TYPE mta_sts_dns_check_seconds histogram/m);
    // Not on the main port when a metrics port is set; and never secrets in them.
    assert.equal((await request(base).get('/metrics').set('X-API-Key', API_KEY)).status, 404);
    assert.doesNotMatch(text, new RegExp(`${API_KEY}|${PASSWORD}`));

    // The structured log: one JSON line per request with its id, and no secret in any line.
    const lines = server!
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { reqId?: string; path?: string; status?: number });
    const traced = lines.find((line) => line.reqId === 'trace-abc.123');
    assert.ok(traced, 'the request id from X-Request-Id is logged');
    assert.equal(traced.path, '/domains');
    assert.equal(traced.status, 200);
    assert.ok(lines.some((line) => line.path === '/login' && typeof line.reqId === 'string' && line.reqId.length >= 8));
    const sessionId = cookie.split('=')[1];
    for (const secret of [PASSWORD, API_KEY, sessionId, decodeURIComponent(sessionId), '_panel_csrf', 'panel.csrf=']) {
      assert.ok(!server!.output().includes(secret), `the log holds ${secret}`);
    }
  });

  it('on SIGTERM, finishes a slow request in flight, then exits 0', async () => {
    const started = Date.now();
    // A DNS Check against the silent resolver: several seconds.
    const slow = request(server!.base)
      .get('/api/v1/mta-sts/example.org/dns-check')
      .set('X-API-Key', API_KEY)
      .then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const exited = server!.stop();
    const res = await slow;
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.domain, 'example.org');
    assert.ok(Date.now() - started > 1000, 'the request was still running when SIGTERM came');
    assert.equal(await exited, 0, server!.output());
    assert.equal((await cli([...args, 'status'])).code, 0, 'the database is left migrated and whole');
    server = null;
  });
});
