import assert from 'node:assert/strict';
import { parseTlsRptRecord } from '../../src/reports';

describe('TLS-RPT record (RFC 8460 section 3)', () => {
  it('parses records by the RFC 8460 grammar', () => {
    assert.deepEqual(parseTlsRptRecord('v=TLSRPTv1;rua=mailto:a@example.org;'), { ok: true, rua: ['mailto:a@example.org'] });
    assert.deepEqual(parseTlsRptRecord('v=TLSRPTv1; rua=mailto:a@example.org; ext=x'), { ok: true, rua: ['mailto:a@example.org'] });
    for (const bad of [
      'v=tlsrptv1; rua=mailto:a@example.org',
      'v=TLSRPTv1 rua=mailto:a@example.org',
      'v=TLSRPTv1; rua=mailto:a@example.org; rua=mailto:b@example.org',
      'v=TLSRPTv1; rua=mailto:nobody',
      'v=TLSRPTv1; rua=https://',
      'v=TLSRPTv1; rua=mailto:a@example.org; bad field',
    ]) {
      assert.equal(parseTlsRptRecord(bad).ok, false, bad);
    }
  });
});
