import assert from 'node:assert/strict';
import * as dnsPacket from 'dns-packet';
import { signMessage, verifyResponse } from '../../src/publish/tsig';
import { exchangeTcp, startBind, type TestBind } from '../support/dns-primaries';

// The TSIG check of an answer, on real answers BIND signed: a signed answer passes; one changed
// byte, another key or another request fails, so a forged "NOERROR" is never taken for a success.

describe('publish: TSIG verification of answers signed by BIND', function () {
  this.timeout(30_000);
  let bind: TestBind;

  before(async () => {
    bind = await startBind({ 'example.test': '_mta-sts IN TXT "v=STSv1; id=signed"\n' });
  });
  after(async () => {
    await bind?.close();
  });

  const signedQuery = () => {
    const query = dnsPacket.encode({ id: 777, type: 'query', flags: 0, questions: [{ name: '_mta-sts.example.test', type: 'TXT', class: 'IN' }] });
    return signMessage(query, bind.key);
  };

  it('accepts the answer as signed, and refuses it changed, under another key, or for another request', async () => {
    const { signed, mac } = signedQuery();
    const answer = await exchangeTcp(bind.port, signed);
    assert.equal(verifyResponse(answer, bind.key, mac), null);
    // "signed" -> "signeD" in the TXT string: the MAC no longer matches.
    const changed = Buffer.from(answer);
    const at = changed.indexOf('id=signed');
    changed[at + 8] = 'D'.charCodeAt(0);
    assert.equal(verifyResponse(changed, bind.key, mac), 'the signature of the answer does not match the key');
    assert.equal(verifyResponse(answer, { ...bind.key, secret: Buffer.alloc(32, 1) }, mac), 'the signature of the answer does not match the key');
    assert.equal(verifyResponse(answer, bind.key, signedQuery().mac.fill(0)), 'the signature of the answer does not match the key');
    assert.equal(verifyResponse(answer, { ...bind.key, name: 'another-key' }, mac), 'the answer is signed by another key');
  });

  it('refuses an unsigned answer, and reads the TSIG error of a refused signature', async () => {
    const unsigned = dnsPacket.encode({ id: 1, type: 'query', flags: 0, questions: [{ name: '_mta-sts.example.test', type: 'TXT', class: 'IN' }] });
    assert.equal(verifyResponse(await exchangeTcp(bind.port, unsigned), bind.key, Buffer.alloc(32)), 'the answer is not signed');
    const query = dnsPacket.encode({ id: 778, type: 'query', flags: 0, questions: [{ name: '_mta-sts.example.test', type: 'TXT', class: 'IN' }] });
    const wrong = { ...bind.key, secret: Buffer.alloc(32, 2) };
    const { signed, mac } = signMessage(query, wrong);
    assert.equal(verifyResponse(await exchangeTcp(bind.port, signed), wrong, mac), 'BADSIG');
    // A signature from the far past: BIND answers BADTIME, signed.
    const old = signMessage(query, bind.key, Math.floor(Date.now() / 1000) - 3600);
    assert.equal(verifyResponse(await exchangeTcp(bind.port, old.signed), bind.key, old.mac), 'BADTIME');
  });
});
