import assert from 'node:assert/strict';
import * as net from 'node:net';
import { createResolver, type Resolver } from '../../src/dns';
import { probeHttps, probeMxTls } from '../../src/probes';
import { MAX_POLICY_BYTES } from '../../src/probes/https';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { createTestCa, type Issued, type TestCa } from '../support/tls';
import { servePolicy, startPolicyWebServer, startSmtpServer, type PolicyWebServer, type TestSmtpServer } from '../support/probe-servers';

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
    probeHttps({ resolver, domain: 'example.org', port: web.port, ca: ca.cert, ...options });
  const connectMx = (options: { timeoutMs?: number; port?: number } = {}) =>
    probeMxTls({ resolver, host: 'mail.example.org', ehloName: 'panel.example.org', port: smtp.port, ca: ca.cert, ...options });

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
      const result = await probeHttps({ resolver, domain: 'example.org', port: await closedPort(), ca: ca.cert });
      assert.equal(result.failure?.stage, 'connect');
      assert.match(result.failure?.message ?? '', /refused: nothing listens there/);
    });

    it('gives up on a server that never answers after its timeout, saying where it stalled', async () => {
      const silent = net.createServer(() => {});
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const port = (silent.address() as net.AddressInfo).port;
        const result = await probeHttps({ resolver, domain: 'example.org', port, ca: ca.cert, timeoutMs: 300 });
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
      assert.deepEqual(result.failure, { stage: 'protocol', message: 'the server greeted with "554 5.3.2 No service for you" instead of 220' });
    });

    it('gives up on a silent server after its timeout', async () => {
      smtp.set({ banner: null });
      const result = await connectMx({ timeoutMs: 300 });
      assert.equal(result.failure?.stage, 'timeout');
      assert.match(result.failure?.message ?? '', /stalled waiting for the SMTP greeting/);
    });
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
