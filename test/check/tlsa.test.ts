import assert from 'node:assert/strict';
import { compareTlsa, tlsaProblem } from '../../src/check/verdicts/tlsa';
import { daneChain } from '../support/dane';

// The comparison a DANE sender makes (RFC 7672), over a real chain from the test CA.
describe('DANE: TLSA records compared with the presented chain', () => {
  const HOST = 'mail.example.org';

  it('matches DANE-EE records of the leaf in every selector and matching type', () => {
    const { chain, record } = daneChain();
    for (const [selector, type] of [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [1, 2],
    ] as const) {
      const result = compareTlsa(HOST, [record(3, selector, type)], chain);
      assert.equal(result.outcome, 'match', `3 ${selector} ${type}`);
      assert.deepEqual(result.matched, [`3 ${selector} ${type}`]);
    }
  });

  it('does not match the leaf records of another certificate, and suggests the record of the presented key', () => {
    const mine = daneChain();
    const other = daneChain(['other.example.org']);
    const result = compareTlsa(HOST, [other.record(3, 1, 1), other.record(2, 1, 1)], mine.chain);
    assert.equal(result.outcome, 'mismatch');
    assert.deepEqual(result.matched, []);
    assert.equal(result.suggestion, `3 1 1 ${mine.record(3, 1, 1).data}`);
  });

  it('matches DANE-TA records of the issuer only when the leaf is signed by it and valid for the MX host', () => {
    const { chain, record } = daneChain();
    assert.equal(compareTlsa(HOST, [record(2, 1, 1)], chain).outcome, 'match');
    assert.equal(compareTlsa(HOST, [record(2, 0, 2)], chain).outcome, 'match');
    assert.equal(compareTlsa('mx2.example.org', [record(2, 1, 1)], chain).outcome, 'mismatch', 'name check of RFC 7672 3.2.2');
    // A leaf presented with an unrelated CA that the record names: the link is not signed.
    const other = daneChain(['other.example.org']);
    assert.equal(compareTlsa(HOST, [other.record(2, 1, 1)], [chain[0], other.chain[1]]).outcome, 'mismatch');
    // DANE-TA never matches the leaf itself.
    assert.equal(compareTlsa(HOST, [{ ...record(3, 1, 1), usage: 2 }], chain).outcome, 'mismatch');
  });

  it('finds only unusable records: PKIX usages, unknown parameters, malformed data', () => {
    const { chain, record } = daneChain();
    const pkix = { ...record(3, 1, 1), usage: 1 };
    assert.equal(tlsaProblem(pkix), 'pkix');
    assert.equal(tlsaProblem({ ...record(3, 1, 1), usage: 0 }), 'pkix');
    assert.equal(tlsaProblem({ ...record(3, 1, 1), selector: 2 }), 'unknown-parameters');
    assert.equal(tlsaProblem({ ...record(3, 1, 1), matchingType: 3 }), 'unknown-parameters');
    assert.equal(tlsaProblem({ ...record(3, 1, 1), data: 'ab'.repeat(31) }), 'malformed');
    assert.equal(tlsaProblem({ ...record(3, 1, 2), data: record(3, 1, 1).data }), 'malformed');
    assert.equal(tlsaProblem({ ...record(3, 1, 1), data: '' }), 'malformed');
    assert.equal(tlsaProblem(record(3, 1, 1)), null);
    const result = compareTlsa(HOST, [pkix, { ...record(3, 1, 1), usage: 7 }], chain);
    assert.equal(result.outcome, 'unusable');
    assert.deepEqual(result.problems, ['pkix', 'unknown-parameters']);
  });

  it('one usable matching record is enough, beside unusable and stale ones', () => {
    const { chain, record } = daneChain();
    const other = daneChain(['other.example.org']);
    const result = compareTlsa(HOST, [{ ...record(3, 1, 1), usage: 1 }, other.record(3, 1, 1), record(3, 1, 1)], chain);
    assert.equal(result.outcome, 'match');
    assert.equal(result.singleKey, false, 'a second 3 1 1 record is ready for the next key');
  });

  it('flags full-certificate DANE-EE records and a lone 3 1 1', () => {
    const { chain, record } = daneChain();
    assert.equal(compareTlsa(HOST, [record(3, 0, 1)], chain).fullCertificate, true);
    assert.equal(compareTlsa(HOST, [record(3, 1, 1)], chain).fullCertificate, false);
    assert.equal(compareTlsa(HOST, [record(3, 1, 1)], chain).singleKey, true);
    assert.equal(compareTlsa(HOST, [record(3, 1, 1), record(2, 1, 1)], chain).singleKey, false);
  });

  it('compares nothing without a certificate, and survives certificates that do not parse', () => {
    const { record } = daneChain();
    assert.equal(compareTlsa(HOST, [record(3, 1, 1)], []).outcome, 'mismatch');
    assert.equal(compareTlsa(HOST, [record(3, 1, 1)], [Buffer.from('not a certificate')]).suggestion, null);
  });
});
