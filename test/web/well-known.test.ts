import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import type { Response } from 'supertest';
import { STALE_MARKER, TestServer, createServer } from '../support/server';

// What a sending server fetches: https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 §3.3).
const POLICY_PATH = '/.well-known/mta-sts.txt';

const ENFORCE_BODY = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n';
const TESTING_BODY = 'version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 86400\r\n';
const NONE_BODY = 'version: STSv1\r\nmode: none\r\nmax_age: 300\r\n';
const BUECHER_BODY = 'version: STSv1\r\nmode: enforce\r\nmx: mail.xn--bcher-kva.example\r\nmax_age: 86400\r\n';

const DOMAINS = [
  { domain: 'example.org' },
  { domain: 'example.com' },
  { domain: 'retired.example' },
  { domain: 'inactive.example', active: false },
  { domain: 'off.example' },
  { domain: 'plain.example' },
  { domain: 'bücher.example' },
];
const ALIASES = [
  { alias: 'alias.example', target: 'example.org' },
  { alias: 'off-alias.example', target: 'example.org', active: false },
  { alias: 'alias-of-off.example', target: 'off.example' },
];

/** The policies as earlier saves left them in the host table. */
async function seedPolicies(server: TestServer): Promise<void> {
  await server.setPolicy('example.org', {
    active: true,
    mode: 'enforce',
    mx: ['mail.example.org', '*.mx.example.net'],
    maxAge: 604800,
    id: '20260101000000',
    revision: 1,
  });
  await server.setPolicy('example.com', { active: true, mode: 'testing', mx: ['mx.example.com'], maxAge: 86400, id: '20260101000001', revision: 1 });
  await server.setPolicy('retired.example', { active: true, mode: 'none', mx: [], maxAge: 300, id: '20260101000002', revision: 1 });
  // MTA-STS active, but the host has the domain itself switched off.
  await server.setPolicy('inactive.example', { active: true, mode: 'enforce', mx: ['mail.example.org'], id: '20260101000003', revision: 1 });
  // A valid policy whose Active box is unchecked.
  await server.setPolicy('off.example', { active: false, mode: 'enforce', mx: ['mail.example.org'], id: '20260101000004', revision: 1 });
  await server.setPolicy('bücher.example', {
    active: true,
    mode: 'enforce',
    mx: ['mail.xn--bcher-kva.example'],
    maxAge: 86400,
    id: '20260101000005',
    revision: 1,
  });
}

/** Sends a request exactly as written (CRLF line ends, Connection: close) and reads the answer. */
function rawRequest(address: AddressInfo, lines: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), body: split === -1 ? '' : text.slice(split + 4) });
    });
    // Written without half-closing: the server ends the connection after its answer (Connection:
    // close), also when the answer comes later, from a file read.
    socket.write([...lines, 'Connection: close', '', ''].join('\r\n'));
  });
}

function assertNoCookie(res: Response): void {
  assert.equal(res.headers['set-cookie'], undefined, `no cookie may be set (got ${res.headers['set-cookie']})`);
}

function assertPolicy(res: Response, body: string, what: string): void {
  assert.equal(res.status, 200, `${what}: status`);
  assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8', `${what}: media type`);
  assert.equal(res.text, body, `${what}: body`);
  assertNoCookie(res);
}

