import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { renderPolicy } from '../../src/policy';
import { runDnsCheck, type Check } from '../../src/check';
import { sayCheck } from '../../src/render/check';
import { createResolver } from '../../src/dns';
import { startDnsServer, type TestDnsServer, type ZoneRecord } from '../support/dns-server';
import { startSignedZone, type SignedZone } from '../support/dnssec-bind';
import { createTestCa, type Issued, type TestCa } from '../support/tls';
import { startSmtpServer, type TestSmtpServer } from '../support/probe-servers';
import { tlsaOf } from '../support/dane';
import { storedPolicy } from '../support/lookups';

// The dane check end to end: TLSA records over real DNS, compared with the certificate the
// STARTTLS probe receives from a real SMTP server on loopback, and DNSSEC as real resolvers say
// it. Two set-ups: the test DNS server (which sets the AD bit only when told, and never signs),
// and BIND with a signed zone, asked through a validating BIND resolver (AD) and directly (no AD).
const MAIL = 'mail.example.org';
const BASE: ZoneRecord[] = [
  { name: 'example.org', type: 'MX', data: { preference: 10, exchange: MAIL } },
  { name: MAIL, type: 'A', data: '127.0.0.1' },
];

describe('DNS Check dane: TLSA over DNS against the STARTTLS certificate', function () {
  this.timeout(20_000);
  let ca: TestCa;
  let served: Issued;
  let renewed: Issued;
  let smtp: TestSmtpServer;
  let dns: TestDnsServer;
  let signed: SignedZone;
  /** The `3 1 1` data of the certificate the SMTP server presents, and of another key for the same name. */
  let current: string;
  let other: string;

  before(async () => {
    ca = createTestCa();
    served = ca.issue([MAIL]);
    renewed = ca.issue([MAIL]);
    current = tlsaOf(new X509Certificate(served.cert), 3, 1, 1).data;
    other = tlsaOf(new X509Certificate(renewed.cert), 3, 1, 1).data;
    smtp = await startSmtpServer({ certificate: served });
    dns = await startDnsServer();
    signed = await startSignedZone(
      'example.org',
      [
        `@ IN MX 10 mail`,
        `mail IN A 127.0.0.1`,
        `_25._tcp.mail IN TLSA 3 1 1 ${current}`,
        `_25._tcp.mail IN TLSA 3 1 1 ${other}`,
        // stale.example.org: its MX host publishes only the key the server no longer uses.
        `stale IN MX 10 mx2`,
        `mx2 IN A 127.0.0.1`,
        `_25._tcp.mx2 IN TLSA 3 1 1 ${other}`,
      ].join('\n'),
    );
  });
  after(async () => {
    await Promise.all([smtp?.close(), dns?.close(), signed?.close()]);
    ca?.dispose();
  });
  beforeEach(() => {
    dns.setReplyMutator(null);
  });

  const dane = async (server: string, domain = 'example.org'): Promise<Check> => {
    const policy = storedPolicy();
    const result = await runDnsCheck({
      domain,
      policy,
      mailHostname: MAIL,
      served: { ok: true, text: renderPolicy(policy) },
      resolver: createResolver({ servers: [server], timeoutMs: 2000, retries: 0 }),
      https: { enabled: false },
      smtp: { port: smtp.port, ca: ca.cert, timeoutMs: 3000 },
      allowAddresses: ['127.0.0.0/8'],
    });
    const check = sayCheck(
      'en',
      result.checks.find((c) => c.name === 'dane')!,
    );
    return check;
  };
  const tlsa = (host: string, ...data: string[]): ZoneRecord[] =>
    data.map((hex) => ({ name: `_25._tcp.${host}`, type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from(hex, 'hex') } }));
  /** The test DNS server as a resolver that vouches for its TLSA answers (sets AD). */
  const vouch = () =>
    dns.setReplyMutator(
      (reply) => {
        const flagged = Buffer.from(reply);
        flagged[3] |= 0x20;
        return flagged;
      },
      { type: 'TLSA' },
    );

  describe('the test DNS server', () => {
    it('is ok when a record matches the presented certificate and the resolver set AD', async () => {
      dns.setZone([...BASE, ...tlsa(MAIL, current, other)]);
      vouch();
      const check = await dane(dns.address);
      assert.equal(check.code, 'dane.match', check.message);
      assert.equal(check.status, 'ok');
      assert.match(check.found, /\(matches the certificate, DNSSEC-validated\)/);
      assert.match(check.message, /validated the TLSA answers with DNSSEC/);
    });

    it('is an error when no record matches, naming the record of the presented key', async () => {
      dns.setZone([...BASE, ...tlsa(MAIL, other)]);
      vouch();
      const check = await dane(dns.address);
      assert.equal(check.code, 'dane.mismatch', check.message);
      assert.equal(check.status, 'error');
      assert.ok(check.message.includes(`_25._tcp.${MAIL} TLSA 3 1 1 ${current}`), check.message);
    });

    it('warns that unsigned answers (no signatures, no AD) make senders ignore the records', async () => {
      dns.setZone([...BASE, ...tlsa(MAIL, current, other)]);
      const check = await dane(dns.address);
      assert.equal(check.code, 'dane.unsigned', check.message);
      assert.equal(check.status, 'warning');
      assert.deepEqual(check.params?.match, [MAIL], 'the comparison is still shown');
    });
  });

  describe('BIND: a signed zone', () => {
    it('through a validating resolver: AD set, the records match', async () => {
      const check = await dane(signed.validating);
      assert.equal(check.code, 'dane.match', check.message);
      assert.match(check.found, /DNSSEC-validated/);
    });

    it('through a validating resolver: a stale record is an error', async () => {
      const check = await dane(signed.validating, 'stale.example.org');
      assert.equal(check.code, 'dane.mismatch', check.message);
      assert.equal(check.status, 'error');
      assert.deepEqual(check.params?.mismatch, ['mx2.example.org']);
    });

    it('through a server that does not validate: signed, but nothing can be said about authenticity', async () => {
      const check = await dane(signed.authoritative);
      assert.equal(check.code, 'dane.not-validated', check.message);
      assert.equal(check.status, 'info');
      assert.match(check.found, /signed, not validated/);
      assert.match(check.message, /does not validate/);
    });
  });
});
