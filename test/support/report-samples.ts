// Report samples shaped like what senders really send (RFC 8460 section 4.8's example, Google's and
// Microsoft's variants), written for these tests. Each is a fresh object, so tests may change it.

/** RFC 8460 section 4.8 (the policy domain changed to the tests' example.org, the date from 2016 to 2024: the intake refuses reports dated before 2018). */
export function rfcSample(domain = 'example.org'): Record<string, unknown> {
  return {
    'organization-name': 'Company-X',
    'date-range': { 'start-datetime': '2024-04-01T00:00:00Z', 'end-datetime': '2024-04-01T23:59:59Z' },
    'contact-info': 'sts-reporting@company-x.example',
    'report-id': '5065427c-23d3-47ca-b6e0-946ea0e8c4be',
    policies: [
      {
        policy: {
          'policy-type': 'sts',
          'policy-string': ['version: STSv1', 'mode: testing', `mx: *.mail.${domain}`, 'max_age: 86400'],
          'policy-domain': domain,
          'mx-host': [`*.mail.${domain}`],
        },
        summary: { 'total-successful-session-count': 5326, 'total-failure-session-count': 303 },
        'failure-details': [
          {
            'result-type': 'certificate-expired',
            'sending-mta-ip': '2001:db8:abcd:0012::1',
            'receiving-mx-hostname': `mx1.mail.${domain}`,
            'failed-session-count': 100,
          },
          {
            'result-type': 'starttls-not-supported',
            'sending-mta-ip': '2001:db8:abcd:0013::1',
            'receiving-mx-hostname': `mx2.mail.${domain}`,
            'receiving-ip': '203.0.113.56',
            'failed-session-count': 200,
            'additional-information': `https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported`,
          },
          {
            'result-type': 'validation-failure',
            'sending-mta-ip': '198.51.100.62',
            'receiving-ip': '203.0.113.58',
            'receiving-mx-hostname': `mx-backup.mail.${domain}`,
            'failed-session-count': 3,
            'failure-reason-code': 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED',
          },
        ],
      },
    ],
  };
}

/** Google-like: no contact null quirks, one STS policy, a success-only day, millisecond-less Z times. */
export function googleSample(domain = 'example.org', day = '2026-11-20', reportId = `2026-11-20T00:00:00Z_${domain}`): Record<string, unknown> {
  return {
    'organization-name': 'Google Inc.',
    'date-range': { 'start-datetime': `${day}T00:00:00Z`, 'end-datetime': `${day}T23:59:59Z` },
    'contact-info': 'smtp-tls-reporting@google.com',
    'report-id': reportId,
    policies: [
      {
        policy: {
          'policy-type': 'sts',
          'policy-string': ['version: STSv1', 'mode: testing', `mx: mx.${domain}`, 'max_age: 86400'],
          'policy-domain': domain,
        },
        summary: { 'total-successful-session-count': 42, 'total-failure-session-count': 0 },
      },
    ],
  };
}

/** Microsoft-like: contact-info null, mx-host a single string, policy-string absent, details without counts. */
export function microsoftSample(domain = 'example.org', day = '2026-11-20', reportId = '133456789012345678+example.org'): Record<string, unknown> {
  return {
    'organization-name': 'Microsoft Corporation',
    'date-range': { 'start-datetime': `${day}T00:00:00Z`, 'end-datetime': `${day}T23:59:59Z` },
    'contact-info': null,
    'report-id': reportId,
    policies: [
      {
        policy: { 'policy-type': 'no-policy-found', 'policy-domain': domain, 'mx-host': `mx.${domain}` },
        summary: { 'total-successful-session-count': 7, 'total-failure-session-count': 2 },
        'failure-details': [
          { 'result-type': 'sts-policy-fetch-error', 'sending-mta-ip': '40.107.1.1', 'receiving-mx-hostname': `mx.${domain}`, 'receiving-ip': '192.0.2.25' },
          { 'result-type': 'tls-version-too-old', 'sending-mta-ip': '40.107.1.2', 'receiving-mx-hostname': `mx.${domain}`, 'failed-session-count': 2 },
        ],
      },
    ],
  };
}