describe('the policy file (/.well-known/mta-sts.txt)', () => {
  let server: TestServer;
  let notFoundBody: string;

  before(async () => {
    server = await createServer({ domains: DOMAINS, aliases: ALIASES });
    await seedPolicies(server);
    notFoundBody = (await server.policy('mta-sts.unknown.example')).text;
  });
  after(() => server.close());

  describe('for a domain with an active policy', () => {
    it('serves the rendered policy, text/plain UTF-8, lines ending in CRLF, without a cookie', async () => {
      const res = await server.policy('mta-sts.example.org');
      assertPolicy(res, ENFORCE_BODY, 'GET');
      assert.match(res.headers['cache-control'] ?? '', /no-store/, 'senders must not cache over HTTP');
    });

    it('answers HEAD with the same status and headers and no body', async () => {
      const get = await server.policy('mta-sts.example.org');
      const head = await server.policy('mta-sts.example.org', 'head');
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(ENFORCE_BODY)));
      assert.equal(head.headers['content-length'], get.headers['content-length']);
      assert.ok(!head.text, 'HEAD has no body');
      assertNoCookie(head);
    });

    it('reads the Host header in any case, with a port and with a trailing dot', async () => {
      for (const host of [
        'MTA-STS.EXAMPLE.ORG',
        'Mta-Sts.Example.Org',
        'mta-sts.example.org:443',
        'mta-sts.example.org.',
        'mta-sts.example.org.:8443',
        'MTA-STS.example.ORG.:443',
      ]) {
        assertPolicy(await server.policy(host), ENFORCE_BODY, `Host: ${host}`);
      }
    });

    it('serves the policy whatever the mode: testing, and none (a policy being retired)', async () => {
      assertPolicy(await server.policy('mta-sts.example.com'), TESTING_BODY, 'testing');
      assertPolicy(await server.policy('mta-sts.retired.example'), NONE_BODY, 'none');
    });

    it('ignores a query string', async () => {
      const res = await server.request().get(`${POLICY_PATH}?v=1`).set('Host', 'mta-sts.example.org');
      assertPolicy(res, ENFORCE_BODY, 'with a query');
    });

    it('serves a domain the host table holds as a U-label for its A-label host name', async () => {
      assertPolicy(await server.policy('mta-sts.xn--bcher-kva.example'), BUECHER_BODY, 'A-label host');
      assertPolicy(await server.policy('MTA-STS.XN--BCHER-KVA.EXAMPLE'), BUECHER_BODY, 'A-label host in upper case');
    });

    it("serves an alias domain the target domain's policy", async () => {
      assertPolicy(await server.policy('mta-sts.alias.example'), ENFORCE_BODY, 'alias');
    });
  });

  describe('when there is nothing to serve', () => {
    const cases: Array<[string, string, string]> = [
      ['an unknown domain', 'mta-sts.unknown.example', POLICY_PATH],
      ['a domain that is inactive in the host', 'mta-sts.inactive.example', POLICY_PATH],
      ['a domain whose policy is not active', 'mta-sts.off.example', POLICY_PATH],
      ['a domain never configured', 'mta-sts.plain.example', POLICY_PATH],
      ['an inactive alias', 'mta-sts.off-alias.example', POLICY_PATH],
      ['an alias of a domain whose policy is not active', 'mta-sts.alias-of-off.example', POLICY_PATH],
      ['a host that is not a name', 'mta-sts.127.0.0.1', POLICY_PATH],
      ['an mta-sts host without a domain', 'mta-sts.', POLICY_PATH],
      ['another path on an mta-sts host', 'mta-sts.example.org', '/'],
      ['the home page on an mta-sts host', 'mta-sts.example.org', '/index.html'],
      ['the .well-known folder on an mta-sts host', 'mta-sts.example.org', '/.well-known/'],
      ['the policy path with a trailing slash', 'mta-sts.example.org', `${POLICY_PATH}/`],
      ['the policy path in upper case', 'mta-sts.example.org', '/.well-known/MTA-STS.TXT'],
      ['the policy path on the bare domain', 'example.org', POLICY_PATH],
      ['the policy path on the panel host', 'mail.example.net', POLICY_PATH],
      ['the policy path on www', 'www.example.org', POLICY_PATH],
      ['the policy path on an IP address', '127.0.0.1:8080', POLICY_PATH],
    ];
    for (const [what, host, path] of cases) {
      it(`answers 404 for ${what} (${host}${path}), with the same short body as every other 404`, async () => {
        const res = await server.request().get(path).set('Host', host);
        assert.equal(res.status, 404);
        assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
        assert.equal(res.text, notFoundBody, 'every 404 looks the same, so it tells nothing about which domains exist');
        assertNoCookie(res);
      });
    }

    it('has a 404 body that is short and names no domain', () => {
      assert.ok(notFoundBody.length > 0 && notFoundBody.length < 40, JSON.stringify(notFoundBody));
      assert.doesNotMatch(notFoundBody, /example|mta-sts|policy|inactive|domain/i);
    });

    it('still hands every other request on a normal host to the host app', async () => {
      const res = await server.request().get('/index.html').set('Host', 'www.example.org');
      assert.equal(res.status, 200);
      assert.match(res.text, /host home page/);
    });
  });

  describe('methods other than GET and HEAD', () => {
    for (const method of ['post', 'put', 'delete'] as const) {
      it(`answers ${method.toUpperCase()} with 405 and Allow: GET, HEAD`, async () => {
        const res = await server.policy('mta-sts.example.org', method).send('mode: none');
        assert.equal(res.status, 405);
        assert.equal(res.headers.allow, 'GET, HEAD');
        assertNoCookie(res);
        // Nothing changed for senders.
        assertPolicy(await server.policy('mta-sts.example.org'), ENFORCE_BODY, 'after the refused request');
      });
    }
  });

  describe('the stale static file in the web root', () => {
    const paths = [
      POLICY_PATH,
      `${POLICY_PATH}?x=1`,
      '/.well-known/mta%2Dsts.txt',
      '/.well-known/mta-sts%2etxt',
      '/%2Ewell-known/mta-sts.txt',
      '/.well-known//mta-sts.txt',
      '//.well-known/mta-sts.txt',
      '/.well-known/./mta-sts.txt',
      '/.well-known/%2E/mta-sts.txt',
      '/.well-known%2Fmta-sts.txt',
      '/.well-known/x/%2E%2E/mta-sts.txt',
    ];
    const hosts = ['mta-sts.example.org', 'mta-sts.unknown.example', 'mta-sts.off.example', 'www.example.org', 'example.org', 'mail.example.net', '127.0.0.1'];

    it('exists and is reachable under its own name, so the checks below mean something', async () => {
      // The same folder serves its other files: the static middleware is live.
      const res = await server.request().get('/index.html').set('Host', 'mail.example.net');
      assert.equal(res.status, 200);
    });

    it('is never served, for any Host and any spelling of the path, and no answer is a redirect', async () => {
      for (const host of hosts) {
        for (const path of paths) {
          const res = await server.request().get(path).set('Host', host).redirects(0);
          assert.ok(!(res.text ?? '').includes(STALE_MARKER), `GET ${path} with Host: ${host} served the stale file`);
          assert.ok(res.status < 300 || res.status >= 400, `GET ${path} with Host: ${host} answered ${res.status}`);
          assert.equal(res.headers.location, undefined);
        }
      }
    });
  });

  describe('every form of request line, sent raw over a socket', () => {
    const raw = (lines: string[]) => rawRequest(server.http.address() as AddressInfo, lines);

    it('never serves the stale file for an absolute-form request line, whatever its host or Host header', async () => {
      for (const target of [
        'http://x/.well-known/mta-sts.txt',
        'http://example.org/.well-known/mta-sts.txt',
        'HTTP://127.0.0.1:80/.well-known/mta%2Dsts.txt',
        'http://x//.well-known/./mta-sts.txt',
      ]) {
        for (const host of [[], ['Host: www.example.org'], ['Host: mta-sts.unknown.example']]) {
          const res = await raw([`GET ${target} HTTP/1.1`, ...(host.length ? host : ['Host: x'])]);
          assert.ok(!res.body.includes(STALE_MARKER), `${target} ${host.join()}: served the stale file`);
          assert.equal(res.status, 404, `${target} ${host.join()}`);
          assert.equal(res.body, notFoundBody);
        }
      }
      // HTTP/1.0 may come without any Host header.
      const bare = await raw(['GET http://x/.well-known/mta-sts.txt HTTP/1.0']);
      assert.equal(bare.status, 404);
      assert.ok(!bare.body.includes(STALE_MARKER));
      const origin = await raw(['GET /.well-known/mta-sts.txt HTTP/1.0']);
      assert.equal(origin.status, 404);
      assert.ok(!origin.body.includes(STALE_MARKER));
    });

    it('takes the host of an absolute-form request line over the Host header (RFC 9112 section 3.2.2)', async () => {
      const res = await raw(['GET http://mta-sts.example.org/.well-known/mta-sts.txt HTTP/1.1', 'Host: www.example.org']);
      assert.equal(res.status, 200);
      assert.equal(res.body, ENFORCE_BODY);
      const origin = await raw(['GET /.well-known/mta-sts.txt HTTP/1.1', 'Host: mta-sts.example.org']);
      assert.equal(origin.body, ENFORCE_BODY, 'origin-form: the Host header');
    });

    it('decides the target after removing a fragment, as after a query: never the stale file, the policy on its host', async () => {
      for (const target of ['/.well-known/mta-sts.txt#x', '/.well-known/mta-sts.txt#', '/.well-known/mta-sts.txt#?a=b', 'http://x/.well-known/mta-sts.txt#x']) {
        for (const host of ['www.example.org', 'localhost:3000', '127.0.0.1']) {
          const res = await raw([`GET ${target} HTTP/1.1`, `Host: ${host}`]);
          assert.ok(!res.body.includes(STALE_MARKER), `GET ${target} with Host: ${host} served the stale file`);
          assert.equal(res.status, 404, `GET ${target} with Host: ${host}`);
          assert.equal(res.body, notFoundBody);
        }
        if (target.startsWith('/')) {
          const served = await raw([`GET ${target} HTTP/1.1`, 'Host: mta-sts.example.org']);
          assert.equal(served.status, 200, `GET ${target} on mta-sts.example.org`);
          assert.equal(served.body, ENFORCE_BODY);
        }
      }
    });

    it('answers 400 to a request with two Host headers, serving no policy', async () => {
      for (const hosts of [
        ['mta-sts.example.org', 'mta-sts.example.com'],
        ['www.example.org', 'mta-sts.example.org'],
        ['mta-sts.example.org', 'mta-sts.example.org'],
      ]) {
        const res = await raw(['GET /.well-known/mta-sts.txt HTTP/1.1', ...hosts.map((h) => `Host: ${h}`)]);
        assert.equal(res.status, 400, hosts.join(' + '));
        assert.ok(!res.body.includes('version: STSv1'), 'no policy');
      }
    });
  });

  it('never redirects an mta-sts host, whatever the path', async () => {
    for (const path of ['/.well-known', '/.well-known/', '/', '/index.html', `${POLICY_PATH}/`, '//example.org/', '/%2e%2e/']) {
      const res = await server.request().get(path).set('Host', 'mta-sts.example.org').redirects(0);
      assert.equal(res.status, 404, `GET ${path}`);
      assert.equal(res.headers.location, undefined, `GET ${path}`);
    }
  });

  describe('certificate names (what the ACME client must request)', () => {
    const EXPECTED = ['mta-sts.alias.example', 'mta-sts.example.com', 'mta-sts.example.org', 'mta-sts.retired.example', 'mta-sts.xn--bcher-kva.example'];

    it('lists mta-sts.<domain> for exactly the domains with a served policy, and their active aliases', async () => {
      assert.deepEqual([...(await server.mtaSts.certificateNames())].sort(), EXPECTED);
    });

    it('gives the same list through GET /api/v1/mta-sts/certificate-names', async () => {
      const res = await server.request().get('/api/v1/mta-sts/certificate-names');
      assert.equal(res.status, 200);
      assert.deepEqual([...res.body.names].sort(), EXPECTED);
    });
  });
});

