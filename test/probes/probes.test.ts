import assert from 'node:assert/strict';
import * as net from 'node:net';
import { createResolver, type Resolver } from '../../src/dns';
import { SocketLimiter } from '../../src/limiter';
import { MAX_POLICY_BYTES, probeHttps, probeMxTls } from '../../src/probes';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { createTestCa, type Issued, type TestCa } from '../support/tls';
import { servePolicy, startPolicyWebServer, startSmtpServer, type PolicyWebServer, type TestSmtpServer } from '../support/probe-servers';

// The test servers listen on loopback, which the probes refuse unless told otherwise.
const LOOPBACK = ['127.0.0.0/8', '::1/128'];
const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmax_age: 604800\r\n';

describe('DNS check probes', () => {
  let dns: TestDnsServer;
  let ca: TestCa;
  let otherCa: TestCa;
  let web: PolicyWebServer;
  let smtp: TestSmtpServer;
  let certs: { sts: Issued; mail: Issued; wrongName: Issued; expired: Issued; foreign: Issued };
  let resolver: Resolver;

  before(async () => {
    dns = await startDnsServer();
    ca = createTestCa();
    otherCa = createTestCa('Some Other CA');
    certs = {
      sts: ca.issue(['mta-sts.example.org']),
      mail: ca.issue(['mail.example.org']),
      wrongName: ca.issue(['www.example.org']),
      expired: ca.issue(['mta-sts.example.org'], { days: -1 }),
      foreign: otherCa.issue(['mta-sts.example.org']),
    };
    web = await startPolicyWebServer(certs.sts);
    smtp = await startSmtpServer({ certificate: certs.mail });
    resolver = createResolver({ servers: [dns.address], timeoutMs: 500, retries: 0 });
  });
  after(async () => {
    await Promise.all([dns.close(), web.close(), smtp.close()]);
    ca.dispose();
    otherCa.dispose();
  });
  beforeEach(() => {
    dns.setZone([
      { name: 'mta-sts.example.org', type: 'A', data: '127.0.0.1' },
      { name: 'mail.example.org', type: 'A', data: '127.0.0.1' },
    ]);
    dns.setFault(null);
    web.setCertificate(certs.sts);
    web.setHandler(servePolicy(POLICY));
    web.requests.splice(0);
    smtp.set({ certificate: certs.mail, starttls: true, banner: '220 mx.test ESMTP ready' });
    smtp.commands.splice(0);
  });

  const fetchPolicy = (options: { timeoutMs?: number } = {}) =>
    probeHttps({ resolver, domain: 'example.org', port: web.port, ca: ca.cert, allowAddresses: LOOPBACK, ...options });
  const connectMx = (options: { timeoutMs?: number; port?: number; limiter?: SocketLimiter } = {}) =>
    probeMxTls({ resolver, host: 'mail.example.org', ehloName: 'panel.example.org', port: smtp.port, ca: ca.cert, allowAddresses: LOOPBACK, ...options });

  describe('HTTPS policy fetch', () => {
    it('fetches the policy from the address the injected resolver gave, with SNI and Host set to mta-sts.<domain>', async () => {
      const result = await fetchPolicy();
      assert.equal(result.failure, undefined);
      assert.equal(result.address, '127.0.0.1');
      assert.equal(result.status, 200);
      assert.equal(result.body, POLICY);
      assert.match(result.tlsVersion ?? '', /^TLSv1\.[23]$/);
      assert.deepEqual(result.certificate?.names, ['mta-sts.example.org']);
      assert.deepEqual(web.requests, [{ servername: 'mta-sts.example.org', host: 'mta-sts.example.org', path: '/.well-known/mta-sts.txt' }]);
    });

    it('falls back to the AAAA record when there is no A record', async () => {
      // IPv4-mapped, so the connection still goes to 127.0.0.1 where the test server listens.
      dns.setZone([{ name: 'mta-sts.example.org', type: 'AAAA', data: '::ffff:127.0.0.1' }]);
      const result = await fetchPolicy();
      assert.equal(result.address, '::ffff:7f00:1');
      assert.equal(result.failure, undefined);
      assert.equal(result.status, 200);
    });

    it('does not follow a redirect and reports where it pointed', async () => {
      web.setHandler((_req, res) => res.writeHead(301, { Location: 'https://www.example.org/mta-sts.txt' }).end());
      const result = await fetchPolicy();
      assert.equal(result.status, 301);
      assert.equal(result.location, 'https://www.example.org/mta-sts.txt');
      assert.equal(web.requests.length, 1);
    });

    it('stops reading a body larger than 64 KiB', async () => {
      web.setHandler(servePolicy('x'.repeat(MAX_POLICY_BYTES + 1)));
      const result = await fetchPolicy();
      assert.equal(result.bodyTooLarge, true);
      assert.equal(result.body, undefined);
    });

    it('names a certificate for another host, and sends no request over that connection', async () => {
      web.setCertificate(certs.wrongName);
      const result = await fetchPolicy();
      assert.equal(result.failure?.stage, 'certificate');
      assert.match(result.failure?.message ?? '', /not valid for mta-sts\.example\.org \(it covers www\.example\.org\)/);
      assert.equal(web.requests.length, 0);
    });

    it('says when the certificate has expired', async () => {
      web.setCertificate(certs.expired);
      const result = await fetchPolicy();
      assert.match(result.failure?.message ?? '', /it expired on \d{4}-\d\d-\d\d/);
    });

    it('says when the certificate comes from an authority nobody trusts', async () => {
      web.setCertificate(certs.foreign);
      const result = await fetchPolicy();
      assert.match(result.failure?.message ?? '', /not trusted: its issuer "Some Other CA"/);
    });

    it('reports a name without addresses before trying to connect', async () => {
      dns.setZone([]);
      const result = await fetchPolicy();
      assert.deepEqual(result.failure, { stage: 'dns', message: 'mta-sts.example.org has no A or AAAA record' });
    });

    it('reports a refused connection', async () => {
      const result = await probeHttps({ resolver, domain: 'example.org', port: await closedPort(), ca: ca.cert, allowAddresses: LOOPBACK });
      assert.equal(result.failure?.stage, 'connect');
      assert.match(result.failure?.message ?? '', /refused: nothing listens there/);
    });

    it('gives up on a server that never answers after its timeout, saying where it stalled', async () => {
      const silent = net.createServer(() => {});
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const port = (silent.address() as net.AddressInfo).port;
        const result = await probeHttps({ resolver, domain: 'example.org', port, ca: ca.cert, timeoutMs: 300, allowAddresses: LOOPBACK });
        assert.equal(result.failure?.stage, 'timeout');
        assert.match(result.failure?.message ?? '', /no complete answer within 0\.3 s \(stalled in the TLS handshake\)/);
      } finally {
        silent.close();
      }
    });
  });

  describe('MX STARTTLS', () => {
    it('greets, asks for STARTTLS, verifies the certificate for the MX name and says QUIT over TLS', async () => {
      const result = await connectMx();
      assert.equal(result.ok, true, JSON.stringify(result.failure));
      assert.equal(result.starttls, true);
      assert.match(result.tlsVersion ?? '', /^TLSv1\.[23]$/);
      assert.deepEqual(result.certificate?.names, ['mail.example.org']);
      await waitFor(() => smtp.commands.length === 3);
      assert.deepEqual(smtp.commands, ['EHLO panel.example.org', 'STARTTLS', 'tls: QUIT']);
    });

    it('fails when the server does not offer STARTTLS, and quits politely', async () => {
      smtp.set({ starttls: false });
      const result = await connectMx();
      assert.equal(result.ok, false);
      assert.equal(result.starttls, false);
      assert.match(result.failure?.message ?? '', /does not offer STARTTLS/);
      await waitFor(() => smtp.commands.length === 2);
      assert.deepEqual(smtp.commands, ['EHLO panel.example.org', 'QUIT']);
    });

    it('fails when the certificate is not valid for the MX host name', async () => {
      smtp.set({ certificate: certs.wrongName });
      const result = await connectMx();
      assert.equal(result.failure?.stage, 'certificate');
      assert.match(result.failure?.message ?? '', /not valid for mail\.example\.org/);
    });

    it('reports a server that refuses the session in its greeting', async () => {
      smtp.set({ banner: '554 5.3.2 No service for you' });
      const result = await connectMx();
      // Issue 14: the greeting is no longer quoted, only its reply code.
      assert.deepEqual(result.failure, {
        stage: 'protocol',
        code: 'not-smtp',
        message: 'the server did not answer as an SMTP server (its first reply code was 554, not 220)',
      });
    });

    it('holds one socket slot of a shared limiter, and gives it back as soon as its sockets are closed', async () => {
      const limiter = new SocketLimiter(1);
      const [first, second] = await Promise.all([connectMx({ limiter }), connectMx({ limiter })]);
      assert.equal(first.ok, true, JSON.stringify(first.failure));
      assert.equal(second.ok, true, JSON.stringify(second.failure));
      assert.equal(limiter.peak, 1);
      const started = Date.now();
      for (let i = 0; i < 100 && limiter.inFlight > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(limiter.inFlight, 0);
      // Not the 1 s fallback: the TLS socket and the TCP socket under it both reported their close.
      assert.ok(Date.now() - started < 400, `${Date.now() - started} ms`);
    });

    it('gives up on a silent server after its timeout', async () => {
      smtp.set({ banner: null });
      const result = await connectMx({ timeoutMs: 300 });
      assert.equal(result.failure?.stage, 'timeout');
      assert.match(result.failure?.message ?? '', /stalled waiting for the SMTP greeting/);
    });
  });
});

