import assert from 'node:assert/strict';
import { sayCheck } from '../../src/render/check';
import { caaCheck } from '../../src/check';
import { answer, nodata, timeout } from '../support/lookups';

// The CAA check when a lookup gets no answer: it must say that it does not know, never that there
// are no CAA records (which tells the admin an ACME order will go through when it may not).

const HOST = 'mta-sts.example.org';
const LE = 'letsencrypt.org';

describe('DNS check verdicts: caa when a lookup fails', () => {
  it('is an error naming the failed lookup, in English and German, not "no CAA record"', () => {
    const verdict = caaCheck({ domain: 'example.org', lookups: [timeout(HOST, 'CAA'), timeout('example.org', 'CAA'), timeout('org', 'CAA')], acmeCa: LE });
    const en = sayCheck('en', verdict);
    assert.equal(en.code, 'caa.lookup-failed');
    assert.equal(en.status, 'error');
    assert.equal(en.found, 'mta-sts.example.org CAA: resolver 192.0.2.53:53 did not answer within 2 s');
    assert.doesNotMatch(en.found, /no CAA record/);
    assert.match(en.message, /Could not check mta-sts\.example\.org CAA: the DNS lookup failed/);
    const de = sayCheck('de', verdict);
    assert.equal(de.status, 'error');
    assert.match(de.found, /^mta-sts\.example\.org CAA: /);
    assert.doesNotMatch(de.found, /kein CAA-Eintrag|did not answer/);
    assert.match(de.message, /Prüfung nicht möglich/);
  });

  it('names the parent whose lookup failed after the name itself had no records, also without an ACME CA', () => {
    const verdict = caaCheck({ domain: 'example.org', lookups: [nodata(HOST, 'CAA'), timeout('example.org', 'CAA'), nodata('org', 'CAA')] });
    const en = sayCheck('en', verdict);
    assert.equal(en.status, 'error');
    assert.match(en.found, /^example\.org CAA: /);
    assert.match(en.message, /Could not check example\.org CAA/);
  });

  it('ignores a failure above the record set that decides', () => {
    const verdict = caaCheck({
      domain: 'example.org',
      lookups: [answer(HOST, 'CAA', [{ flags: 0, tag: 'issue', value: LE }]), timeout('example.org', 'CAA'), timeout('org', 'CAA')],
      acmeCa: LE,
    });
    assert.equal(verdict.code, 'caa.allows');
    assert.equal(verdict.status, 'ok');
  });
});
