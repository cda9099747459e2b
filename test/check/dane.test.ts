import assert from 'node:assert/strict';
import { sayCheck } from '../../src/render/check';
import { daneCheck, type Check } from '../../src/check';
import type { TlsaRecord } from '../../src/dns';
import { daneChain, tlsaAnswer } from '../support/dane';
import { mxFailed, mxPassed, nxdomain } from '../support/lookups';

// The dane verdict over real certificates: what the admin reads for each combination of
// comparison and DNSSEC. The end-to-end run over DNS and SMTP is in run-dane.test.ts.
const MAIL = 'mail.example.org';
const MX2 = 'mx2.example.org';
const VALIDATED = { authenticated: true, signed: true };

function check(records: TlsaRecord[], dnssec: { authenticated: boolean; signed: boolean } | undefined = VALIDATED, chain = daneChain().chain): Check {
  return sayCheck('en', daneCheck({ hosts: [MAIL], tlsa: [tlsaAnswer(MAIL, records, dnssec)], probes: [{ ...mxPassed(MAIL), chain }] }));
}

describe('dane: TLSA records compared with the certificate, and DNSSEC', () => {
  const own = () => daneChain();
  const other = () => daneChain(['other.example.org']);

  it('is ok when a record matches and the resolver validated it, saying both', () => {
    const result = check([own().record(3, 1, 1), other().record(3, 1, 1)]);
    assert.equal(result.code, 'dane.match');
    assert.equal(result.status, 'ok');
    assert.match(result.message, /match the certificate the server presents/);
    assert.match(result.message, /validated the TLSA answers with DNSSEC \(AD bit\)/);
    assert.match(result.found, /\(matches the certificate, DNSSEC-validated\)$/);
  });

  it('is an error when no record matches, naming the record to publish for the presented key', () => {
    const result = check([other().record(3, 1, 1)]);
    assert.equal(result.code, 'dane.mismatch');
    assert.equal(result.status, 'error');
    assert.match(result.message, /will not deliver mail there/);
    assert.ok(result.message.includes(`_25._tcp.${MAIL} TLSA 3 1 1 ${own().record(3, 1, 1).data}`), result.message);
    assert.deepEqual(result.params?.mismatch, [MAIL]);
  });

  it('warns about only unusable records, saying why', () => {
    const result = check([{ ...own().record(3, 1, 1), usage: 1 }]);
    assert.equal(result.code, 'dane.unusable');
    assert.equal(result.status, 'warning');
    assert.match(result.message, /PKIX-TA, PKIX-EE/);
  });

  it('warns that an unsigned zone makes senders ignore the records, even a stale one', () => {
    const result = check([other().record(3, 1, 1)], { authenticated: false, signed: false });
    assert.equal(result.code, 'dane.unsigned');
    assert.equal(result.status, 'warning');
    assert.match(result.message, /carry no DNSSEC signatures/);
  });

  it('says nothing can be said about authenticity when a signed answer lacks the AD bit', () => {
    const result = check([own().record(3, 1, 1), other().record(3, 1, 1)], { authenticated: false, signed: true });
    assert.equal(result.code, 'dane.not-validated');
    assert.equal(result.status, 'info');
    assert.match(result.message, /does not validate/);
  });

  it('advises against full-certificate DANE-EE records and a lone 3 1 1', () => {
    const fragile = check([own().record(3, 0, 1)]);
    assert.equal(fragile.code, 'dane.fragile');
    assert.equal(fragile.status, 'warning');
    assert.match(fragile.message, /change with every renewal/);
    const single = check([own().record(3, 1, 1)]);
    assert.equal(single.code, 'dane.single-key');
    assert.equal(single.status, 'info');
    assert.match(single.message, /second record for the next key/);
  });

  it('reports each host on its own line, and a host whose probe got no certificate as not compared', () => {
    const result = sayCheck(
      'en',
      daneCheck({
        hosts: [MAIL, MX2, 'mx3.example.org'],
        tlsa: [
          tlsaAnswer(MAIL, [own().record(3, 1, 1), other().record(3, 1, 1)], VALIDATED),
          tlsaAnswer(MX2, [own().record(3, 1, 1)], VALIDATED),
          nxdomain('_25._tcp.mx3.example.org', 'TLSA'),
        ],
        probes: [{ ...mxPassed(MAIL), chain: own().chain }, mxFailed(MX2, 'connection refused'), mxPassed('mx3.example.org')],
      }),
    );
    assert.equal(result.code, 'dane.match');
    assert.deepEqual(result.params?.uncompared, [MX2]);
    assert.match(result.message, /records of mx2\.example\.org were not compared/);
    assert.deepEqual(result.found.split('\n').length, 3);
  });
});
