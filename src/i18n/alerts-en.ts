// English texts of the scheduled checks' alerts (mail and webhook). Kept apart from ./en.ts so
// that the feature's sentences stay together; ./alerts-de.ts must have every key.
export const ALERTS_EN = {
  'alert.subject.raised': 'MTA-STS alert for {domain}: {condition}',
  'alert.subject.recovered': 'MTA-STS recovered for {domain}: {condition}',
  'alert.condition.policyUnreachable': 'the policy file cannot be fetched',
  'alert.condition.idMismatch': 'the policy id in DNS is not the one served',
  'alert.condition.mxUncovered': 'MX hosts are not covered by the policy',
  'alert.condition.certificateExpiring': 'a certificate expires within 14 days',
  'alert.condition.tlsFailuresRising': 'failed TLS sessions in the reports are rising',
  'alert.condition.tlsFailuresAboveBaseline': 'failed TLS sessions in the trusted reports are far above the usual',
  'alert.condition.dnsNotPublished': 'a DNS record to publish has not been published as wanted for more than 10 minutes',
  'alert.body.raised': 'The scheduled DNS Check of {domain} at {checkedAt} found a problem: {condition}.',
  'alert.body.recovered': 'The scheduled DNS Check of {domain} at {checkedAt} no longer finds this problem: {condition}.',
  'alert.body.findings': 'What the check found:',
  'alert.body.dnsRecord': '- {name}: {state} since {since}',
  'alert.body.failures': 'Failed TLS sessions reported for {day}: {count}; at most {baseline} a day in the week before.',
  'alert.body.spike':
    'Failed TLS sessions in trusted reports for {day}: {count}; the median of the 14 days before is {median} a day (alerted at {factor} times the median and at least {minimum}).',
  'alert.body.footer': 'You get at most one message per domain and problem a day, the recovery included.',
} as const;
