// English texts of TLS reporting (RFC 8460): the rua setting, the reports page and the tab's
// reporting block. Kept apart from ./en.ts so that the feature's sentences stay together; the
// catalogue spreads them in, so they are ordinary keys (and ./reports-de.ts must have every one).
export const REPORTS_EN = {
  'field.rua.notList': 'Report addresses must be a list of mailto: or https: URIs, or one text with the URIs separated by commas',
  'field.rua.badUri': 'Report addresses has a problem: "{uri}" is not a mailto: address or an https: URL',
  'field.rua.tooMany': 'Report addresses has a problem: at most {max} addresses are allowed',
  'field.rua.tooLong': 'Report addresses has a problem: the TLS-RPT record would be longer than {max} characters',
  // The tab's reporting block
  'reports.tab.heading': 'TLS reporting',
  'reports.tab.intro':
    'Sending servers that support TLS reporting (RFC 8460) send a daily report of their sessions to this domain, successful and failed. In testing mode, these reports show whether mail would get through under enforce.',
  'reports.tab.intakeLabel': 'Report address of this panel:',
  'reports.tab.intakeInactive': 'This panel gives the domain its report address as soon as the policy is active.',
  'reports.tab.ruaLabel': 'Report addresses',
  'reports.tab.ruaHelp': 'mailto: or https: URIs separated by commas, at most {max}. Include the report address of this panel above to see the reports here.',
  'reports.tab.ruaSuggested':
    'Suggested, not saved yet: the report addresses of this panel, in the TLS-RPT record with the DNS records. Publish that record, and save the addresses (or your own) so that the DNS Check compares them.',
  'reports.tab.httpsOnly': 'Only https: report addresses: some senders send reports only by mail, so add a mailto: address to get their reports too.',
  'reports.tab.save': 'Save report addresses',
  'reports.tab.regenerate': 'New report address',
  'reports.tab.regenerateHelp':
    'Makes a new report address of this panel; the old one stops accepting reports at once. Publish the new TLS-RPT record afterwards.',
  'reports.tab.link': 'Show the TLS reports',
  'reports.tab.copyIntake': 'report address',
  'reports.notice.saved': 'The report addresses were saved. Publish the TLS-RPT record shown with the DNS records.',
  'reports.notice.cleared': 'No report addresses are configured now: remove the TLS-RPT record at {name} if it is published.',
  'reports.notice.invalid': 'Nothing was saved: correct the report addresses.',
  'reports.notice.regenerated': 'The report address is new; the old one no longer accepts reports. Update the TLS-RPT record at {name}.',
  // The reports page
  'reports.page.title': 'TLS reports: {domain}',
  'reports.page.heading': 'TLS reports for {domain}',
  'reports.page.range': 'Reports from {from} to {to} (UTC).',
  'reports.page.rangeLabel': 'Period',
  'reports.page.lastDays': 'last {count} days',
  'reports.page.show': 'Show',
  'reports.page.back': 'Back to the MTA-STS tab',
  'reports.page.none':
    'No reports arrived for this period. Senders report once a day to the addresses of the TLS-RPT record; the first reports arrive a day or two after it is published.',
  'reports.chart.title': 'Successful and failed sessions per day, {from} to {to}',
  'reports.chart.desc': '{success} successful and {failure} failed sessions in {days} days; the table below lists each day.',
  'reports.chart.success': 'successful',
  'reports.chart.failure': 'failed',
  'reports.days.caption': 'Sessions per day',
  'reports.days.date': 'Date (UTC)',
  'reports.orgs.heading': 'By reporting organisation',
  'reports.orgs.name': 'Organisation',
  'reports.orgs.reports': 'Reports',
  'reports.failures.heading': 'Failures',
  'reports.failures.none': 'No failed sessions were reported for this period.',
  'reports.failures.resultType': 'Result type',
  'reports.failures.host': 'Receiving MX host',
  'reports.failures.ip': 'Receiving IP',
  'reports.failures.sessions': 'Sessions',
  'reports.failures.meaning': 'What it means',
  'reports.failures.folded':
    'More failure groups were reported than are kept for one view: {sessions} failed sessions of the smallest groups are counted in the days above but not listed, and a listed group may show fewer sessions than it had.',
  'reports.pager.label': 'Pages of the report lists',
  'reports.pager.status': 'Page {page} of {pages}',
  'reports.pager.previous': 'Previous',
  'reports.pager.next': 'Next',
  'reports.host.unknown': 'an MX host',
  'reports.explain.starttls-not-supported':
    '{host} did not offer STARTTLS in {sessions} sessions: under enforce, senders would not deliver to it. Enable STARTTLS there.',
  'reports.explain.certificate-host-mismatch':
    'The certificate of {host} is not valid for that name ({sessions} sessions): under enforce, senders would not deliver to it. Use a certificate that names the MX host.',
  'reports.explain.certificate-expired':
    'The certificate of {host} had expired ({sessions} sessions): under enforce, senders would not deliver to it. Renew it.',
  'reports.explain.certificate-not-trusted':
    'The certificate of {host} was not trusted ({sessions} sessions), e.g. self-signed or with its chain missing: under enforce, senders would not deliver to it.',
  'reports.explain.validation-failure': 'TLS with {host} failed validation ({sessions} sessions){reason}: under enforce, senders would not deliver to it.',
  'reports.explain.sts-policy-fetch-error': 'Senders could not fetch the policy file ({sessions} sessions): check that {url} answers over HTTPS.',
  'reports.explain.sts-policy-invalid': 'Senders found the policy invalid ({sessions} sessions): run the DNS Check.',
  'reports.explain.sts-webpki-invalid':
    'The certificate of the policy host was not trusted when senders fetched {url} ({sessions} sessions): it needs a certificate valid for mta-sts.{domain}.',
  'reports.explain.dane': 'DANE validation failed for {host} ({type}, {sessions} sessions): check the TLSA records and DNSSEC of the MX host.',
  'reports.explain.folded':
    'Failures beyond what one report may store, summed ({sessions} sessions): the report as received, in the JSON API, has every detail.',
  'reports.explain.otherType': 'Senders reported "{type}" for {host} ({sessions} sessions).',
  'reports.explain.notInPolicy': '{host} matches none of the MX entries of the policy: under enforce, senders would not deliver to it.',
  'reports.policies.heading': 'Policies senders applied',
  'reports.policies.type': 'Type',
  'reports.policies.id': 'Policy id',
  'reports.policies.mx': 'MX',
  'reports.policies.sessions': 'Sessions',
  'reports.policies.lastDay': 'Last reported',
  'reports.policies.unknownId': 'not one of ours',
  'reports.policies.stale':
    'Senders still applied the old policy {id} on {lastDay}, although it was replaced on {replacedOn}: check that the TXT record at _mta-sts.{domain} carries the current id.',
  'reports.ready.heading': 'Ready for enforce?',
  'reports.ready.yes':
    'Ready for enforce: in the last 14 days, {organisations} organisations sent trusted reports, and no session failed in them in a way that enforce would turn into undelivered mail.',
  'reports.ready.no': 'Not ready for enforce yet:',
  'reports.ready.not-testing': 'The policy is not in testing mode; this assessment is for the testing phase.',
  'reports.ready.few-organisations': 'Trusted reports from at least two organisations in the last 14 days are needed; {organisations} sent trusted reports.',
  'reports.ready.trusted':
    '{organisations} of {reported} organisations that reported in the last 14 days are trusted; only their reports count here and for alerts.',
  'reports.orgs.unverified': 'unverified',
  'reports.orgs.unverifiedHint':
    'Unverified: not mailed with a DKIM signature of the reporter’s own domain, not from an organisation that sent such a report before, and not a known reporter. Anyone can send such a report: it counts neither for readiness nor for alerts.',
  'reports.known.heading': 'Known reporters',
  'reports.known.help':
    'Organisations whose reports count however they arrive, one name per line, exactly as their reports name them (at most {max}). The list is the same for every domain.',
  'reports.known.save': 'Save known reporters',
  'reports.known.saved': 'The known reporters were saved.',
  'reports.known.invalid': 'The known reporters were not saved: line {line}: {rule}',
  'reports.known.rule.empty': 'a name must not be empty.',
  'reports.known.rule.too-long': 'a name has at most {max} characters.',
  'reports.known.rule.control': 'a name must not contain control characters.',
  'reports.known.rule.too-many': 'at most {max} names.',
  'reports.known.rule.not-text': 'each name must be text.',
  'reports.ready.sts-failures': '{sessions} sessions failed under the policy in the last 14 days ({types}): under enforce, that mail would not be delivered.',
} as const;