describe('the policy file after a change on this instance', () => {
  let server: TestServer;
  beforeEach(async () => {
    // A long cache lifetime: only the save itself can make the change visible.
    server = await createServer({ plugin: { cache: { ttlMs: 3_600_000, waitMs: 1000 } } });
    await server.setPolicy('example.org', { active: true, mode: 'enforce', mx: ['mail.example.org'], maxAge: 86400, id: '20260101000000', revision: 1 });
    // Warm the cache so that a stale copy exists.
    assert.equal((await server.policy('mta-sts.example.org')).status, 200);
    assert.equal((await server.policy('mta-sts.example.com')).status, 404);
  });
  afterEach(() => server.close());

  it('serves a change saved through the API at once, for the domain and its alias', async () => {
    const put = await server.put('example.org', { mode: 'testing', mx: ['mx1.example.org', 'mx2.example.org'], maxAge: 3600 });
    assert.equal(put.status, 200);
    const body = 'version: STSv1\r\nmode: testing\r\nmx: mx1.example.org\r\nmx: mx2.example.org\r\nmax_age: 3600\r\n';
    assertPolicy(await server.policy('mta-sts.example.org'), body, 'domain');
    assertPolicy(await server.policy('mta-sts.alias.example'), body, 'alias');
  });

  it('serves a change saved through the admin form at once', async () => {
    const res = await server.submitTab('example.org', { mode: 'testing', maxAge: '7200', mx: 'mx9.example.org' });
    assert.equal(res.status, 200);
    assertPolicy(await server.policy('mta-sts.example.org'), 'version: STSv1\r\nmode: testing\r\nmx: mx9.example.org\r\nmax_age: 7200\r\n', 'after the form');
  });

  it('starts serving a newly activated domain at once, and lists it for the certificate', async () => {
    const put = await server.put('example.com', { mode: 'enforce', mx: 'mail.example.com', active: true });
    assert.equal(put.status, 200);
    assertPolicy(await server.policy('mta-sts.example.com'), 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 86400\r\n', 'activated');
    assert.ok((await server.mtaSts.certificateNames()).includes('mta-sts.example.com'));
  });

  it('stops serving a deactivated policy at once, via the form (Active unchecked), and drops its names', async () => {
    // Unchecking Active on an enforce policy first explains retiring it; "Turn MTA-STS off anyway" confirms.
    const res = await server.submitTab('example.org', { active: undefined, intent: 'deactivate' });
    assert.equal(res.status, 200);
    assert.equal((await server.policy('mta-sts.example.org')).status, 404);
    assert.equal((await server.policy('mta-sts.alias.example')).status, 404);
    assert.deepEqual(await server.mtaSts.certificateNames(), []);
  });
});

describe('the policy file when the database fails', () => {
  let server: TestServer;
  let errors: unknown[];
  const realError = console.error;
  beforeEach(async () => {
    errors = [];
    console.error = (...args: unknown[]) => void errors.push(args);
    server = await createServer({ plugin: { cache: { ttlMs: 0, waitMs: 1000 } } });
    await server.setPolicy('example.org', { active: true, mode: 'enforce', mx: ['mail.example.org'], maxAge: 86400, id: '1', revision: 1 });
  });
  afterEach(async () => {
    console.error = realError;
    await server.db.knex.schema.renameTable(`${server.db.domainTable}_gone`, server.db.domainTable).catch(() => undefined);
    await server.close();
  });

  const breakDatabase = () => server.db.knex.schema.renameTable(server.db.domainTable, `${server.db.domainTable}_gone`);

  it('keeps serving the last policy it loaded, never a guess and never the stale file', async () => {
    const before = await server.policy('mta-sts.example.org');
    assert.equal(before.status, 200);
    await breakDatabase();
    const during = await server.policy('mta-sts.example.org');
    assertPolicy(during, before.text, 'while the database is down');
    // Not in the last snapshot, which the database cannot confirm now: it may have been added since.
    assert.equal((await server.policy('mta-sts.example.com')).status, 503);
  });

  it('answers 503 with Retry-After when it has never loaded the policies', async () => {
    await breakDatabase();
    const res = await server.policy('mta-sts.example.org');
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.ok(!res.text.includes(STALE_MARKER));
    assertNoCookie(res);
    await assert.rejects(server.mtaSts.certificateNames());
    assert.equal((await server.request().get('/api/v1/mta-sts/certificate-names')).status, 503);
  });

  it('answers certificate-names 503 with Retry-After once the list cannot be confirmed fresh, never the last list', async () => {
    const fresh = await server.request().get('/api/v1/mta-sts/certificate-names');
    assert.equal(fresh.status, 200);
    assert.deepEqual([...fresh.body.names].sort(), ['mta-sts.alias.example', 'mta-sts.example.org']);
    await breakDatabase();
    const res = await server.request().get('/api/v1/mta-sts/certificate-names');
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.error.code, 'unavailable');
    assert.match(res.body.error.message, /Database unavailable/);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.equal(res.body.names, undefined, 'no list that may be stale');
    // It says what failed: the query was refused, and the missing table is named.
    await assert.rejects(
      server.mtaSts.certificateNames(),
      (err: Error) => /the database refused the query/.test(err.message) && err.message.includes(server.db.domainTable),
    );
  });
});
