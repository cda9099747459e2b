import assert from 'node:assert/strict';
import { TestServer, createServer } from '../support/server';
import { googleSample, microsoftSample } from '../support/report-samples';

const API = '/api/v1/mta-sts';

describe('TLS report summaries in the JSON API', () => {
  let server: TestServer;
  let clock: Date;
  let path: string;

  beforeEach(async () => {
    clock = new Date('2026-11-01T12:00:00Z');
    server = await createServer({ plugin: { now: () => clock } });
    const setup = await server
      .request()
      .put(`${API}/example.org/reporting`)
      .send({ rua: ['mailto:tlsrpt@example.org'] });
    path = new URL(setup.body.reportingUri).pathname;
  });
  afterEach(async () => {
    await server?.close();
  });
  const post = (report: unknown) => server.request().post(path).set('Content-Type', 'application/tlsrpt+json').send(JSON.stringify(report));

  it('sums days, organisations, failure groups and the policies senders applied, by our policy id', async () => {
    const saved = await server.put('example.org', { mode: 'testing', mx: ['mx.example.org'], maxAge: 86400, active: true });
    assert.equal(saved.status, 200);
    clock = new Date('2026-11-21T12:00:00Z');
    assert.equal((await post(googleSample('example.org', '2026-11-20', 'g1'))).status, 201);
    assert.equal((await post(googleSample('example.org', '2026-11-21', 'g2'))).status, 201);
    assert.equal((await post(microsoftSample('example.org', '2026-11-21', 'm1'))).status, 201);
    const res = await server.request().get(`${API}/example.org/reports?from=2026-11-19&to=2026-11-21`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.days, [
      { date: '2026-11-19', success: 0, failure: 0 },
      { date: '2026-11-20', success: 42, failure: 0 },
      { date: '2026-11-21', success: 49, failure: 2 },
    ]);
    assert.deepEqual(res.body.organisations, [
      { name: 'Google Inc.', trusted: false, reports: 2, success: 84, failure: 0 },
      { name: 'Microsoft Corporation', trusted: false, reports: 1, success: 7, failure: 2 },
    ]);
    assert.deepEqual(res.body.failures[0], {
      resultType: 'tls-version-too-old',
      receivingMxHostname: 'mx.example.org',
      receivingIp: null,
      sendingMtaIp: '40.107.1.2',
      receivingMxHelo: null,
      failureReasonCode: null,
      additionalInformation: null,
      organisation: 'Microsoft Corporation',
      sessions: 2,
    });
    assert.deepEqual(res.body.policies, [
      { policyType: 'sts', id: saved.body.id, mx: [], sessions: 84 },
      { policyType: 'no-policy-found', id: null, mx: ['mx.example.org'], sessions: 9 },
    ]);
    assert.deepEqual([res.body.domain, res.body.from, res.body.to], ['example.org', '2026-11-19', '2026-11-21']);
  });

  it('defaults to the last 30 days and refuses bad dates with 400 naming the parameter', async () => {
    clock = new Date('2026-11-21T12:00:00Z');
    const res = await server.request().get(`${API}/example.org/reports`);
    assert.equal(res.status, 200);
    assert.equal(res.body.days.length, 30);
    assert.deepEqual([res.body.from, res.body.to], ['2026-10-23', '2026-11-21']);
    for (const [query, field] of [
      ['from=2026-13-01', 'from'],
      ['to=yesterday', 'to'],
      ['from=2026-02-30', 'from'],
      ['from=2026-11-21&to=2026-11-01', 'from'],
      ['from=2020-01-01&to=2026-01-01', 'from'],
    ]) {
      const bad = await server.request().get(`${API}/example.org/reports?${query}`);
      assert.equal(bad.status, 400, query);
      assert.equal(bad.body.errors[0].field, field, query);
    }
    assert.equal((await server.request().get(`${API}/nowhere.example/reports`)).status, 404);
    assert.equal((await server.request().get(`${API}/example.org/reports/unknown-id`)).status, 404);
  });

  it('validates the rua list with field-named codes', async () => {
    const bad = await server
      .request()
      .put(`${API}/example.org/reporting`)
      .send({ rua: ['ftp://x.example'] });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors[0], {
      field: 'rua',
      code: 'field.rua.badUri',
      params: { uri: 'ftp://x.example' },
      message: 'Report addresses has a problem: "ftp://x.example" is not a mailto: address or an https: URL',
    });
    const many = await server
      .request()
      .put(`${API}/example.org/reporting`)
      .send({ rua: ['mailto:a@x.example', 'mailto:b@x.example', 'mailto:c@x.example', 'mailto:d@x.example', 'mailto:e@x.example', 'mailto:f@x.example'] });
    assert.equal(many.body.errors[0].code, 'field.rua.tooMany');
    assert.equal((await server.request().put(`${API}/example.org/reporting`).send({ rua: 5 })).body.errors[0].code, 'field.rua.notList');
    const ok = await server
      .request()
      .put(`${API}/example.org/reporting`)
      .send({ rua: `mailto:tlsrpt@example.org, https://mail.example.net${path}` });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.record, `v=TLSRPTv1; rua=mailto:tlsrpt@example.org,https://mail.example.net${path}`);
  });

  it('prunes reports older than the retention (default 400 days), keeping newer ones', async () => {
    clock = new Date('2026-11-21T12:00:00Z');
    assert.equal((await post(googleSample('example.org', '2025-10-16', 'old'))).status, 201);
    assert.equal((await post(googleSample('example.org', '2025-10-18', 'kept'))).status, 201);
    assert.equal(await server.mtaSts.pruneReports(), 1);
    assert.equal((await server.request().get(`${API}/example.org/reports/old`)).status, 404);
    assert.equal((await server.request().get(`${API}/example.org/reports/kept`)).status, 200);
  });
});
