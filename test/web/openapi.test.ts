import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import request from 'supertest';
import { createPanel } from '../../src/server/app';
import { recordedAnswers } from '../support/api-recorder';
import { ContractChecker, documentPath, documentedOperations, loadDocument, templateOf } from '../support/openapi';
import { registeredRoutes } from '../support/routes';
import { createServer, type TestServer } from '../support/server';

const API = '/api/v1/mta-sts';

/** Every operation the API router registers, as "METHOD /mta-sts/{param}" (HEAD is GET's). */
function registeredOperations(server: TestServer): string[] {
  const found = registeredRoutes(server.mtaSts.api).flatMap(({ path, methods }) =>
    methods.filter((m) => m !== 'HEAD').map((m) => `${m} /mta-sts${templateOf(path === '/' ? '' : path)}`),
  );
  return [...new Set(found)].sort();
}

describe('the OpenAPI document of /api/v1 (docs/openapi.json)', () => {
  const doc = loadDocument();
  let server: TestServer;
  beforeEach(async () => {
    server = await createServer();
  });
  afterEach(async () => {
    await server?.close();
  });

  it('documents every route the API router registers, and no route it does not', () => {
    const registered = registeredOperations(server);
    const documented = documentedOperations(doc).filter((op) => op !== 'GET /openapi.json');
    const undocumented = registered.filter((op) => !documented.includes(op));
    const gone = documented.filter((op) => !registered.includes(op));
    assert.deepEqual(undocumented, [], `routes missing from docs/openapi.json (add each under "paths"): ${undocumented.join(', ')}`);
    assert.deepEqual(gone, [], `operations in docs/openapi.json that no route serves: ${gone.join(', ')}`);
    assert.ok(registered.includes('GET /mta-sts/{domain}/history'), 'the history is one of them');
  });

  it('gives every operation an id, a summary and the errors of its kind, and compiles every schema in strict Ajv', () => {
    const checker = new ContractChecker(doc);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, { operationId?: string; summary?: string; responses?: object }>)) {
        if (method === 'parameters') continue;
        assert.ok(operation.operationId && operation.summary, `${method.toUpperCase()} ${path} has an operationId and a summary`);
        if (path !== '/openapi.json')
          assert.ok(operation.responses && '401' in operation.responses && '403' in operation.responses, `${path} documents 401/403`);
      }
    }
    assert.ok(checker.compileAll() > 40, 'every answer has a schema');
    assert.deepEqual(
      checker.check({
        method: 'GET',
        url: `${API}/example.org`,
        status: 404,
        contentType: 'application/json',
        body: '{"error":{"code":"not-found","message":"x"}}',
      }),
      [],
    );
  });

  it('serves the document as it is, to anyone, at GET /api/v1/openapi.json (plugin and mta-sts serve)', async () => {
    const file = readFileSync(documentPath(), 'utf8');
    // The plugin in a host, asked without the host's login: the document holds no data.
    server.authorize = 'deny';
    const res = await server.request().get('/api/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(res.text, file);
    assert.equal((await server.request().get(`${API}/example.org`)).status, 403, 'the API itself stays closed to the same caller');

    const dir = mkdtempSync(join(tmpdir(), 'mta-sts-openapi-'));
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
    try {
      const { app, close } = await createPanel({ knex, mailHostname: 'mail.example.org', apiKey: 'k'.repeat(32), dnsServers: ['127.0.0.1:9'] });
      const served = await request(app).get('/api/v1/openapi.json');
      assert.equal(served.status, 200, 'no X-API-Key needed');
      assert.equal(served.text, file);
      assert.equal((await request(app).get(`${API}/example.org`)).status, 401, 'the API still wants its key');
      close();
    } finally {
      await knex.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names what differs: an undocumented route, status or field, and a wrong type', async () => {
    const checker = new ContractChecker(doc);
    const json = 'application/json';
    const domain = (await server.put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true })).body as Record<string, unknown>;
    delete domain.changed;
    const answer = (status: number, body: unknown, url = `${API}/example.org`, method = 'GET') => ({
      method,
      url,
      status,
      contentType: json,
      body: JSON.stringify(body),
    });
    assert.deepEqual(checker.check(answer(200, domain)), [], 'a real answer passes');
    assert.match(
      checker.check(answer(200, { ...domain, extra: 1 })).join('\n'),
      /GET \/mta-sts\/\{domain\} 200: body must NOT have additional properties.*extra/,
    );
    assert.match(checker.check(answer(200, { ...domain, maxAge: '86400' })).join('\n'), /body\/maxAge must be integer/);
    assert.match(
      checker.check(answer(418, { error: { code: 'internal', message: 'x' } })).join('\n'),
      /GET \/mta-sts\/\{domain\}: status 418 is not documented/,
    );
    assert.match(
      checker.check(answer(200, {}, `${API}/example.org/reports/r1/raw`)).join('\n'),
      /undocumented route: GET \/api\/v1\/mta-sts\/example.org\/reports\/r1\/raw answered 200/,
    );
    assert.match(checker.check(answer(200, {}, `${API}/example.org`, 'DELETE')).join('\n'), /undocumented route: DELETE \/mta-sts\/\{domain\}/);
    assert.deepEqual(
      checker.check(answer(404, { error: { code: 'not-found', message: 'No such API route.' } }, `${API}/a/b/c/d`)),
      [],
      "the router's 404 for any path",
    );
    assert.match(checker.check({ ...answer(200, domain), contentType: 'text/html' }).join('\n'), /content type text\/html is not documented/);
  });

  it('sees the answers the suite receives (the recorder is on)', async () => {
    const before = recordedAnswers().length;
    await server.request().get(`${API}/example.org/history?limit=2`);
    const last = recordedAnswers().at(-1);
    assert.equal(recordedAnswers().length, before + 1, 'the mocha config requires dist/test/support/api-recorder.js');
    assert.equal(last?.url, `${API}/example.org/history?limit=2`);
    assert.equal(last?.status, 200);
  });
});