describe('DNS check probes and special-purpose addresses', () => {
  let dns: TestDnsServer;
  let listener: net.Server;
  let connections = 0;
  let resolver: Resolver;
  const asked: string[] = [];
  before(async () => {
    dns = await startDnsServer();
    listener = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const inner = createResolver({ servers: [dns.address], timeoutMs: 500, retries: 0 });
    // Records every question, to show the probe resolves a name once and connects to that answer.
    resolver = {
      servers: inner.servers,
      timeoutMs: inner.timeoutMs,
      lookup: (name, type) => {
        asked.push(`${type} ${name}`);
        return inner.lookup(name, type);
      },
    };
  });
  after(async () => {
    await dns.close();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });
  beforeEach(() => {
    connections = 0;
    asked.splice(0);
  });
  const port = () => (listener.address() as net.AddressInfo).port;

  for (const address of ['127.0.0.1', '10.1.2.3', '169.254.169.254', '::1', '::ffff:127.0.0.1', 'fe80::1', 'fd00::1']) {
    it(`refuses ${address} by default, with a verdict that says it is not public, and never connects`, async () => {
      const type = address.includes(':') ? 'AAAA' : 'A';
      dns.setZone([
        { name: 'mta-sts.example.org', type, data: address },
        { name: 'mail.example.org', type, data: address },
      ]);
      const web = await probeHttps({ resolver, domain: 'example.org', port: port(), timeoutMs: 2000 });
      const mx = await probeMxTls({ resolver, host: 'mail.example.org', ehloName: 'panel.example.org', port: port(), timeoutMs: 2000 });
      for (const result of [web, mx]) {
        assert.equal(result.failure?.stage, 'address');
        assert.equal(result.failure?.code, 'not-public');
        assert.match(result.failure?.message ?? '', /is not a public address/);
      }
      assert.equal(connections, 0);
    });
  }

  it('connects to an allowed range, to the very address it looked up (one A and one AAAA question)', async () => {
    dns.setZone([{ name: 'mail.example.org', type: 'A', data: '127.0.0.1' }]);
    const mx = await probeMxTls({
      resolver,
      host: 'mail.example.org',
      ehloName: 'panel.example.org',
      port: port(),
      timeoutMs: 2000,
      allowAddresses: ['127.0.0.0/8'],
    });
    assert.equal(mx.address, '127.0.0.1');
    assert.equal(mx.failure?.stage, 'protocol');
    assert.equal(connections, 1);
    assert.deepEqual(asked.sort(), ['A mail.example.org', 'AAAA mail.example.org']);
  });

  it('a lookup answering after the deadline opens no connection and keeps no socket slot', async () => {
    dns.setZone([{ name: 'mail.example.org', type: 'A', data: '127.0.0.1' }]);
    let answered!: () => void;
    const late = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const slow: Resolver = {
      servers: resolver.servers,
      timeoutMs: resolver.timeoutMs,
      lookup: async (name, type) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const result = await resolver.lookup(name, type);
        setImmediate(answered);
        return result;
      },
    };
    const limiter = new SocketLimiter(1);
    const mx = await probeMxTls({
      resolver: slow,
      host: 'mail.example.org',
      ehloName: 'panel.example.org',
      port: port(),
      timeoutMs: 150,
      allowAddresses: ['127.0.0.0/8'],
      limiter,
    });
    assert.equal(mx.failure?.stage, 'timeout');
    await late;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(connections, 0);
    assert.equal(limiter.inFlight, 0);
  });

  it('an allowed range opens that range only', async () => {
    dns.setZone([{ name: 'mail.example.org', type: 'A', data: '127.0.0.1' }]);
    const mx = await probeMxTls({
      resolver,
      host: 'mail.example.org',
      ehloName: 'panel.example.org',
      port: port(),
      timeoutMs: 2000,
      allowAddresses: ['10.0.0.0/8', '::1/128'],
    });
    assert.equal(mx.failure?.code, 'not-public');
    assert.equal(connections, 0);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The server side logs a command slightly after the client is done; poll briefly for it. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
