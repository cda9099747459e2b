import assert from 'node:assert/strict';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { startDnsServer, type TestDnsServer, type ZoneRecord } from '../support/dns-server';
import { createServer, MAIL_HOSTNAME, csrfFrom, textOf, type TestServer } from '../support/server';
import { createTestCa, type TestCa } from '../support/tls';

// The guide's Step 2 and 3 inside the panel: save a policy, publish what the tab says, press
// "DNS Check". The `https` check fetches the policy from this very plugin over HTTPS (the same
// Express app behind a TLS server with a throwaway CA), so it checks what senders would get.

const CHECK_ORDER = ['sts-txt', 'sts-host', 'mx', 'tlsrpt', 'policy', 'dane', 'https', 'mx-tls', 'caa'];

function rowStatus(html: string, name: string): string | null {
  const row = new RegExp(`<tr data-check="${name}"[^>]*>[\\s\\S]*?<span class="badge [^"]*">([a-z]+)</span>`).exec(html);
  return row ? row[1] : null;
}

describe('DNS Check in the panel (tab button and JSON API)', () => {
  let dns: TestDnsServer;
  let ca: TestCa;
  let server: TestServer;
  let tlsServer: HttpsServer;
  let id: string;

  before(async () => {
    dns = await startDnsServer();
    ca = createTestCa();
    const issued = ca.issue(['mta-sts.example.org']);
    // Port 0 first; the plugin options need the port, so the HTTPS server starts before the app
    // exists and forwards to it.
    let app: ((req: any, res: any) => void) | null = null;
    tlsServer = createHttpsServer({ key: issued.key, cert: issued.cert }, (req, res) => app?.(req, res));
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    server = await createServer({
      plugin: {
        dns: { servers: [dns.address], timeoutMs: 500, retries: 0 },
        dnsCheck: {
          https: { port: (tlsServer.address() as AddressInfo).port, ca: ca.cert, timeoutMs: 3000 },
          smtp: { enabled: false },
          allowAddresses: ['127.0.0.0/8', '::1/128'],
        },
      },
    });
    app = server.app;
    const saved = await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', active: '1', maxAge: '86400' });
    assert.equal(saved.status, 200);
    id = /data-policy-id>([A-Za-z0-9]+)</.exec(saved.text)?.[1] ?? '';
    assert.match(id, /^\d{14}$/);
  });

  after(async () => {
    await server?.close();
    await new Promise((resolve) => tlsServer?.close(resolve));
    await dns?.close();
    ca?.dispose();
  });

  function publish(extra: ZoneRecord[] = [], txtId = id): void {
    dns.setZone([
      { name: '_mta-sts.example.org', type: 'TXT', data: `v=STSv1; id=${txtId}` },
      { name: 'mta-sts.example.org', type: 'CNAME', data: MAIL_HOSTNAME },
      { name: MAIL_HOSTNAME, type: 'A', data: '127.0.0.1' },
      { name: 'mail.example.org', type: 'A', data: '127.0.0.1' },
      { name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mail.example.org' } },
      { name: '_smtp._tls.example.org', type: 'TXT', data: 'v=TLSRPTv1; rua=mailto:tls@example.org' },
      ...extra,
    ]);
  }

  it('shows a "DNS Check" button on the tab that works as a plain POST form with the CSRF token', async () => {
    const tab = await server.request().get('/mta-sts/example.org');
    assert.match(
      tab.text,
      /<form method="post" action="\/mta-sts\/example\.org\/dns-check(#[\w-]+)?"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/,
    );
    assert.match(tab.text, /<button type="submit" class="btn btn-info">DNS Check<\/button>/);
  });

  it('cannot be started by another site: a plain link (GET) or a POST without the CSRF token runs no check', async () => {
    publish();
    const before = dns.queries.length;
    const link = await server.request().get('/mta-sts/example.org/dns-check');
    assert.equal(link.status, 404, 'no GET route for the check');
    assert.doesNotMatch(link.text, /data-check=/);
    const forged = await server.request().post('/mta-sts/example.org/dns-check').type('form').send({});
    assert.equal(forged.status, 403);
    assert.doesNotMatch(forged.text, /data-check=/);
    assert.equal(dns.queries.length, before, 'no DNS query was sent');
  });

  it('shows one row per check with a status in words and the current id, inside the tab', async () => {
    publish();
    const res = await server.dnsCheckTab('example.org');
    assert.equal(res.status, 200);
    assert.match(res.text, new RegExp(`data-dns-check-id>${id}<`));
    assert.deepEqual(
      CHECK_ORDER.map((name) => rowStatus(res.text, name) !== null),
      CHECK_ORDER.map(() => true),
    );
    assert.equal(rowStatus(res.text, 'sts-txt'), 'ok');
    assert.equal(rowStatus(res.text, 'sts-host'), 'ok');
    assert.equal(rowStatus(res.text, 'mx'), 'ok');
    assert.equal(rowStatus(res.text, 'https'), 'ok', textOf(res.text));
    assert.equal(rowStatus(res.text, 'mx-tls'), 'info', 'disabled probe says it did not run');
    // The form is still there, ready for the next change.
    assert.ok(csrfFrom(res).token.length > 10);
  });

  it('asks DNS for the MX hosts once and reads the report settings once per tab view with a DNS Check: the page shows what the check read', async () => {
    publish();
    const csrf = await server.csrf('example.org');
    const settingsTable = `${server.db.tablePrefix}tlsrpt_settings`;
    let settingsReads = 0;
    const count = (query: { sql: string }) => {
      if (/^\s*select/i.test(query.sql) && query.sql.includes(settingsTable)) settingsReads += 1;
    };
    server.db.knex.on('query', count);
    dns.queries.splice(0);
    try {
      const res = await server.dnsCheckTab('example.org', {}, csrf);
      assert.equal(res.status, 200);
      assert.equal(rowStatus(res.text, 'mx'), 'ok');
      assert.equal(dns.queries.filter((q) => q.name === 'example.org' && q.type === 'MX').length, 1, 'one MX query for the check and the page');
      assert.equal(settingsReads, 1, 'the report settings read once for the check and the page');
      // The MX line under the field comes from the check's own answer.
      assert.match(textOf(res.text), /MX hosts of example\.org in DNS: mail\.example\.org\./);
    } finally {
      server.db.knex.removeListener('query', count);
    }
  });

  it('names the record to publish when DNS still holds an old id', async () => {
    publish([], '2024090101');
    const res = await server.dnsCheckTab('example.org');
    assert.equal(rowStatus(res.text, 'sts-txt'), 'error');
    assert.match(textOf(res.text), new RegExp(`v=STSv1; id=${id}`));
  });

  it('answers the same checks as JSON from the API', async () => {
    publish();
    const res = await server.request().get('/api/v1/mta-sts/example.org/dns-check');
    assert.equal(res.status, 200);
    assert.equal(res.body.domain, 'example.org');
    assert.equal(res.body.id, id);
    assert.ok(!Number.isNaN(Date.parse(res.body.checkedAt)));
    assert.deepEqual(
      res.body.checks.map((c: { name: string }) => c.name),
      CHECK_ORDER,
    );
    const https = res.body.checks.find((c: { name: string }) => c.name === 'https');
    assert.equal(https.status, 'ok', https.message);
    for (const check of res.body.checks) {
      // Today's fields, plus the machine code of the finding (and its facts, where it has any).
      assert.deepEqual(
        Object.keys(check)
          .filter((key) => key !== 'params')
          .sort(),
        ['code', 'expected', 'found', 'message', 'name', 'status'],
      );
      assert.ok(check.code.startsWith(`${check.name}.`), check.code);
    }
    assert.equal(https.code, 'https.ok');
  });

  it('is denied like every other admin and API route', async () => {
    const csrf = await server.csrf('example.org');
    server.authorize = 'deny';
    try {
      assert.equal((await server.dnsCheckTab('example.org', {}, csrf)).status, 403);
      assert.equal((await server.request().get('/api/v1/mta-sts/example.org/dns-check')).status, 403);
      server.authorize = 'unauthenticated';
      assert.equal((await server.request().get('/api/v1/mta-sts/example.org/dns-check')).status, 401);
    } finally {
      server.authorize = 'allow';
    }
  });

  it('answers 404 for an unknown domain', async () => {
    assert.equal((await server.dnsCheckTab('unknown.example', {}, await server.csrf('example.org'))).status, 404);
    assert.equal((await server.request().get('/api/v1/mta-sts/unknown.example/dns-check')).status, 404);
    assert.equal(await server.mtaSts.dnsCheck('unknown.example'), null);
  });

  it('gives a complete result with errors, not a hang, when the resolver never answers', async () => {
    dns.setFault('drop');
    try {
      const res = await server.request().get('/api/v1/mta-sts/example.org/dns-check');
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.checks.map((c: { name: string }) => c.name),
        CHECK_ORDER,
      );
      const sts = res.body.checks.find((c: { name: string }) => c.name === 'sts-txt');
      assert.equal(sts.status, 'error');
      assert.match(sts.message, /did not answer within 500 ms/);
    } finally {
      dns.setFault(null);
    }
  });
});
