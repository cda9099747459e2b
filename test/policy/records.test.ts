import assert from 'node:assert/strict';
import { parseStsRecord, policyHostName, policyUrl, recordsToPublish, stsTxtName, tlsRptName, zoneLine } from '../../src/policy';
import { parseTlsRptRecord, tlsRptRecord } from '../../src/reports';

describe('the DNS records to publish (src/policy/records.ts)', () => {
  const base = { domain: 'example.org', mailHostname: 'mail.example.net' };

  it('are none before the first save: without an id there is nothing to announce', () => {
    assert.deepEqual(recordsToPublish({ ...base, id: null }), []);
    assert.deepEqual(recordsToPublish({ ...base, id: null, tlsRpt: tlsRptRecord(['mailto:tls@example.org']) }), []);
  });

  it('are the policy id TXT and the policy host CNAME to the mail server, in that order', () => {
    assert.deepEqual(recordsToPublish({ ...base, id: '20261207120000' }), [
      { type: 'TXT', name: '_mta-sts.example.org', value: 'v=STSv1; id=20261207120000' },
      { type: 'CNAME', name: 'mta-sts.example.org', value: 'mail.example.net' },
    ]);
  });

  it('add the TLS reporting record when report addresses are configured, and only then', () => {
    const value = tlsRptRecord(['mailto:tls@example.org', 'https://mail.example.net/tlsrpt/v1/AAAAAAAAAAAAAAAAAAAAAA']);
    const records = recordsToPublish({ ...base, id: '1', tlsRpt: value });
    assert.deepEqual(records[2], { type: 'TXT', name: '_smtp._tls.example.org', value });
    assert.equal(records.length, 3);
    for (const none of [null, undefined, '']) assert.equal(recordsToPublish({ ...base, id: '1', tlsRpt: none }).length, 2);
  });

  it('hold values senders read back as what was stored', () => {
    for (const id of ['20261207120000', 'a', 'A1b2C3', '9'.repeat(32)]) {
      const [sts] = recordsToPublish({ ...base, id });
      assert.deepEqual(parseStsRecord(sts.value), { ok: true, id, extensions: {} });
    }
    const [, , tls] = recordsToPublish({ ...base, id: '1', tlsRpt: tlsRptRecord(['mailto:a@example.org', 'mailto:b@example.org']) });
    const parsed = parseTlsRptRecord(tls.value);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.rua, ['mailto:a@example.org', 'mailto:b@example.org']);
  });

  it('name the same hosts the DNS Check looks up and senders fetch the policy from', () => {
    assert.equal(stsTxtName('xn--bcher-kva.example'), '_mta-sts.xn--bcher-kva.example');
    assert.equal(tlsRptName('example.org'), '_smtp._tls.example.org');
    assert.equal(policyHostName('example.org'), 'mta-sts.example.org');
    assert.equal(new URL(policyUrl('example.org')).hostname, policyHostName('example.org'));
  });

  it('print as zone file lines: quoted TXT text, a CNAME target with its final dot', () => {
    const lines = recordsToPublish({ ...base, id: '7', tlsRpt: 'v=TLSRPTv1; rua=mailto:tls@example.org' }).map(zoneLine);
    assert.deepEqual(lines, [
      '_mta-sts.example.org. IN TXT "v=STSv1; id=7"',
      'mta-sts.example.org. IN CNAME mail.example.net.',
      '_smtp._tls.example.org. IN TXT "v=TLSRPTv1; rua=mailto:tls@example.org"',
    ]);
  });

  it("with a delegation, are the two one-time CNAMEs into the panel: no id in the customer's zone", () => {
    const delegation = { zone: 'mta-sts.panel.example', policyHost: 'policy.panel.example' };
    const first = recordsToPublish({ ...base, id: '1', delegation });
    assert.deepEqual(first, [
      { type: 'CNAME', name: '_mta-sts.example.org', value: 'example.org._mta-sts.mta-sts.panel.example' },
      { type: 'CNAME', name: 'mta-sts.example.org', value: 'policy.panel.example' },
    ]);
    // A new id changes nothing the customer publishes: that is what the delegation is for.
    assert.deepEqual(recordsToPublish({ ...base, id: '20270101000000', delegation }), first);
    assert.deepEqual(recordsToPublish({ ...base, id: null, delegation }), []);
    assert.deepEqual(first.map(zoneLine), [
      '_mta-sts.example.org. IN CNAME example.org._mta-sts.mta-sts.panel.example.',
      'mta-sts.example.org. IN CNAME policy.panel.example.',
    ]);
  });
});
