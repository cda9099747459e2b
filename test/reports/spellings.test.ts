// RFC 8460 spells two fields two ways: `mx-host` in its JSON (section 4.3, the example of 4.8) and
// `mx-host-pattern` in its prose (4.4); `additional-information` and `additional-info-uri` the same.
// Senders use either; a report in one spelling must lose nothing.
import assert from 'node:assert/strict';
import { REPORT_LIMITS, parseReport, summarizeReport, type ReportParse } from '../../src/reports';
import { rfcSample } from '../support/report-samples';

function ok(parse: ReportParse) {
  assert.ok(parse.ok, JSON.stringify(!parse.ok && parse.problems));
  return parse.report;
}

type Policy = { policy: Record<string, unknown>; 'failure-details': Array<Record<string, unknown>> };
const policyOf = (sample: Record<string, unknown>) => (sample.policies as Policy[])[0];

describe('TLS report fields spelt two ways', () => {
  it('reads the MX patterns from mx-host, from mx-host-pattern (list or single string), and from both', () => {
    const json = rfcSample();
    assert.deepEqual(ok(parseReport(json)).policies[0].mx, ['*.mail.example.org']);

    const prose = rfcSample();
    delete policyOf(prose).policy['mx-host'];
    policyOf(prose).policy['mx-host-pattern'] = ['*.Mail.example.org.', 'mx9.example.org'];
    assert.deepEqual(ok(parseReport(prose)).policies[0].mx, ['*.mail.example.org', 'mx9.example.org']);

    const single = rfcSample();
    delete policyOf(single).policy['mx-host'];
    policyOf(single).policy['mx-host-pattern'] = 'mx.example.org';
    assert.deepEqual(ok(parseReport(single)).policies[0].mx, ['mx.example.org']);

    const both = rfcSample();
    policyOf(both).policy['mx-host-pattern'] = ['*.mail.example.org', 'backup.example.org'];
    assert.deepEqual(ok(parseReport(both)).policies[0].mx, ['*.mail.example.org', 'backup.example.org'], 'both kept, once each');
  });

  it('checks mx-host-pattern as mx-host: type and length refused naming the field', () => {
    const bad = rfcSample();
    policyOf(bad).policy['mx-host-pattern'] = [42];
    const parse = parseReport(bad);
    assert.equal(parse.ok, false);
    assert.deepEqual(!parse.ok && parse.problems, [{ code: 'report.type', field: 'policies[0].policy.mx-host-pattern[0]' }]);
  });

  it('reads additional-information and additional-info-uri alike; a detail with both keeps both', () => {
    const uri = 'https://reports.example/info?id=1';
    const sample = rfcSample();
    const details = policyOf(sample)['failure-details'];
    details[0]['additional-info-uri'] = uri;
    details[2]['additional-information'] = 'see the log';
    details[2]['additional-info-uri'] = uri;
    const failures = ok(parseReport(sample)).policies[0].failures;
    assert.equal(failures[0].additionalInformation, uri);
    assert.equal(failures[1].additionalInformation, 'https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported');
    assert.equal(failures[2].additionalInformation, `see the log ${uri}`);
    // And the summary groups keep it (with the reason code and the sending IP).
    const groups = summarizeReport(ok(parseReport(sample))).failures;
    assert.equal(groups.find((g) => g.resultType === 'certificate-expired')?.additionalInformation, uri);
    assert.equal(groups.find((g) => g.resultType === 'validation-failure')?.failureReasonCode, 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED');
  });

  it('refuses both spellings together beyond the one limit, naming the second', () => {
    const sample = rfcSample();
    const details = policyOf(sample)['failure-details'];
    details[0]['additional-information'] = 'a'.repeat(REPORT_LIMITS.longString);
    details[0]['additional-info-uri'] = 'https://reports.example/';
    const parse = parseReport(sample);
    assert.equal(parse.ok, false);
    assert.deepEqual(!parse.ok && parse.problems, [{ code: 'report.length', field: 'policies[0].failure-details[0].additional-info-uri' }]);
    details[0]['additional-info-uri'] = 'x'.repeat(REPORT_LIMITS.longString + 1);
    const alone = parseReport(sample);
    assert.equal(!alone.ok && alone.problems[0].field, 'policies[0].failure-details[0].additional-info-uri');
  });
});
