import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { MAIL_HOSTNAME, ServerOptions, TestServer, createServer } from '../support/server';

const API = '/api/v1/mta-sts';

function assertJson(res: Response, status: number): void {
  assert.equal(res.status, status, `status (body: ${res.text})`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  assert.equal(res.headers['cache-control'], 'no-store', 'API answers hold security settings: never cached');
}

/** The plugin's columns of a host row, to prove that nothing was saved. */
async function stored(server: TestServer, domain: string): Promise<Record<string, unknown>> {
  const row = await server.row(domain);
  return Object.fromEntries(Object.entries(row).filter(([k]) => k.startsWith('mta_sts_')));
}

describe('the JSON API (/api/v1/mta-sts)', () => {
  let server: TestServer;
  const start = async (options: ServerOptions = {}) => {
    server = await createServer(options);
  };
  afterEach(async () => {
    await server?.close();
  });

  describe('GET /:domain', () => {
    beforeEach(() => start());

    it("returns a domain's policy: the defaults before any save", async () => {
      const res = await server.request().get(`${API}/example.org`);
      assertJson(res, 200);
      assert.deepEqual(res.body, {
        domain: 'example.org',
        displayDomain: 'example.org',
        active: false,
        version: 'STSv1',
        mode: 'none',
        maxAge: 86400,
        mx: [],
        id: null,
        updatedAt: null,
        revision: 0,
        served: false,
        reportingUri: null,
        publishing: 'direct',
        records: [],
        warnings: [],
      });
    });

    it('returns what was saved, with its id and time of change', async () => {
      const put = await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org'], active: true });
      assertJson(put, 200);
      const res = await server.request().get(`${API}/example.org`);
      assertJson(res, 200);
      const { changed, ...stored } = put.body;
      assert.equal(changed, true);
      assert.deepEqual(res.body, stored);
      assert.equal(res.body.mode, 'enforce');
      assert.deepEqual(res.body.mx, ['mail.example.org']);
      assert.match(res.body.id, /^[A-Za-z0-9]{1,32}$/);
      assert.ok(!Number.isNaN(Date.parse(res.body.updatedAt)), 'updatedAt is a time');
      assert.equal(res.body.served, true);
    });

    it("lists the DNS records to publish once saved, the TLS reporting record with the panel's address until others are configured", async () => {
      const put = await server.put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true });
      assertJson(put, 200);
      const sts = { type: 'TXT', name: '_mta-sts.example.org', value: `v=STSv1; id=${put.body.id}` };
      const host = { type: 'CNAME', name: 'mta-sts.example.org', value: MAIL_HOSTNAME };
      assert.match(put.body.reportingUri, /^https:\/\/mail\.example\.net\/tlsrpt\/v1\/[A-Za-z0-9_-]{22}$/);
      assert.deepEqual(put.body.records, [sts, host, { type: 'TXT', name: '_smtp._tls.example.org', value: `v=TLSRPTv1; rua=${put.body.reportingUri}` }]);
      const reporting = await server
        .request()
        .put(`${API}/example.org/reporting`)
        .send({ rua: ['mailto:tls@example.org'] });
      assertJson(reporting, 200);
      const res = await server.request().get(`${API}/example.org`);
      assert.deepEqual(res.body.records, [sts, host, { type: 'TXT', name: '_smtp._tls.example.org', value: reporting.body.record }]);
      assert.equal(reporting.body.record, 'v=TLSRPTv1; rua=mailto:tls@example.org');
    });

    it('finds a domain held as U-label by either spelling and answers with its A-label', async () => {
      for (const name of ['xn--bcher-kva.example', 'bücher.example', 'BÜCHER.example']) {
        const res = await server.request().get(`${API}/${encodeURIComponent(name)}`);
        assertJson(res, 200);
        assert.equal(res.body.domain, 'xn--bcher-kva.example');
        assert.equal(res.body.displayDomain, 'bücher.example');
      }
    });

    it('answers 404 with a JSON error for an unknown domain or a name that is no domain', async () => {
      for (const name of ['unknown.example', 'localhost', '..', 'a b']) {
        const res = await server.request().get(`${API}/${encodeURIComponent(name)}`);
        assertJson(res, 404);
        assert.equal(res.body.error.code, 'not-found');
      }
    });

    it('answers 404 with a JSON error for a route it does not have', async () => {
      const res = await server.request().delete(`${API}/example.org`);
      assertJson(res, 404);
    });
  });

  describe('PUT /:domain', () => {
    beforeEach(() => start());

    it('stores each field given alone, answers the stored policy and a new id for every change', async () => {
      const ids = new Set<string>();
      const steps: Array<[Record<string, unknown>, Record<string, unknown>]> = [
        [{ mx: ['mail.example.org', '*.mx.example.net'] }, { mx: ['mail.example.org', '*.mx.example.net'] }],
        [{ mode: 'enforce' }, { mode: 'enforce' }],
        [{ maxAge: 604800 }, { maxAge: 604800 }],
        [{ active: true }, { active: true, served: true }],
        [{ mx: 'a.example.org, b.example.org' }, { mx: ['a.example.org', 'b.example.org'] }],
        [
          { mode: 'testing', maxAge: 0 },
          { mode: 'testing', maxAge: 0 },
        ],
        [{ active: false }, { active: false, served: false }],
      ];
      let revision = 0;
      for (const [body, expected] of steps) {
        const res = await server.put('example.org', body);
        assertJson(res, 200);
        for (const [key, value] of Object.entries(expected)) assert.deepEqual(res.body[key], value, `${JSON.stringify(body)}: ${key}`);
        assert.equal(res.body.changed, true);
        assert.ok(!ids.has(res.body.id), `${JSON.stringify(body)} gives a new id`);
        ids.add(res.body.id);
        assert.equal(res.body.revision, ++revision);
        const { changed: _changed, ...policy } = res.body;
        assert.deepEqual((await server.request().get(`${API}/example.org`)).body, policy, 'GET returns what PUT answered');
      }
      const row = await server.row('example.org');
      assert.equal(row.mta_sts_mx, 'a.example.org,b.example.org');
      assert.equal(row.mta_sts_mode, 'testing');
    });

    it('keeps the id and revision when nothing changes, even when the same entries are spelled differently', async () => {
      const first = await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org'], active: true });
      assertJson(first, 200);
      for (const body of [
        {},
        { mode: 'enforce' },
        { mx: ['MAIL.Example.ORG.'] },
        { mx: 'mail.example.org, mail.example.org' },
        { active: true, maxAge: 86400 },
      ]) {
        const res = await server.put('example.org', body);
        assertJson(res, 200);
        assert.equal(res.body.changed, false, JSON.stringify(body));
        assert.equal(res.body.id, first.body.id, JSON.stringify(body));
        assert.equal(res.body.revision, first.body.revision, JSON.stringify(body));
      }
      assert.equal((await server.row('example.org')).mta_sts_id, first.body.id);
    });

    it('stores Unicode MX entries as A-labels', async () => {
      const res = await server.put('bücher.example', { mx: ['mail.bücher.example'], mode: 'enforce' });
      assertJson(res, 200);
      assert.deepEqual(res.body.mx, ['mail.xn--bcher-kva.example']);
    });

    const invalid: Array<[string, string, string]> = [
      ['maxAge as a string', '{"maxAge":"86400"}', 'maxAge'],
      ['maxAge over one year', '{"maxAge":31557601}', 'maxAge'],
      ['a negative maxAge', '{"maxAge":-1}', 'maxAge'],
      ['a fractional maxAge', '{"maxAge":1.5}', 'maxAge'],
      ['active as a string', '{"active":"yes"}', 'active'],
      ['active as a number', '{"active":1}', 'active'],
      ['mx as a number', '{"mx":5}', 'mx'],
      ['mx with a number in the list', '{"mx":["mail.example.org",1]}', 'mx'],
      ['a bad MX entry', '{"mode":"enforce","mx":["mail..example.org"]}', 'mx'],
      ['an unknown mode', '{"mode":"bogus","mx":["mail.example.org"]}', 'mode'],
      ['mode as a number', '{"mode":1}', 'mode'],
      ['enforce without MX entries', '{"mode":"enforce"}', 'mx'],
      ['a wrong version', '{"version":"STSv2"}', 'version'],
      ['an unknown field', '{"colour":"red"}', 'colour'],
      ['a stray id', '{"id":"123"}', 'id'],
      ['a revision that is not a number', '{"revision":"1","mode":"none"}', 'revision'],
      ['invalid JSON', '{"mode": "enforce",', 'body'],
      ['an array', '[{"mode":"none"}]', 'body'],
      ['a string', '"mode"', 'body'],
      ['null', 'null', 'body'],
      ['a number', '42', 'body'],
    ];
    for (const [what, body, field] of invalid) {
      it(`refuses ${what} with 400 {errors:[{field:"${field}", message}]}, saving nothing`, async () => {
        const before = await stored(server, 'example.org');
        const res = await server.put('example.org', body);
        assertJson(res, 400);
        assert.ok(Array.isArray(res.body.errors) && res.body.errors.length > 0, res.text);
        for (const error of res.body.errors) {
          assert.equal(typeof error.field, 'string');
          assert.ok(typeof error.message === 'string' && error.message.length > 5);
        }
        assert.ok(
          res.body.errors.some((e: { field: string }) => e.field === field),
          `an error for ${field}: ${res.text}`,
        );
        assert.deepEqual(await stored(server, 'example.org'), before);
      });
    }

    it('saves nothing of a body where only some fields are wrong', async () => {
      const before = await stored(server, 'example.org');
      const res = await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org'], maxAge: 'one day', active: true });
      assertJson(res, 400);
      assert.deepEqual(
        res.body.errors.map((e: { field: string }) => e.field),
        ['maxAge'],
      );
      assert.deepEqual(await stored(server, 'example.org'), before);
    });

    it('refuses a body that is not JSON with 415, saving nothing', async () => {
      const before = await stored(server, 'example.org');
      const res = await server.request().put(`${API}/example.org`).type('form').send({ mode: 'none' });
      assertJson(res, 415);
      assert.deepEqual(await stored(server, 'example.org'), before);
    });

    it('answers 404 for an unknown domain, creating nothing', async () => {
      const res = await server.put('unknown.example', { mode: 'none' });
      assertJson(res, 404);
      assert.equal(await server.db.knex(server.db.domainTable).where('domain', 'unknown.example').first(), undefined);
    });

    it('refuses a stale revision with 409 and the current policy, saving nothing', async () => {
      const first = await server.put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true, revision: 0 });
      assertJson(first, 200);
      assert.equal(first.body.revision, 1);
      const before = await stored(server, 'example.org');

      const stale = await server.put('example.org', { mode: 'enforce', revision: 0 });
      assertJson(stale, 409);
      const { changed: _changed, ...current } = first.body;
      assert.deepEqual(stale.body.current, current);
      assert.equal(typeof stale.body.error?.message, 'string');
      assert.deepEqual(await stored(server, 'example.org'), before);

      const fresh = await server.put('example.org', { mode: 'enforce', revision: stale.body.current.revision });
      assertJson(fresh, 200);
      assert.equal(fresh.body.mode, 'enforce');
    });

    it('needs no CSRF token: the API is authorized by the hook alone', async () => {
      const res = await server.put('example.org', { mode: 'none' });
      assertJson(res, 200);
      assert.equal(res.headers['set-cookie'], undefined, 'the API sets no cookie');
    });
  });

  describe('authorization', () => {
    const denials: Array<['missing' | 'deny' | 'unauthenticated', number, string]> = [
      ['missing', 403, 'forbidden'],
      ['deny', 403, 'forbidden'],
      ['unauthenticated', 401, 'unauthenticated'],
    ];
    for (const [mode, status, code] of denials) {
      it(`answers ${status} {error:{code:"${code}"}} to every route when authorize is ${mode}, saving nothing`, async () => {
        await start({ authorize: mode });
        const before = await stored(server, 'example.org');
        const answers = [
          await server.request().get(`${API}/example.org`),
          await server.request().get(`${API}/certificate-names`),
          await server.put('example.org', { mode: 'none', active: true }),
          await server.request().get(`${API}/unknown.example`),
        ];
        for (const res of answers) {
          assertJson(res, status);
          assert.equal(res.body.error.code, code);
          assert.equal(res.body.domain, undefined, 'no policy data leaks');
        }
        assert.deepEqual(await stored(server, 'example.org'), before);
      });
    }

    it('answers 500 with a generic JSON error when the hook throws, and logs it', async () => {
      await start({ authorize: async () => Promise.reject(new Error('key store down: secret-detail')) });
      const logged: unknown[][] = [];
      const realError = console.error;
      console.error = (...args: unknown[]) => void logged.push(args);
      let res: Response;
      try {
        res = await server.request().get(`${API}/example.org`);
      } finally {
        console.error = realError;
      }
      assertJson(res, 500);
      assert.equal(res.body.error.code, 'internal');
      assert.doesNotMatch(res.text, /secret-detail|key store/);
      assert.ok(logged.some((args) => args.some((a) => a instanceof Error && a.message.includes('secret-detail'))));
    });
  });
});
