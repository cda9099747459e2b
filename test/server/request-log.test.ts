// The standalone server's request log as an operator reads it: `mta-sts serve` as a child process
// on SQLite, its stdout read as a log collector would. Each request is one JSON line (time,
// status, host, duration, request id) at info, none at warn; the policy responses are counted in
// the metrics either way; what a client sends in its headers never reaches the log but the host
// and a plausible request id.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { requestLog } from '../../src/server/request-log';
import { cli, serve, type Served } from '../support/standalone';

const POLICY = '/.well-known/mta-sts.txt';
const HOST = 'mta-sts.example.org';
const API_KEY = 'request-log-test-key-0123456789';

interface Line {
  level?: number;
  time?: number;
  msg?: string;
  reqId?: string;
  method?: string;
  path?: string;
  host?: string;
  status?: number;
  durationMs?: number;
}

/** The JSON lines of the server's output (the start-up lines for people are plain text). */
function logLines(server: Served): Line[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
}

/** The policy responses with `status` counted so far, from the metrics port. */
async function policyCount(server: Served, status: number): Promise<number> {
  const text = (await request(server.metricsUrl!).get('')).text;
  return Number(new RegExp(`^mta_sts_policy_responses_total\\{status="${status}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

/** Waits until the server has written the line of the request `reqId` (it is written when the response closes). */
async function lineOf(server: Served, reqId: string): Promise<Line[]> {
  for (let i = 0; i < 40; i++) {
    const lines = logLines(server).filter((line) => line.reqId === reqId);
    if (lines.length > 0) {
      // One more turn: a second line for the same request would show now.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return logLines(server).filter((line) => line.reqId === reqId);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
}

describe('mta-sts serve: the request log', function () {
  this.timeout(120_000);
  let dir: string;
  const servers: Served[] = [];
  const start = async (logLevel: string): Promise<Served> => {
    const database = `sqlite:${join(dir, `${logLevel}.sqlite`)}`;
    const env = {
      API_KEY,
      MTA_STS_EMBEDDED: 'yes',
      DEMO_DOMAINS: 'example.org',
      MTA_STS_CHECK_INTERVAL_MINUTES: '0',
      ADMIN_PASSWORD: 'a long enough password',
    };
    const server = await serve(['--database', database, '--dns-servers', '127.0.0.1:9'], { ...env, METRICS_PORT: '0', LOG_LEVEL: logLevel });
    servers.push(server);
    const set = await cli(['--database', database, 'set', 'example.org', '--mode', 'enforce', '--mx', 'mail.example.org', '--active', 'yes'], { env });
    assert.equal(set.code, 0, set.stderr);
    // The running server sees the new policy within its cache lifetime.
    for (let i = 0; i < 100 && (await request(server.base).get(POLICY).set('Host', HOST)).status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return server;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-request-log-'));
  });
  after(async () => {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('at LOG_LEVEL=info', () => {
    let server: Served;
    before(async () => {
      server = await start('info');
    });

    it('writes one info line per policy request, with time, status, host, duration and the request id sent back, and counts it', async () => {
      const counted = await policyCount(server, 200);
      const before = Date.now();
      const res = await request(server.base).get(`${POLICY}?probe=1`).set('Host', HOST);
      assert.equal(res.status, 200);
      const reqId = res.headers['x-request-id'];
      assert.match(reqId, /^[a-z0-9-]{8,}$/, 'a request id of our own, sent back');
      const lines = await lineOf(server, reqId);
      assert.equal(lines.length, 1, JSON.stringify(lines));
      const [line] = lines;
      assert.equal(line.level, 30, 'info');
      assert.ok(typeof line.time === 'number' && line.time >= before - 1000 && line.time <= Date.now() + 1000, `time ${line.time}`);
      assert.equal(line.status, 200);
      assert.equal(line.host, HOST);
      assert.equal(line.method, 'GET');
      assert.equal(line.path, POLICY, 'the path without its query string');
      assert.ok(typeof line.durationMs === 'number' && line.durationMs >= 0 && line.durationMs < 10_000, `durationMs ${line.durationMs}`);
      assert.equal(await policyCount(server, 200), counted + 1);

      // A host without a policy: its own line and its own count.
      const unknown = await request(server.base).get(POLICY).set('Host', 'mta-sts.unknown.example');
      assert.equal(unknown.status, 404);
      const [missing] = await lineOf(server, unknown.headers['x-request-id']);
      assert.deepEqual([missing?.status, missing?.host], [404, 'mta-sts.unknown.example']);
      assert.ok((await policyCount(server, 404)) >= 1);
    });

    it('never logs a cookie, an Authorization header or an API key', async () => {
      const secrets = ['session-cookie-value-7f3a9c', 'Basic dXNlcjpzZWNyZXQtcGFzc3dvcmQ=', 'api-key-that-must-not-show-4411'];
      const res = await request(server.base)
        .get(POLICY)
        .set('Host', HOST)
        .set('Cookie', `mta-sts.sid=${secrets[0]}`)
        .set('Authorization', secrets[1])
        .set('X-API-Key', secrets[2]);
      assert.equal(res.status, 200);
      const lines = await lineOf(server, res.headers['x-request-id']);
      assert.equal(lines.length, 1, 'the request was logged');
      for (const secret of [...secrets, 'dXNlcjpzZWNyZXQtcGFzc3dvcmQ']) assert.ok(!server.output().includes(secret), `the log holds ${secret}`);
    });

    it("keeps a proxy's plausible X-Request-Id, and replaces one that is too long or has other characters", async () => {
      const kept = await request(server.base).get(POLICY).set('Host', HOST).set('X-Request-Id', 'proxy-trace_01.abc');
      assert.equal(kept.headers['x-request-id'], 'proxy-trace_01.abc');
      assert.equal((await lineOf(server, 'proxy-trace_01.abc')).length, 1);

      for (const given of ['x'.repeat(65), 'trace id with spaces', 'trace"},"status":500,"x":"', 'trace\u00e9']) {
        const res = await request(server.base).get(POLICY).set('Host', HOST).set('X-Request-Id', given);
        assert.equal(res.status, 200);
        const replaced = res.headers['x-request-id'];
        assert.notEqual(replaced, given);
        assert.match(replaced, /^[a-z0-9-]{8,}$/);
        assert.equal((await lineOf(server, replaced)).length, 1);
        assert.ok(!server.output().includes(given), `the log holds the refused id ${given}`);
      }
    });
  });

  it('at LOG_LEVEL=warn writes no line for a policy request, and still counts it and sends its id', async () => {
    const server = await start('warn');
    const counted = await policyCount(server, 200);
    const res = await request(server.base).get(POLICY).set('Host', HOST).set('X-Request-Id', 'quiet-request-1');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-request-id'], 'quiet-request-1');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await policyCount(server, 200), counted + 1);
    assert.deepEqual(
      logLines(server).filter((line) => line.path !== undefined || line.reqId !== undefined),
      [],
      'no request line at warn',
    );
    assert.ok(!server.output().includes('quiet-request-1'));
  });
});

describe('the request log on failures (the middleware in an app, into pino)', () => {
  it('logs a 5xx at error with its request id and without the error, and a request the client gave up as aborted', async () => {
    let written = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    const app = express();
    app.use(requestLog(pino({ level: 'info' }, sink)));
    app.get('/fails', () => {
      throw new Error('select * from users where password = secret-in-sql');
    });
    let release: () => void = () => undefined;
    app.get('/slow', (_req, res) => {
      release = () => res.end('late');
    });
    // Express's own error handler would print the error to stderr: answer 500 quietly, as the server does.
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send('Something went wrong.');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const failed = await request(server).get('/fails').set('X-Request-Id', 'failing-1');
      assert.equal(failed.status, 500);
      const port = (server.address() as AddressInfo).port;
      await new Promise<void>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/slow', headers: { 'X-Request-Id': 'gave-up-1' } });
        req.on('error', () => resolve());
        req.end();
        setTimeout(() => req.destroy(), 100);
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      server.close();
    }
    const lines = written
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    const failedLines = lines.filter((line) => line.reqId === 'failing-1');
    assert.deepEqual(
      failedLines.map((line) => [line.level, line.status, line.msg]),
      [[50, 500, 'request completed']],
    );
    assert.ok(!written.includes('secret-in-sql'), "the error itself is the route's to log");
    assert.deepEqual(
      lines.filter((line) => line.reqId === 'gave-up-1').map((line) => [line.level, line.msg, line.path]),
      [[30, 'request aborted', '/slow']],
    );
  });
});
