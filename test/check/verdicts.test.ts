import assert from 'node:assert/strict';
import { sayCheck } from '../../src/render/check';
import { renderPolicy } from '../../src/policy';
import {
  daneCheck,
  failedCheck,
  httpsCheck,
  mxCheck,
  mxTlsCheck,
  policyCheck,
  stsHostCheck,
  stsTxtCheck,
  tlsrptCheck,
  type Check,
  type Verdict,
} from '../../src/check';
import type { LookupResult } from '../../src/dns';
import { ID, NOW, answer, fetched, mxFailed, mxPassed, nodata, nxdomain, storedPolicy, timeout } from '../support/lookups';

const STS = '_mta-sts.example.org';
const RECORD = `v=STSv1; id=${ID}`;

/** The verdict as the JSON API says it (English). */
const say = (verdict: Verdict): Check => sayCheck('en', verdict);

function is(check: Check, status: Check['status'], message?: RegExp): void {
  assert.equal(check.status, status, `${check.name}: ${check.message}`);
  if (message) assert.match(check.message, message);
}

describe('DNS check verdicts', () => {
  describe('sts-txt: the _mta-sts TXT record', () => {
    const verdict = (record: LookupResult<'TXT'>, changes = {}, apex: LookupResult<'TXT'> = nodata('example.org', 'TXT')) =>
      say(stsTxtCheck({ domain: 'example.org', policy: storedPolicy(changes), record, apex }));

    it('is ok for exactly one valid record with the current id, and shows the exact record to hold', () => {
      const check = verdict(answer(STS, 'TXT', [RECORD]));
      is(check, 'ok');
      assert.equal(check.expected, `${STS} TXT "${RECORD}"`);
      assert.equal(check.found, `"${RECORD}"`);
    });

    it('accepts the spellings the RFC allows (no spaces, trailing semicolon, extensions)', () => {
      is(verdict(answer(STS, 'TXT', [`v=STSv1;id=${ID};`])), 'ok');
      is(verdict(answer(STS, 'TXT', [`v=STSv1 ; id=${ID} ; ext=1`])), 'ok');
    });

    it('is an error naming the record to publish when the id is not the current one', () => {
      is(verdict(answer(STS, 'TXT', ['v=STSv1; id=20250101000000'])), 'error', new RegExp(`announces id 20250101000000.*Change the record to "${RECORD}"`));
    });

    it('is an error with the record to add when there is none', () => {
      const check = verdict(nxdomain(STS, 'TXT'));
      is(check, 'error', new RegExp(`publish a TXT record at ${STS} with the value "${RECORD}"`));
      assert.equal(check.found, 'nothing (NXDOMAIN)');
    });

    it('is an error when only other TXT records are there, and mentions them', () => {
      is(verdict(answer(STS, 'TXT', ['google-site-verification=abc'])), 'error', /no MTA-STS record.*also holds 1 other TXT record/);
    });

    it('is an error for more than one STS record, since senders then see no policy', () => {
      const check = verdict(answer(STS, 'TXT', [RECORD, 'v=STSv1; id=1']));
      is(check, 'error', /holds 2 MTA-STS records; senders then treat the domain as having no policy/);
      assert.equal(check.found, `"${RECORD}"\n"v=STSv1; id=1"`);
    });

    it('is an error for a record that does not parse, saying why', () => {
      is(verdict(answer(STS, 'TXT', ['v=STSv1; id=2026-11-28'])), 'error', /id "2026-11-28" is not 1-32 letters and digits/);
      is(verdict(answer(STS, 'TXT', ['v=STSv1 id=1'])), 'error', /does not begin with "v=STSv1;"/);
    });

    it('keeps an ok verdict but mentions other TXT records at _mta-sts', () => {
      is(verdict(answer(STS, 'TXT', [RECORD, 'leftover'])), 'ok', /also holds 1 other TXT record; senders ignore it/);
    });

    it('warns about an STS record published at the bare domain, even when _mta-sts is right', () => {
      const apex = answer('example.org', 'TXT', ['v=spf1 mx -all', RECORD]);
      is(verdict(answer(STS, 'TXT', [RECORD]), {}, apex), 'warning', /example\.org itself holds an MTA-STS record.*delete it from example\.org/);
      is(verdict(nxdomain(STS, 'TXT'), {}, apex), 'error', /example\.org itself holds an MTA-STS record/);
    });

    it('shows a delegation to a provider by CNAME, which senders follow', () => {
      const check = verdict(answer(STS, 'TXT', [RECORD], ['_mta-sts.provider.example']));
      is(check, 'ok');
      assert.equal(check.found, `(via CNAME _mta-sts.provider.example)\n"${RECORD}"`);
    });

    describe("delegated by CNAME into the panel's zone", () => {
      const ZONE = 'mta-sts.panel.example';
      const TARGET = `example.org._mta-sts.${ZONE}`;
      const delegated = (record: LookupResult<'TXT'>) =>
        say(stsTxtCheck({ domain: 'example.org', policy: storedPolicy({}), record, apex: nodata('example.org', 'TXT'), delegationZone: ZONE }));

      it("is ok when the customer's CNAME leads to the panel's TXT with the current id, and shows both records", () => {
        const check = delegated(answer(STS, 'TXT', [RECORD], [TARGET]));
        is(check, 'ok');
        assert.equal(check.expected, `${STS} CNAME ${TARGET}\n${TARGET} TXT "${RECORD}"`);
      });

      it("names the customer's CNAME as the missing part when _mta-sts is not a CNAME to the panel", () => {
        for (const record of [nxdomain(STS, 'TXT'), answer(STS, 'TXT', [RECORD]), answer(STS, 'TXT', [RECORD], ['_mta-sts.provider.example'])]) {
          const check = delegated(record);
          is(check, 'error', new RegExp(`_mta-sts\\.example\\.org is not a CNAME to ${TARGET.replace(/\./g, '\\.')}.*publish _mta-sts\\.example\\.org CNAME`));
          assert.equal(check.code, 'sts-txt.delegation-cname-missing');
        }
      });

      it("names the panel's TXT as the missing part when the CNAME is there but its target holds no id", () => {
        const check = delegated({ ...nxdomain(STS, 'TXT'), cnames: [TARGET] });
        is(check, 'error', /The CNAME _mta-sts\.example\.org → .* is in place, but .* holds no MTA-STS record.*mta-sts publish example\.org/);
        assert.equal(check.code, 'sts-txt.delegation-txt-missing');
        assert.equal(
          sayCheck(
            'de',
            stsTxtCheck({
              domain: 'example.org',
              policy: storedPolicy({}),
              record: { ...nxdomain(STS, 'TXT'), cnames: [TARGET] },
              apex: nodata('example.org', 'TXT'),
              delegationZone: ZONE,
            }),
          ).message.includes('noch nicht veröffentlicht'),
          true,
        );
      });

      it('still says a stale id at the target is the wrong id', () => {
        is(delegated(answer(STS, 'TXT', ['v=STSv1; id=old'], [TARGET])), 'error', /old/);
      });
    });

    it('is an error showing the resolver failure when the lookup fails', () => {
      const check = verdict(timeout(STS, 'TXT'));
      is(check, 'error', /Could not check _mta-sts\.example\.org: the DNS lookup failed/);
      assert.match(check.found, /did not answer within 2 s/);
    });

    it('is info asking to save the policy first when it has no id yet', () => {
      is(verdict(nxdomain(STS, 'TXT'), { id: null, active: false }), 'info', /Save the policy first/);
    });

    it('is info when MTA-STS is inactive and no record is published, warning when one still is', () => {
      is(verdict(nxdomain(STS, 'TXT'), { active: false }), 'info', /inactive, so no record is needed/);
      is(verdict(answer(STS, 'TXT', [RECORD]), { active: false }), 'warning', /inactive, yet _mta-sts\.example\.org still announces a policy/);
    });
  });

  describe('sts-host: mta-sts.<domain>', () => {
    const HOST = 'mta-sts.example.org';
    const MAIL = 'mail.example.org';
    const mailA = answer(MAIL, 'A', ['192.0.2.25']);
    const mailAaaa = answer(MAIL, 'AAAA', ['2001:db8::25']);
    const verdict = (parts: Partial<Parameters<typeof stsHostCheck>[0]>) =>
      say(
        stsHostCheck({
          domain: 'example.org',
          mailHostname: MAIL,
          cname: nodata(HOST, 'CNAME'),
          a: nodata(HOST, 'A'),
          aaaa: nodata(HOST, 'AAAA'),
          mailA,
          mailAaaa,
          ...parts,
        }),
      );

    it('is ok for a CNAME to the mail host name, ignoring case and the trailing dot', () => {
      const check = verdict({ cname: answer(HOST, 'CNAME', [MAIL]), mailHostname: 'Mail.Example.ORG.' });
      is(check, 'ok');
      assert.equal(check.expected, `${HOST} CNAME ${MAIL}`);
      assert.equal(check.found, `${HOST} CNAME ${MAIL}`);
    });

    it('is ok for a CNAME chain that passes through the mail host', () => {
      const check = verdict({ cname: answer(HOST, 'CNAME', ['web.example.org']), a: answer(HOST, 'A', ['192.0.2.25'], ['web.example.org', MAIL]) });
      is(check, 'ok');
    });

    it('is an error for a CNAME pointing elsewhere', () => {
      is(
        verdict({ cname: answer(HOST, 'CNAME', ['www.example.org']) }),
        'error',
        /points to www\.example\.org, not to this mail server.*Change it to: mta-sts\.example\.org CNAME mail\.example\.org/,
      );
    });

    it('is an error when the mail host it points to has no address', () => {
      is(
        verdict({ cname: answer(HOST, 'CNAME', [MAIL]), mailA: nxdomain(MAIL, 'A'), mailAaaa: nxdomain(MAIL, 'AAAA') }),
        'error',
        /mail\.example\.org has no A or AAAA record/,
      );
    });

    it('is ok for A/AAAA records equal to the mail host addresses, suggesting a CNAME', () => {
      const check = verdict({ a: answer(HOST, 'A', ['192.0.2.25']), aaaa: answer(HOST, 'AAAA', ['2001:db8::25']) });
      is(check, 'ok', /same addresses as mail\.example\.org\. A CNAME/);
      assert.equal(check.found, `${HOST} A 192.0.2.25\n${HOST} AAAA 2001:db8::25`);
    });

    it('warns about addresses that differ from the mail host', () => {
      is(
        verdict({ a: answer(HOST, 'A', ['198.51.100.7']) }),
        'warning',
        /addresses \(198\.51\.100\.7\) that differ from mail\.example\.org's \(192\.0\.2\.25 and 2001:db8::25\)/,
      );
    });

    it('warns when the mail host addresses could not be looked up to compare', () => {
      is(verdict({ a: answer(HOST, 'A', ['192.0.2.25']), mailA: timeout(MAIL, 'A') }), 'warning', /could not be looked up/);
    });

    it('is an error with the CNAME to add when the name does not exist', () => {
      const check = verdict({ cname: nxdomain(HOST, 'CNAME'), a: nxdomain(HOST, 'A'), aaaa: nxdomain(HOST, 'AAAA') });
      is(check, 'error', /does not exist.*Add a DNS record: mta-sts\.example\.org CNAME mail\.example\.org\./);
      assert.equal(check.found, 'nothing (NXDOMAIN)');
    });

    it('is an error when the name exists without any address', () => {
      is(verdict({}), 'error', /has no CNAME, A or AAAA record/);
    });

    it('is an error when the lookup fails', () => {
      is(verdict({ cname: timeout(HOST, 'CNAME') }), 'error', /DNS lookup failed/);
    });
  });

  describe('mx: the MX hosts against the policy', () => {
    const mx = (...hosts: string[]) =>
      answer(
        'example.org',
        'MX',
        hosts.map((exchange, i) => ({ preference: 10 * (i + 1), exchange })),
      );
    const verdict = (result: LookupResult<'MX'>, changes = {}) =>
      say(mxCheck({ domain: 'example.org', policy: storedPolicy(changes), mailHostname: 'mail.example.org', mx: result }));

    it('is ok when every MX host matches an entry, a wildcard matching exactly one label', () => {
      const check = verdict(mx('mail.example.org', 'mx1.backup.example.net'), { mx: ['mail.example.org', '*.backup.example.net'] });
      is(check, 'ok');
      assert.equal(check.found, '10 mail.example.org (matches mail.example.org)\n20 mx1.backup.example.net (matches *.backup.example.net)');
    });

    it('is an error in enforce mode for an unmatched MX host: senders refuse to deliver there', () => {
      is(
        verdict(mx('mail.example.org', 'mx2.example.org')),
        'error',
        /Senders will refuse to deliver to mx2\.example\.org.*Add mx2\.example\.org to the MX entries/,
      );
    });

    it('does not let a wildcard match two labels', () => {
      is(verdict(mx('a.b.example.net'), { mx: ['*.example.net'] }), 'error', /refuse to deliver to a\.b\.example\.net/);
    });

    it('is a warning in testing mode, and info in mode none or while inactive', () => {
      is(verdict(mx('mx2.example.org'), { mode: 'testing', mx: ['mx2.example.org', 'mx3.example.org'] }), 'warning', /mx3\.example\.org matches none/);
      is(verdict(mx('mx2.example.org'), { mode: 'testing' }), 'warning', /still deliver in testing mode/);
      is(verdict(mx('mx2.example.org'), { mode: 'none', mx: [] }), 'info', /once the policy is active/);
      is(verdict(mx('mail.example.org', 'mx2.example.org'), { active: false }), 'info', /mx2\.example\.org matches no MX entry/);
    });

    it('says to add the mail host when it is an MX host missing from the entries', () => {
      is(
        verdict(mx('mail.example.org'), { mx: ['other.example.org'] }),
        'error',
        /Add mail\.example\.org to the MX entries \(mail\.example\.org is this mail server\)/,
      );
    });

    it('warns about an entry that matches no MX host', () => {
      is(
        verdict(mx('mail.example.org'), { mx: ['mail.example.org', 'old.example.org'] }),
        'warning',
        /old\.example\.org matches none of the domain's MX hosts/,
      );
    });

    it('warns about *.<domain>, which lets any host in the zone receive mail', () => {
      is(verdict(mx('mail.example.org'), { mx: ['*.example.org'] }), 'warning', /RFC 8461 section 10\.4/);
    });

    it('warns when there are no MX records, or a null MX', () => {
      is(verdict(nodata('example.org', 'MX')), 'warning', /no MX records.*example\.org MX 10 mail\.example\.org/);
      const nullMx = verdict(answer('example.org', 'MX', [{ preference: 0, exchange: '' }]));
      is(nullMx, 'warning', /null MX/);
      assert.equal(nullMx.found, '0 . (null MX: accepts no mail)');
    });

    it('is an error when the lookup fails', () => {
      is(verdict(timeout('example.org', 'MX')), 'error', /DNS lookup failed/);
    });
  });

  describe('tlsrpt: the _smtp._tls TXT record', () => {
    const NAME = '_smtp._tls.example.org';
    const verdict = (record: LookupResult<'TXT'>) => say(tlsrptCheck({ domain: 'example.org', record }));

    it('is ok for exactly one valid record, naming where reports go', () => {
      const record = 'v=TLSRPTv1; rua=mailto:tls@example.org, https://reports.example.net/tlsrpt';
      const check = verdict(answer(NAME, 'TXT', [record, 'unrelated']));
      is(check, 'ok', /to mailto:tls@example\.org and https:\/\/reports\.example\.net\/tlsrpt/);
      assert.equal(check.expected, `${NAME} TXT "${record}"`);
    });

    it('warns when every report address is https:, since some senders report only by mail', () => {
      const check = verdict(answer(NAME, 'TXT', ['v=TLSRPTv1; rua=https://reports.example.net/tlsrpt']));
      is(check, 'warning', /some senders send reports only by mail/);
      assert.equal(check.code, 'tlsrpt.https-only');
      assert.deepEqual(check.params, { rua: ['https://reports.example.net/tlsrpt'] });
    });

    it('is info recommending one, with an example, when there is none', () => {
      is(verdict(nxdomain(NAME, 'TXT')), 'info', /"v=TLSRPTv1; rua=mailto:tls-reports@example\.org"/);
    });

    it('warns about an invalid record or more than one', () => {
      is(verdict(answer(NAME, 'TXT', ['v=TLSRPTv1; rua=ftp://example.org/x'])), 'warning', /not a mailto: or https: address/);
      is(verdict(answer(NAME, 'TXT', ['v=TLSRPTv1;'])), 'warning', /has no rua field/);
      is(verdict(answer(NAME, 'TXT', ['v=TLSRPTv1; rua=mailto:a@example.org', 'v=TLSRPTv1; rua=mailto:b@example.org'])), 'warning', /2 TLS-RPT records/);
    });

    it('is an error when the lookup fails', () => {
      is(verdict(timeout(NAME, 'TXT')), 'error');
    });

    describe('compared with the report addresses configured in the panel', () => {
      const configured = ['https://mail.example.net/tlsrpt/v1/AAAAAAAAAAAAAAAAAAAAAA', 'mailto:tls@example.org'];
      const record = `v=TLSRPTv1; rua=${configured.join(',')}`;
      const compared = (found: LookupResult<'TXT'>) => say(tlsrptCheck({ domain: 'example.org', record: found, configured }));

      it('is ok when the published record names the same addresses, in any order', () => {
        const check = compared(answer(NAME, 'TXT', ['v=TLSRPTv1; rua=mailto:tls@example.org, https://mail.example.net/tlsrpt/v1/AAAAAAAAAAAAAAAAAAAAAA']));
        is(check, 'ok');
        assert.equal(check.code, 'tlsrpt.ok');
        assert.equal(check.expected, `${NAME} TXT "${record}"`);
      });

      it('warns naming both when the published record sends reports elsewhere', () => {
        const check = compared(answer(NAME, 'TXT', ['v=TLSRPTv1; rua=mailto:old@example.org']));
        is(
          check,
          'warning',
          /sends reports to mailto:old@example\.org, but the report addresses set up here are https:\/\/mail\.example\.net\/.* and mailto:tls@example\.org/,
        );
        assert.equal(check.code, 'tlsrpt.differs');
        assert.deepEqual(check.params, { rua: ['mailto:old@example.org'], configured, record });
        assert.ok(check.message.includes(`Publish "${record}" at ${NAME}`), check.message);
      });

      it('warns with the record to publish when none is published', () => {
        const check = compared(nxdomain(NAME, 'TXT'));
        is(check, 'warning', /has no TLS-RPT record, so senders send no reports/);
        assert.equal(check.code, 'tlsrpt.not-published');
        assert.ok(check.message.includes(`Publish the TXT record "${record}" at ${NAME}`), check.message);
        assert.equal(check.expected, `${NAME} TXT "${record}"`);
      });

      it('without configured addresses, says what it always said', () => {
        assert.equal(say(tlsrptCheck({ domain: 'example.org', record: nxdomain(NAME, 'TXT'), configured: [] })).code, 'tlsrpt.missing');
      });
    });
  });

  describe('policy: the policy as served', () => {
    const verdict = (changes = {}, served?: { ok: true; text: string | null } | { ok: false; message: string }) => {
      const policy = storedPolicy(changes);
      return say(policyCheck({ domain: 'example.org', policy, served: served ?? { ok: true, text: renderPolicy(policy) } }));
    };

    it('is ok and shows the served text exactly', () => {
      const check = verdict();
      is(check, 'ok', /This is the policy senders receive\.$/);
      assert.equal(check.found, renderPolicy(storedPolicy()));
    });

    it('stays ok but remarks on a max_age under one day, and on testing mode', () => {
      is(verdict({ maxAge: 3600 }), 'ok', /max_age is under one day \(3600 s\)/);
      is(verdict({ mode: 'testing' }), 'ok', /Mode is testing/);
    });

    it('warns that nothing is served while MTA-STS is inactive', () => {
      is(verdict({ active: false }, { ok: true, text: null }), 'warning', /Nothing is served .* because MTA-STS is inactive/);
    });

    it('is an error when MTA-STS is active but nothing is served, or the store fails', () => {
      is(verdict({}, { ok: true, text: null }), 'error', /active but no policy is served/);
      is(verdict({}, { ok: false, message: 'database is locked' }), 'error', /database is locked/);
    });

    it('warns when the served policy differs from the saved one', () => {
      is(verdict({}, { ok: true, text: renderPolicy(storedPolicy({ mode: 'testing' })) }), 'warning', /mode testing instead of enforce/);
    });
  });

  describe('dane: TLSA records of the MX hosts', () => {
    const tlsa = answer('_25._tcp.mail.example.org', 'TLSA', [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }]);

    it('is info that DANE is present as well', () => {
      const check = say(daneCheck({ hosts: ['mail.example.org'], tlsa: [tlsa] }));
      is(check, 'info', /DANE \(TLSA\) records are published for all MX hosts as well/);
      assert.equal(check.found, '_25._tcp.mail.example.org: 3 1 1 abababababababab... (not compared)');
    });

    it('is info that MTA-STS alone protects the domain when DANE is absent', () => {
      is(say(daneCheck({ hosts: ['mail.example.org'], tlsa: [nxdomain('_25._tcp.mail.example.org', 'TLSA')] })), 'info', /MTA-STS is what protects/);
    });

    it('stays info when there are no MX hosts or a lookup fails', () => {
      is(say(daneCheck({ hosts: [], tlsa: [] })), 'info');
      is(say(daneCheck({ hosts: [], tlsa: [], mxFailure: 'timeout' })), 'info', /MX lookup failed/);
      is(
        say(daneCheck({ hosts: ['mail.example.org'], tlsa: [timeout('_25._tcp.mail.example.org', 'TLSA')] })),
        'info',
        /TLSA lookup failed for mail\.example\.org/,
      );
    });
  });

  describe('https: fetching the policy as a sender', () => {
    const POLICY = renderPolicy(storedPolicy());
    const verdict = (probe: Parameters<typeof httpsCheck>[0]['probe'], changes = {}) =>
      say(httpsCheck({ domain: 'example.org', policy: storedPolicy(changes), probe, now: NOW }));

    it('is ok for a 200 text/plain body equal to the current policy with a valid certificate', () => {
      const check = verdict(fetched(POLICY));
      is(check, 'ok');
      assert.match(check.found, /TLSv1\.3, certificate for mta-sts\.example\.org by Test CA, valid until 2027-01-27\nHTTP 200/);
    });

    it('accepts LF line ends, which the RFC grammar allows', () => {
      is(verdict(fetched(POLICY.replace(/\r\n/g, '\n'))), 'ok');
    });

    it('is info "not run" when disabled', () => {
      is(verdict(null), 'info', /Not run/);
    });

    it('is an error with what to fix for a certificate problem', () => {
      const probe = {
        url: fetched('').url,
        address: '192.0.2.10',
        failure: { stage: 'certificate' as const, message: 'the certificate is not acceptable: it expired on 2026-11-01' },
      };
      is(verdict(probe), 'error', /expired on 2026-11-01\. Install a certificate that covers mta-sts\.example\.org/);
    });

    it('is an error naming where a redirect points', () => {
      is(
        verdict(fetched('', { status: 301, location: 'https://example.org/' })),
        'error',
        /redirects \(HTTP 301\) to https:\/\/example\.org\/; senders do not follow redirects/,
      );
    });

    it('is an error for any status but 200', () => {
      is(verdict(fetched('Not found', { status: 404 })), 'error', /answered HTTP 404/);
    });

    it('is an error for a content type other than text/plain', () => {
      is(verdict(fetched(POLICY, { contentType: 'text/html' })), 'error', /served as "text\/html"; senders .* require text\/plain/);
    });

    it('is an error for a body over 64 KiB, a byte order mark, or a body that does not parse', () => {
      is(verdict(fetched('', { body: undefined, bodyTooLarge: true })), 'error', /larger than 64 KiB/);
      is(verdict(fetched(`\uFEFF${POLICY}`)), 'error', /byte order mark/);
      is(verdict(fetched('<html>hello</html>')), 'error', /not a valid policy/);
    });

    it('is an error when the body differs from the current policy', () => {
      const stale = renderPolicy(storedPolicy({ mode: 'testing', mx: ['old.example.org'] }));
      is(verdict(fetched(stale)), 'error', /mode testing instead of enforce; extra mx old\.example\.org; missing mx mail\.example\.org/);
    });

    it('warns when the certificate expires within 14 days', () => {
      is(
        verdict(fetched(POLICY, { certificate: { ...fetched('').certificate!, validTo: '2026-12-05T00:00:00.000Z' } })),
        'warning',
        /expires on 2026-12-05 \(in 6 days\)/,
      );
    });

    it('expects a 404 while MTA-STS is inactive', () => {
      is(verdict(fetched('Not found', { status: 404 }), { active: false }), 'info', /answers 404, as expected/);
      is(
        verdict({ url: fetched('').url, failure: { stage: 'dns', message: 'no address' } }, { active: false }),
        'info',
        /nothing needs to be served \(no address\)/,
      );
      is(verdict(fetched(POLICY), { active: false }), 'warning', /yet .* serves a policy/);
    });
  });

  describe('mx-tls: STARTTLS on every MX host', () => {
    const mx = answer('example.org', 'MX', [{ preference: 10, exchange: 'mail.example.org' }]);
    const verdict = (probes: Parameters<typeof mxTlsCheck>[0]['probes'], changes = {}, result: LookupResult<'MX'> = mx) =>
      say(mxTlsCheck({ domain: 'example.org', policy: storedPolicy(changes), mx: result, probes, now: NOW }));

    it('is ok when every host offers STARTTLS with a valid certificate', () => {
      const check = verdict([mxPassed('mail.example.org')]);
      is(check, 'ok');
      assert.equal(check.found, 'mail.example.org (192.0.2.25): STARTTLS, TLSv1.3, certificate by Test CA valid until 2027-01-27');
    });

    it('is an error in enforce mode, a warning in testing and info in none when a host fails', () => {
      const failed = [mxPassed('mail.example.org'), mxFailed('mx2.example.org', 'the server does not offer STARTTLS, so senders cannot encrypt')];
      is(verdict(failed), 'error', /Senders will refuse to deliver to mx2\.example\.org\. mx2\.example\.org: the server does not offer STARTTLS/);
      is(verdict(failed, { mode: 'testing' }), 'warning', /would refuse to deliver to mx2\.example\.org/);
      is(verdict(failed, { mode: 'none' }), 'info');
    });

    it('says what to fix for each way a host fails, and that port 25 may be blocked from here', () => {
      const refused = mxFailed('mail.example.org', 'connection to 192.0.2.25:25 was refused', {
        failure: { stage: 'connect', message: 'connection to 192.0.2.25:25 was refused' },
      });
      const check = verdict([refused]);
      is(check, 'error', /if outbound port 25 is blocked here, senders elsewhere may still get through/);
      assert.doesNotMatch(check.message, /certificate authority/);
      is(
        verdict([mxFailed('mail.example.org', 'the server does not offer STARTTLS', { starttls: false })]),
        'error',
        /needs STARTTLS \(TLS 1\.2 or later\) with a certificate/,
      );
    });

    it('warns when a certificate expires within 14 days', () => {
      is(verdict([mxPassed('mail.example.org', 3)]), 'warning', /mail\.example\.org \(expires 2026-12-01\)/);
    });

    it('warns about no MX hosts under an active policy, info otherwise', () => {
      is(verdict([], {}, nodata('example.org', 'MX')), 'warning', /no MX hosts/);
      is(verdict([], { mode: 'none' }, nodata('example.org', 'MX')), 'info');
    });

    it('is an error when the MX lookup fails, and info "not run" when disabled', () => {
      is(verdict([], {}, timeout('example.org', 'MX')), 'error', /DNS lookup failed/);
      is(verdict(null), 'info', /Not run/);
    });
  });

  it('turns an unexpected exception into an error check for that name', () => {
    const check = say(failedCheck('mx', new TypeError('boom')));
    assert.deepEqual({ name: check.name, status: check.status, found: check.found }, { name: 'mx', status: 'error', found: 'internal error: boom' });
  });
});
