import assert from 'node:assert/strict';
import { REPORT_LIMITS, isIpAddress, parseReport, parseRfc3339, stsFingerprint, policyFingerprint, summarizeReport, type ReportParse } from '../../src/reports';
import { googleSample, microsoftSample, rfcSample } from '../support/report-samples';

function ok(parse: ReportParse) {
  assert.ok(parse.ok, JSON.stringify(!parse.ok && parse.problems));
  return parse.report;
}
function problems(parse: ReportParse): string[] {
  assert.equal(parse.ok, false, 'refused');
  return parse.ok ? [] : parse.problems.map((p) => `${p.code} ${p.field}`);
}

describe('TLS report parsing (RFC 8460 section 4)', () => {
  it('reads the RFC example: organisation, range, policy and every failure detail', () => {
    const report = ok(parseReport(JSON.stringify(rfcSample())));
    assert.equal(report.organisation, 'Company-X');
    assert.equal(report.reportId, '5065427c-23d3-47ca-b6e0-946ea0e8c4be');
    assert.equal(report.start, '2024-04-01T00:00:00.000Z');
    assert.equal(report.end, '2024-04-01T23:59:59.000Z');
    assert.equal(report.policies.length, 1);
    const [policy] = report.policies;
    assert.equal(policy.type, 'sts');
    assert.equal(policy.domain, 'example.org');
    assert.deepEqual(policy.mx, ['*.mail.example.org']);
    assert.equal(policy.success, 5326);
    assert.equal(policy.failure, 303);
    assert.deepEqual(
      policy.failures.map((f) => [f.resultType, f.sessions]),
      [
        ['certificate-expired', 100],
        ['starttls-not-supported', 200],
        ['validation-failure', 3],
      ],
    );
    assert.equal(policy.failures[2].failureReasonCode, 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED');
    assert.equal(policy.failures[0].sendingMtaIp, '2001:db8:abcd:0012::1');
  });

  it('accepts what Google-like and Microsoft-like senders send: null contact, string mx-host, no policy-string, uncounted details, new result types', () => {
    const google = ok(parseReport(JSON.stringify(googleSample())));
    assert.deepEqual(google.policies[0].failures, []);
    assert.deepEqual(google.policies[0].mx, []);
    const ms = ok(parseReport(JSON.stringify(microsoftSample())));
    assert.equal(ms.contactInfo, null);
    assert.deepEqual(ms.policies[0].mx, ['mx.example.org']);
    assert.deepEqual(ms.policies[0].strings, []);
    assert.equal(ms.policies[0].failures[0].sessions, null);
    assert.equal(ms.policies[0].failures[1].resultType, 'tls-version-too-old');
    const empty = rfcSample();
    (empty.policies as Array<{ policy: Record<string, unknown> }>)[0].policy['policy-string'] = [];
    assert.deepEqual(ok(parseReport(empty)).policies[0].strings, []);
  });

  it('normalises domain and host names: lower case, no trailing dot', () => {
    const sample = googleSample();
    const policy = (sample.policies as Array<{ policy: Record<string, unknown> }>)[0].policy;
    policy['policy-domain'] = 'Example.ORG.';
    policy['mx-host'] = ['MX.Example.org.'];
    const report = ok(parseReport(sample));
    assert.equal(report.policies[0].domain, 'example.org');
    assert.deepEqual(report.policies[0].mx, ['mx.example.org']);
  });

  it('refuses wrong types, negative or fractional counts, bad dates and overlong strings, naming the field', () => {
    const cases: Array<[(r: Record<string, any>) => void, string]> = [
      [
        (r) => {
          r.policies[0].summary['total-successful-session-count'] = -1;
        },
        'report.count policies[0].summary.total-successful-session-count',
      ],
      [
        (r) => {
          r.policies[0].summary['total-failure-session-count'] = 1.5;
        },
        'report.count policies[0].summary.total-failure-session-count',
      ],
      [
        (r) => {
          r.policies[0].summary['total-failure-session-count'] = 2 ** 53;
        },
        'report.count policies[0].summary.total-failure-session-count',
      ],
      [
        (r) => {
          r.policies[0].summary['total-failure-session-count'] = '3';
        },
        'report.type policies[0].summary.total-failure-session-count',
      ],
      [
        (r) => {
          r['date-range']['start-datetime'] = '2016-02-30T00:00:00Z';
        },
        'report.date date-range.start-datetime',
      ],
      [
        (r) => {
          r['date-range']['end-datetime'] = '2016-04-01';
        },
        'report.date date-range.end-datetime',
      ],
      [
        (r) => {
          r['date-range']['end-datetime'] = '2016-03-01T00:00:00Z';
        },
        'report.dateOrder date-range',
      ],
      [
        (r) => {
          r['organization-name'] = 'x'.repeat(REPORT_LIMITS.shortString + 1);
        },
        'report.length organization-name',
      ],
      [
        (r) => {
          delete r['report-id'];
        },
        'report.missing report-id',
      ],
      [
        (r) => {
          r.policies = {};
        },
        'report.type policies',
      ],
      [
        (r) => {
          r.policies[0].policy['policy-domain'] = 'not a domain';
        },
        'report.domain policies[0].policy.policy-domain',
      ],
      [
        (r) => {
          r.policies[0]['failure-details'][0]['sending-mta-ip'] = '999.1.1.1';
        },
        'report.ip policies[0].failure-details[0].sending-mta-ip',
      ],
      [
        (r) => {
          r.policies[0]['failure-details'] = Array(REPORT_LIMITS.failureDetails + 1).fill({ 'result-type': 'x' });
        },
        'report.tooMany policies[0].failure-details',
      ],
    ];
    for (const [change, expected] of cases) {
      const sample = rfcSample();
      change(sample);
      assert.deepEqual(problems(parseReport(JSON.stringify(sample))), [expected], expected);
    }
  });

  it('takes no string longer than the column it is stored in: policy-type 32, result-type 64 characters', () => {
    const withTypes = (policyType: string, resultType: string) => {
      const sample = rfcSample();
      const policy = (sample.policies as Array<Record<string, any>>)[0];
      policy.policy['policy-type'] = policyType;
      policy['failure-details'][0]['result-type'] = resultType;
      return parseReport(JSON.stringify(sample));
    };
    const fits = ok(withTypes('p'.repeat(32), 'r'.repeat(64)));
    assert.equal(fits.policies[0].type.length, 32);
    assert.equal(fits.policies[0].failures[0].resultType.length, 64);
    for (const length of [33, 48, 64])
      assert.deepEqual(problems(withTypes('p'.repeat(length), 'sts-webpki-invalid')), ['report.length policies[0].policy.policy-type']);
    assert.deepEqual(problems(withTypes('sts', 'r'.repeat(65))), ['report.length policies[0].failure-details[0].result-type']);
  });

  it('drops NUL from every string (PostgreSQL refuses it in text), refusing a string of nothing else', () => {
    const sample = rfcSample();
    sample['organization-name'] = 'Company\u0000-X\u0000';
    sample['report-id'] = '\u0000id-1';
    const policy = (sample.policies as Array<Record<string, any>>)[0];
    policy.policy['policy-type'] = 'st\u0000s';
    policy.policy['policy-string'] = ['mode: test\u0000ing', 'mx: *.mail.example.org', 'max_age: 86400'];
    policy['failure-details'][0]['receiving-mx-hostname'] = 'mx1.mail\u0000.example.org';
    const report = ok(parseReport(JSON.stringify(sample)));
    assert.equal(report.organisation, 'Company-X');
    assert.equal(report.reportId, 'id-1');
    assert.equal(report.policies[0].type, 'sts');
    assert.equal(report.policies[0].strings[0], 'mode: testing');
    assert.equal(report.policies[0].failures[0].receivingMxHostname, 'mx1.mail.example.org');
    assert.equal(summarizeReport(report).policies[0].fingerprint, 'testing|86400|*.mail.example.org');
    const only = rfcSample();
    only['organization-name'] = '\u0000\u0000';
    assert.deepEqual(problems(parseReport(only)), ['report.length organization-name']);
  });

  it('given the time, refuses a report dated before 2018 or ending more than a day after now', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const dated = (start: string, end: string) => {
      const sample = rfcSample();
      sample['date-range'] = { 'start-datetime': start, 'end-datetime': end };
      return parseReport(JSON.stringify(sample), { now });
    };
    ok(dated('2018-01-01T00:00:00Z', '2018-01-01T23:59:59Z'));
    ok(dated('2026-12-07T00:00:00Z', '2026-12-08T11:59:59Z'));
    assert.deepEqual(problems(dated('2017-12-31T00:00:00Z', '2017-12-31T23:59:59Z')), ['report.dateRange date-range.start-datetime']);
    assert.deepEqual(problems(dated('2026-12-08T00:00:00Z', '2026-12-08T12:00:01Z')), ['report.dateRange date-range.end-datetime']);
    assert.deepEqual(problems(dated('1970-01-01T00:00:00Z', '2099-01-01T00:00:00Z')), [
      'report.dateRange date-range.start-datetime',
      'report.dateRange date-range.end-datetime',
    ]);
    ok(parseReport(JSON.stringify({ ...rfcSample(), 'date-range': { 'start-datetime': '2016-04-01T00:00:00Z', 'end-datetime': '2016-04-01T23:59:59Z' } })));
  });

  it('refuses text that is not JSON, not an object, or nested too deep, before building it', () => {
    assert.deepEqual(problems(parseReport('{"organization-name": ')), ['report.json ']);
    assert.deepEqual(problems(parseReport('[1,2]')), ['report.type ']);
    assert.deepEqual(problems(parseReport('['.repeat(100_000))), ['report.depth ']);
    assert.deepEqual(problems(parseReport(JSON.stringify({ a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } }))), ['report.depth ']);
    // Brackets inside strings do not count.
    const sample = rfcSample();
    sample['organization-name'] = '[[[[[[[[[[[[{{{{{{{{"\\';
    assert.equal(ok(parseReport(JSON.stringify(sample))).organisation, '[[[[[[[[[[[[{{{{{{{{"\\');
  });

  it('reads RFC 3339 dates with offsets, fractions, lower-case separators and a leap second', () => {
    assert.equal(parseRfc3339('2016-04-01T02:00:00+02:00')?.toISOString(), '2016-04-01T00:00:00.000Z');
    assert.equal(parseRfc3339('2016-04-01t00:00:00.123z')?.toISOString(), '2016-04-01T00:00:00.123Z');
    assert.equal(parseRfc3339('2016-12-31T23:59:60Z')?.toISOString(), '2017-01-01T00:00:00.000Z');
    for (const bad of ['2016-04-01T24:00:00Z', '2016-13-01T00:00:00Z', '2016-04-01T00:00:00', '2016-04-01T00:00:00+25:00', 'yesterday']) {
      assert.equal(parseRfc3339(bad), null, bad);
    }
  });

  it('tells IP addresses from other text', () => {
    for (const ip of ['192.0.2.1', '2001:db8::1', '::1', '::', '::ffff:192.0.2.1', '2001:db8:abcd:0012::1', '1:2:3:4:5:6:7:8']) assert.ok(isIpAddress(ip), ip);
    for (const bad of ['256.1.1.1', '1.2.3', '1:2:3:4:5:6:7:8:9', '1::2::3', 'mx.example.org', '12345::1', '']) assert.ok(!isIpAddress(bad), bad);
  });
});

