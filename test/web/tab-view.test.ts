import assert from 'node:assert/strict';
import { failedCheck, type DnsCheckResult } from '../../src/check';
import { CATALOGUES, format, translator } from '../../src/i18n';
import type { DomainRecord, StoredPolicy } from '../../src/policy';
import { msg, type Text } from '../../src/text';
import { dnsCheckView, mxDnsText } from '../../src/web/tab-check-view';
import { tabView, type TabPage } from '../../src/web/tab-view';

// The tab's view model on its own: data in, what the template shows out. No request, database or
// DNS: each case is the data a page gathered.

const PAGE: TabPage = {
  adminPath: '/mta-sts',
  mailHostname: 'mail.example.net',
  scriptUrl: null,
  csrfToken: 'token',
  now: new Date('2026-12-07T12:00:00Z'),
};

function record(changes: Partial<StoredPolicy> = {}, rest: Partial<DomainRecord> = {}): DomainRecord {
  const policy: StoredPolicy = {
    domain: 'example.org',
    id: '20261207120000',
    active: true,
    version: 'STSv1',
    mode: 'enforce',
    maxAge: 604800,
    mx: ['mail.example.org'],
    updatedAt: '2026-12-07T10:00:00.000Z',
    revision: 2,
    ...changes,
  };
  return { key: 'example.org', domain: 'example.org', hostActive: true, policy, valid: true, ...rest };
}

const en = translator('en');
const de = translator('de');

describe('tab view model (pure: data in, what the template shows out)', () => {
  it('lists the records to publish, the TLS reporting record among them, as rows and as a zone snippet', () => {
    const reporting = { rua: ['mailto:tls@example.org'], reportingUri: null, suggestedRua: null, record: 'v=TLSRPTv1; rua=mailto:tls@example.org' };
    const view = tabView(PAGE, record(), { reporting }, en, { state: 'hosts', hosts: ['mail.example.org'] });
    assert.deepEqual(
      view.records.map((r) => `${r.type} ${r.name} ${r.value}`),
      [
        'TXT _mta-sts.example.org v=STSv1; id=20261207120000',
        'CNAME mta-sts.example.org mail.example.net',
        'TXT _smtp._tls.example.org v=TLSRPTv1; rua=mailto:tls@example.org',
      ],
    );
    assert.match(view.zoneSnippet, /^mta-sts\.example\.org\. 3600 IN CNAME mail\.example\.net\.$/m);
    assert.equal(view.reporting?.action, '/mta-sts/example.org/reporting');
  });

  it("with a delegation, lists the customer's two one-time CNAMEs into the panel, with no id in them", () => {
    const page = { ...PAGE, delegation: { zone: 'mta-sts.panel.example', policyHost: 'policy.panel.example' } };
    const view = tabView(page, record(), {}, en, { state: 'hosts', hosts: ['mail.example.org'] });
    assert.deepEqual(
      view.records.map((r) => `${r.type} ${r.name} ${r.value}`),
      ['CNAME _mta-sts.example.org example.org._mta-sts.mta-sts.panel.example', 'CNAME mta-sts.example.org policy.panel.example'],
    );
    assert.doesNotMatch(view.zoneSnippet, /v=STSv1/);
  });

  it('with a delegation configured, says per domain whether it is published directly or delegated', () => {
    const delegation = { zone: 'mta-sts.panel.example', policyHost: 'policy.panel.example' };
    const hosts = { state: 'hosts' as const, hosts: ['mail.example.org'] };
    const delegated = tabView({ ...PAGE, delegation, publishing: 'delegated' }, record(), {}, en, hosts);
    assert.match(delegated.publishingNote ?? '', /^Delegated: publish these two CNAME records once; .* in its zone mta-sts\.panel\.example/);
    const direct = tabView({ ...PAGE, delegation: null, publishing: 'direct' }, record(), {}, en, hosts);
    assert.match(direct.publishingNote ?? '', /^Published directly/);
    assert.equal(direct.records[0].type, 'TXT');
    assert.equal(direct.records[0].value.startsWith('v=STSv1; id='), true);
    assert.equal(tabView(PAGE, record(), {}, en, hosts).publishingNote, null, 'nothing said without a delegation');
  });

  it('shows the most severe notice and folds the others into "and 1 more note"', () => {
    const view = tabView(PAGE, record({}, { hostActive: false }), { notices: [{ kind: 'success', text: 'Saved.' }] }, en, { state: 'none' });
    assert.equal(view.notice?.kind, 'warning');
    assert.equal(view.notice?.text, CATALOGUES.en['notice.hostInactive']);
    assert.deepEqual(
      view.moreNotices.map((n) => n.text),
      ['Saved.'],
    );
    assert.equal(view.moreNoticesText, 'and 1 more note');
  });

  it('says that mail to an MX host no entry covers would be refused in enforce mode, naming the host', () => {
    const view = tabView(PAGE, record(), {}, en, { state: 'hosts', hosts: ['mail.example.org', 'backup.example.org'] });
    assert.equal(view.mx.consequence, 'refused');
    const primary = view.mx.hints.find((h) => h.primary);
    assert.equal(primary?.name, 'consequence');
    assert.match(primary?.text ?? '', /senders refuse to deliver to backup\.example\.org/);
  });

  it("says the MX lookup's failure beside the field in the page's language", () => {
    const reason: Text = {
      english: 'resolver 192.0.2.53:53 answered SERVFAIL',
      translated: msg('dns.lookup.servfail', { server: '192.0.2.53:53', name: 'example.org', type: 'MX' }),
    };
    assert.match(mxDnsText({ state: 'failed', reason }, 'example.org', en), /could not be looked up \(resolver 192\.0\.2\.53:53 answered SERVFAIL\)/);
    assert.equal(
      mxDnsText({ state: 'failed', reason }, 'example.org', de),
      format(CATALOGUES.de['tab.mx.dnsFailed'], { domain: 'example.org', reason: 'Resolver 192.0.2.53:53 antwortete SERVFAIL für example.org MX' }),
    );
  });

  it("says a DNS Check's verdicts in the page's language: problems open (errors first), the passing ones folded", () => {
    const checks = [failedCheck('mx', new Error('boom')), failedCheck('caa', new Error('bang'))];
    checks[0] = { ...checks[0], status: 'warning' };
    const passing = { ...failedCheck('dane', new Error('-')), status: 'ok' as const };
    const result: DnsCheckResult<Text> = { domain: 'example.org', id: null, checkedAt: '2026-12-07T12:00:00.000Z', checks: [...checks, passing] };
    const view = dnsCheckView(result, de);
    assert.deepEqual(
      view.problems.map((r) => r.name),
      ['caa', 'mx'],
    );
    assert.deepEqual(
      view.passing.map((r) => r.name),
      ['dane'],
    );
    assert.equal(view.summary, format(CATALOGUES.de['tab.check.summary'], { error: 1, warning: 1, info: 0, ok: 1 }));
    assert.equal(view.problems[0].message, CATALOGUES.de['dns.failed.message']);
    assert.equal(dnsCheckView(result, en).problems[0].message, CATALOGUES.en['dns.failed.message']);
  });
});
