import assert from 'node:assert/strict';
import { createResolver } from '../../src/dns';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';

// What the resolver says about DNSSEC: the AD bit of the answer, and whether it was signed. Signed
// zones and a validating resolver are in test/check/run-dane.test.ts (BIND); here the test
// server, which never signs and sets AD only when a reply mutator adds it.
describe('resolver: DNSSEC state of TLSA answers', () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer();
    dns.setZone([
      { name: '_25._tcp.mail.example.org', type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 0xab) } },
      { name: 'mail.example.org', type: 'A', data: '192.0.2.25' },
    ]);
  });
  after(() => dns.close());
  afterEach(() => dns.setReplyMutator(null));

  const resolver = () => createResolver({ servers: [dns.address], timeoutMs: 1000, retries: 0 });
  const withAd = () =>
    dns.setReplyMutator((reply) => {
      const flagged = Buffer.from(reply);
      flagged[3] |= 0x20;
      return flagged;
    });

  it('exposes the AD bit of a TLSA answer, and no signatures from an unsigned server', async () => {
    const plain = await resolver().lookup('_25._tcp.mail.example.org', 'TLSA');
    assert.ok(plain.ok);
    assert.deepEqual(plain.dnssec, { authenticated: false, signed: false });
    withAd();
    const vouched = await resolver().lookup('_25._tcp.mail.example.org', 'TLSA');
    assert.deepEqual(vouched.dnssec, { authenticated: true, signed: false });
  });

  it('says it for "nothing there" too, and only for TLSA', async () => {
    withAd();
    const none = await resolver().lookup('_25._tcp.mx2.example.org', 'TLSA');
    assert.equal(none.ok, false);
    assert.deepEqual(none.dnssec, { authenticated: true, signed: false });
    const address = await resolver().lookup('mail.example.org', 'A');
    assert.equal(address.dnssec, undefined);
  });
});
