import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { TestServer, createServer } from '../support/server';
import { googleSample, microsoftSample, rfcSample } from '../support/report-samples';

const API = '/api/v1/mta-sts';

/** A gzip of `megabytes` MiB of zeros, made in a stream: about 1 KiB compressed per MiB. */
async function bomb(megabytes: number): Promise<Buffer> {
  const zero = Buffer.alloc(1024 * 1024);
  const source = Readable.from(
    (function* () {
      yield Buffer.from('{"organization-name":"');
      for (let i = 0; i < megabytes; i++) yield zero;
    })(),
  );
  const chunks: Buffer[] = [];
  for await (const chunk of source.pipe(createGzip({ level: 9 }))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('TLS report intake over HTTPS (RFC 8460 section 3)', () => {
  let server: TestServer;
  let path: string;

  async function setUp(plugin = {}) {
    server = await createServer({ plugin });
    const res = await server
      .request()
      .put(`${API}/example.org/reporting`)
      .send({ rua: ['mailto:tlsrpt@example.org'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.reportingUri, /^https:\/\/mail\.example\.net\/tlsrpt\/v1\/[A-Za-z0-9_-]{22}$/);
    path = new URL(res.body.reportingUri).pathname;
  }
  // serialize(): superagent would turn a Buffer into JSON for a "+json" type; send the bytes as they are.
  const post = (body: Buffer | string, type: string, to = path) =>
    server
      .request()
      .post(to)
      .set('Content-Type', type)
      .serialize((b: unknown) => b as string)
      .send(body as never);
  const count = async () => Number((await server.db.knex(`${server.db.tablePrefix}tlsrpt_reports`).count({ n: '*' }))[0].n);

  afterEach(async () => {
    await server?.close();
  });

  it('takes a gzip report (201) and stores it once: the same report again is 200', async () => {
    await setUp();
    const body = gzipSync(JSON.stringify(rfcSample()));
    const first = await post(body, 'application/tlsrpt+gzip');
    assert.equal(first.status, 201, first.text);
    assert.deepEqual(first.body, { status: 'created', reportId: '5065427c-23d3-47ca-b6e0-946ea0e8c4be' });
    const again = await post(body, 'application/tlsrpt+gzip');
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'duplicate');
    // The same report as plain JSON is the same report.
    assert.equal((await post(JSON.stringify(rfcSample()), 'application/tlsrpt+json')).status, 200);
    assert.equal(await count(), 1);
    const stored = await server.request().get(`${API}/example.org/reports/5065427c-23d3-47ca-b6e0-946ea0e8c4be`);
    assert.equal(stored.status, 200);
    assert.deepEqual(stored.body.report, rfcSample());
    assert.equal(stored.body.receivedVia, 'https');
  });

  it('takes plain JSON reports (201), with a charset parameter too', async () => {
    await setUp();
    const res = await post(JSON.stringify(microsoftSample()), 'application/tlsrpt+json; charset=utf-8');
    assert.equal(res.status, 201, res.text);
    assert.equal(await count(), 1);
  });

  it('refuses a decompression bomb with 413, quickly and without inflating it', async function () {
    await setUp();
    const body = await bomb(200);
    assert.ok(body.length < 1024 * 1024, `the bomb is ${body.length} bytes compressed`);
    const heapBefore = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    const res = await post(body, 'application/tlsrpt+gzip');
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const heapGrowth = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    assert.equal(res.status, 413, res.text);
    assert.equal(res.body.error.code, 'too-large');
    // Generous bounds: 200 MiB inflated would take seconds and 200 MiB of memory.
    assert.ok(ms < 2000, `answered in ${ms} ms`);
    assert.ok(process.memoryUsage().rss < 1024 * 1024 * 1024);
    console.log(
      `      bomb of ${(body.length / 1024).toFixed(0)} KiB (200 MiB inflated): 413 in ${ms.toFixed(0)} ms, heap growth ${heapGrowth.toFixed(1)} MiB`,
    );
    assert.equal(await count(), 0);
  });

  it('refuses a compressed body over 1 MiB with 413', async () => {
    await setUp();
    const res = await post(Buffer.alloc(1024 * 1024 + 10, 1), 'application/tlsrpt+gzip');
    assert.equal(res.status, 413);
  });

  it('refuses truncated gzip (400), another content type (415), and bad reports (400 with problem codes)', async () => {
    await setUp();
    const gz = gzipSync(JSON.stringify(rfcSample()));
    const truncated = await post(gz.subarray(0, gz.length - 20), 'application/tlsrpt+gzip');
    assert.equal(truncated.status, 400);
    assert.equal(truncated.body.error.code, 'bad-gzip');
    const wrongType = await post(JSON.stringify(rfcSample()), 'application/json');
    assert.equal(wrongType.status, 415);
    assert.match(wrongType.body.error.message, /application\/tlsrpt\+gzip/);
    const bad = rfcSample();
    (bad.policies as Array<Record<string, Record<string, unknown>>>)[0].summary['total-successful-session-count'] = -5;
    const invalid = await post(JSON.stringify(bad), 'application/tlsrpt+json');
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body.error.problems, [{ code: 'report.count', field: 'policies[0].summary.total-successful-session-count' }]);
    assert.equal((await post(Buffer.from([0xff, 0xfe, 0x7b]), 'application/tlsrpt+json')).body.error.code, 'bad-encoding');
    assert.equal(await count(), 0);
  });

  it("refuses a report about another domain than the token's", async () => {
    await setUp();
    const res = await post(JSON.stringify(googleSample('example.com')), 'application/tlsrpt+json');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'wrong-domain');
    assert.equal((await post(JSON.stringify(googleSample('sub.example.org')), 'application/tlsrpt+json')).status, 201, 'a subdomain belongs to it');
  });

  it('answers the same bare 404 for an unknown, malformed or replaced token', async () => {
    await setUp();
    const body = JSON.stringify(rfcSample());
    const unknown = await post(body, 'application/tlsrpt+json', '/tlsrpt/v1/AAAAAAAAAAAAAAAAAAAAAA');
    const malformed = await post(body, 'application/tlsrpt+json', '/tlsrpt/v1/x');
    const regenerated = await server.request().post(`${API}/example.org/reporting/token`);
    assert.equal(regenerated.status, 200);
    const replaced = await post(body, 'application/tlsrpt+json');
    // An unknown token is answered before its body is read: 404, not 413, for an oversized body.
    const big = await post(Buffer.alloc(2 * 1024 * 1024, 0x20), 'application/tlsrpt+json', '/tlsrpt/v1/AAAAAAAAAAAAAAAAAAAAAA').catch(
      (err: { response?: { status: number; body: unknown } }) => err.response,
    );
    assert.equal(big?.status, 404);
    for (const res of [unknown, malformed, replaced]) {
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { error: { code: 'not-found', message: 'Not found.' } });
    }
    assert.equal((await post(body, 'application/tlsrpt+json', new URL(regenerated.body.reportingUri).pathname)).status, 201);
  });

  it('limits reports per token (429 with Retry-After), and other methods get 405', async () => {
    await setUp({ reports: { perTokenPerHour: 2 } });
    assert.equal((await post(JSON.stringify(googleSample('example.org', '2026-11-01', 'a')), 'application/tlsrpt+json')).status, 201);
    assert.equal((await post(JSON.stringify(googleSample('example.org', '2026-11-02', 'b')), 'application/tlsrpt+json')).status, 201);
    const limited = await post(JSON.stringify(googleSample('example.org', '2026-11-03', 'c')), 'application/tlsrpt+json');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal((await server.request().get(path)).status, 405);
  });

  it('fuzz: mutated gzip and JSON bodies never get a 5xx', async () => {
    await setUp({ reports: { perTokenPerHour: 100_000 } });
    const json = Buffer.from(JSON.stringify(rfcSample()));
    const gz = gzipSync(json);
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.nat(), async (zipped, at, bytes, cut) => {
        const base = zipped ? gz : json;
        const body = Buffer.concat([base.subarray(0, at % base.length), Buffer.from(bytes), base.subarray((at % base.length) + bytes.length)]).subarray(
          0,
          Math.max(1, base.length - (cut % 8)),
        );
        const res = await post(body, zipped ? 'application/tlsrpt+gzip' : 'application/tlsrpt+json');
        assert.ok(res.status < 500, `${res.status} ${res.text}`);
      }),
      { numRuns: 150 },
    );
  });
});