describe('TLS report summary', () => {
  it('totals sessions, groups failures by result type, MX host and IP, largest first', () => {
    const report = ok(parseReport(rfcSample()));
    const summary = summarizeReport(report);
    assert.equal(summary.success, 5326);
    assert.equal(summary.failure, 303);
    assert.deepEqual(
      summary.failures.map((g) => [g.resultType, g.receivingMxHostname, g.receivingIp, g.sessions]),
      [
        ['starttls-not-supported', 'mx2.mail.example.org', '203.0.113.56', 200],
        ['certificate-expired', 'mx1.mail.example.org', null, 100],
        ['validation-failure', 'mx-backup.mail.example.org', '203.0.113.58', 3],
      ],
    );
    assert.equal(summary.policies[0].fingerprint, 'testing|86400|*.mail.example.org');
  });

  it('merges details of the same group and counts those without a count apart', () => {
    const sample = microsoftSample();
    const details = (sample.policies as Array<Record<string, unknown[]>>)[0]['failure-details'];
    details.push({
      'result-type': 'sts-policy-fetch-error',
      'sending-mta-ip': '40.107.1.1',
      'receiving-mx-hostname': 'mx.example.org',
      'receiving-ip': '192.0.2.25',
      'failed-session-count': 4,
    });
    const summary = summarizeReport(ok(parseReport(sample)));
    const fetch = summary.failures.find((g) => g.resultType === 'sts-policy-fetch-error');
    assert.deepEqual([fetch?.sessions, fetch?.uncounted], [4, 1]);
    assert.equal(summary.policies[0].fingerprint, null, 'no STS policy was applied');
  });

  it('ties an applied STS policy to ours whatever the order and case of its lines', () => {
    const theirs = stsFingerprint(['version: STSv1', 'mx: MX2.example.org', 'max_age: 604800', 'mode: enforce', 'mx: mx1.example.org.']);
    assert.equal(theirs, policyFingerprint({ mode: 'enforce', maxAge: 604800, mx: ['mx1.example.org', 'mx2.example.org'] }));
    assert.notEqual(theirs, policyFingerprint({ mode: 'testing', maxAge: 604800, mx: ['mx1.example.org', 'mx2.example.org'] }));
    assert.equal(stsFingerprint([]), null);
  });
});
