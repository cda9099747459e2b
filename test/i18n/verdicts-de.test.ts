import assert from 'node:assert/strict';
import { sayCheck } from '../../src/render/check';
import { CATALOGUES } from '../../src/i18n';
import {
  CHECK_CODES,
  CHECK_NAMES,
  caaCheck,
  daneCheck,
  failedCheck,
  httpsCheck,
  mxCheck,
  mxTlsCheck,
  policyCheck,
  stsHostCheck,
  stsTxtCheck,
  tlsrptCheck,
  type Verdict,
} from '../../src/check';
import { renderPolicy } from '../../src/policy';
import { ID, NOW, answer, fetched, mxFailed, mxPassed, nodata, nxdomain, storedPolicy, timeout } from '../support/lookups';
import { daneChain, tlsaAnswer } from '../support/dane';

// Every verdict branch the DNS Check has, once in English and once in German: German must say it
// all in German (no English sentence, no unfilled placeholder) while English stays what the JSON
// API has always returned.

const STS = '_mta-sts.example.org';
const HOST = 'mta-sts.example.org';
const MAIL = 'mail.example.org';

/** The fixed wording of each English message: the text between its placeholders, where long enough to be unmistakable. */
const ENGLISH_FRAGMENTS = Object.entries(CATALOGUES.en).flatMap(([key, value]) =>
  value
    .split(/\{[A-Za-z0-9_]+\}/)
    .map((part) => part.trim())
    .filter((part) => part.length >= 18 && !CATALOGUES.de[key as keyof typeof CATALOGUES.de].includes(part)),
);

const mx = (...hosts: string[]) =>
  answer(
    'example.org',
    'MX',
    hosts.map((exchange, i) => ({ preference: 10 * (i + 1), exchange })),
  );
const mailA = answer(MAIL, 'A', ['192.0.2.25']);
/** DANE of the mail host: its TLSA records against the chain its probe received. */
const dane =
  (
    records: (own: ReturnType<typeof daneChain>, other: ReturnType<typeof daneChain>) => Parameters<typeof tlsaAnswer>[1],
    dnssec = { authenticated: true, signed: true },
  ) =>
  () => {
    const own = daneChain();
    return daneCheck({
      hosts: [MAIL],
      tlsa: [tlsaAnswer(MAIL, records(own, daneChain(['other.example.org'])), dnssec)],
      probes: [{ ...mxPassed(MAIL), chain: own.chain }],
    });
  };
const mailAaaa = answer(MAIL, 'AAAA', ['2001:db8::25']);
const host = (parts: Partial<Parameters<typeof stsHostCheck>[0]>) => () =>
  stsHostCheck({
    domain: 'example.org',
    mailHostname: MAIL,
    cname: nodata(HOST, 'CNAME'),
    a: nodata(HOST, 'A'),
    aaaa: nodata(HOST, 'AAAA'),
    mailA,
    mailAaaa,
    ...parts,
  });
const sts =
  (record: Parameters<typeof stsTxtCheck>[0]['record'], changes = {}, apex = nodata('example.org', 'TXT')) =>
  () =>
    stsTxtCheck({ domain: 'example.org', policy: storedPolicy(changes), record, apex });
/** The same with CNAME delegation to the panel's zone `deleg.example`. */
const delegated = (record: Parameters<typeof stsTxtCheck>[0]['record']) => () =>
  stsTxtCheck({ domain: 'example.org', policy: storedPolicy({}), record, apex: nodata('example.org', 'TXT'), delegationZone: 'deleg.example' });
const mxv =
  (result: Parameters<typeof mxCheck>[0]['mx'], changes = {}) =>
  () =>
    mxCheck({ domain: 'example.org', policy: storedPolicy(changes), mailHostname: MAIL, mx: result });
const body = renderPolicy(storedPolicy());
const https =
  (probe: Parameters<typeof httpsCheck>[0]['probe'], changes = {}) =>
  () =>
    httpsCheck({ domain: 'example.org', policy: storedPolicy(changes), probe, now: NOW });
const mxTls =
  (probes: Parameters<typeof mxTlsCheck>[0]['probes'], changes = {}, result = mx(MAIL)) =>
  () =>
    mxTlsCheck({ domain: 'example.org', policy: storedPolicy(changes), mx: result, probes, now: NOW });

const SCENARIOS: Record<string, () => Verdict> = {
  'sts-txt ok': sts(answer(STS, 'TXT', [`v=STSv1; id=${ID}`])),
  'sts-txt other id': sts(answer(STS, 'TXT', ['v=STSv1; id=20250101000000'])),
  'sts-txt missing, other TXT, apex record': sts(answer(STS, 'TXT', ['x', 'y']), {}, answer('example.org', 'TXT', [`v=STSv1; id=${ID}`])),
  'sts-txt several': sts(answer(STS, 'TXT', [`v=STSv1; id=${ID}`, 'v=STSv1; id=1'])),
  'sts-txt invalid id': sts(answer(STS, 'TXT', ['v=STSv1; id=2026-11-28'])),
  'sts-txt invalid field': sts(answer(STS, 'TXT', ['v=STSv1; id=1; bad'])),
  'sts-txt no id yet': sts(nxdomain(STS, 'TXT'), { id: null, active: false }),
  'sts-txt inactive': sts(nxdomain(STS, 'TXT'), { active: false }),
  'sts-txt inactive, still published': sts(answer(STS, 'TXT', [`v=STSv1; id=${ID}`]), { active: false }),
  'sts-txt timeout': sts(timeout(STS, 'TXT')),
  'sts-txt via CNAME': sts(answer(STS, 'TXT', [`v=STSv1; id=${ID}`], ['_mta-sts.provider.example'])),
  'sts-txt delegated, no CNAME': delegated(answer(STS, 'TXT', [`v=STSv1; id=${ID}`])),
  'sts-txt delegated, no TXT at the target': delegated({ ...nodata(STS, 'TXT'), cnames: ['example.org._mta-sts.deleg.example'] }),
  'sts-host ok': host({ cname: answer(HOST, 'CNAME', [MAIL]) }),
  'sts-host elsewhere': host({ cname: answer(HOST, 'CNAME', ['www.example.org']) }),
  'sts-host target unreachable': host({ cname: answer(HOST, 'CNAME', [MAIL]), mailA: nxdomain(MAIL, 'A'), mailAaaa: nxdomain(MAIL, 'AAAA') }),
  'sts-host same addresses': host({ a: answer(HOST, 'A', ['192.0.2.25']), aaaa: answer(HOST, 'AAAA', ['2001:db8::25']) }),
  'sts-host other addresses': host({ a: answer(HOST, 'A', ['198.51.100.7']) }),
  'sts-host cannot compare': host({ a: answer(HOST, 'A', ['192.0.2.25']), mailA: timeout(MAIL, 'A') }),
  'sts-host nxdomain': host({ cname: nxdomain(HOST, 'CNAME'), a: nxdomain(HOST, 'A'), aaaa: nxdomain(HOST, 'AAAA') }),
  'sts-host nothing': host({}),
  'sts-host timeout': host({ cname: timeout(HOST, 'CNAME') }),
  'mx ok': mxv(mx(MAIL)),
  'mx refused': mxv(mx(MAIL, 'mx2.example.org', 'mx3.example.org')),
  'mx reported, stale': mxv(mx('mx2.example.org'), { mode: 'testing', mx: ['mx3.example.org', 'mx4.example.org'] }),
  'mx later': mxv(mx('mx2.example.org'), { mode: 'none', mx: [] }),
  'mx own host': mxv(mx(MAIL), { mx: ['other.example.org'] }),
  'mx broad wildcard': mxv(mx(MAIL), { mx: ['*.example.org'] }),
  'mx none': mxv(nodata('example.org', 'MX')),
  'mx null': mxv(answer('example.org', 'MX', [{ preference: 0, exchange: '' }])),
  'mx timeout': mxv(timeout('example.org', 'MX')),
  'tlsrpt ok': () =>
    tlsrptCheck({ domain: 'example.org', record: answer('_smtp._tls.example.org', 'TXT', ['v=TLSRPTv1; rua=mailto:a@example.org, mailto:b@example.org']) }),
  'tlsrpt missing': () => tlsrptCheck({ domain: 'example.org', record: nxdomain('_smtp._tls.example.org', 'TXT') }),
  'tlsrpt several': () =>
    tlsrptCheck({
      domain: 'example.org',
      record: answer('_smtp._tls.example.org', 'TXT', ['v=TLSRPTv1; rua=mailto:a@example.org', 'v=TLSRPTv1; rua=mailto:b@example.org']),
    }),
  'tlsrpt no rua': () => tlsrptCheck({ domain: 'example.org', record: answer('_smtp._tls.example.org', 'TXT', ['v=TLSRPTv1;']) }),
  'tlsrpt bad uri': () => tlsrptCheck({ domain: 'example.org', record: answer('_smtp._tls.example.org', 'TXT', ['v=TLSRPTv1; rua=ftp://x']) }),
  'dane absent': () => daneCheck({ hosts: [MAIL], tlsa: [nxdomain(`_25._tcp.${MAIL}`, 'TLSA')] }),
  'dane some, one unknown': () =>
    daneCheck({
      hosts: [MAIL, 'mx2.example.org', 'mx3.example.org'],
      tlsa: [
        answer(`_25._tcp.${MAIL}`, 'TLSA', [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }]),
        nxdomain('_25._tcp.mx2.example.org', 'TLSA'),
        timeout('_25._tcp.mx3.example.org', 'TLSA'),
      ],
    }),
  'dane no hosts, mx failed': () => daneCheck({ hosts: [], tlsa: [], mxFailure: 'SERVFAIL' }),
  'dane match, validated': dane((own, other) => [own.record(3, 1, 1), other.record(3, 1, 1)]),
  'dane mismatch': dane((_, other) => [other.record(3, 1, 1)]),
  'dane only unusable records': dane((own) => [
    { ...own.record(3, 1, 1), usage: 1 },
    { ...own.record(3, 1, 1), matchingType: 9 },
  ]),
  'dane unsigned zone': dane((own, other) => [own.record(3, 1, 1), other.record(3, 1, 1)], { authenticated: false, signed: false }),
  'dane signed, not validated': dane((own, other) => [own.record(3, 1, 1), other.record(3, 1, 1)], { authenticated: false, signed: true }),
  'dane full certificate': dane((own) => [own.record(3, 0, 1), own.record(3, 1, 1)]),
  'dane single 3 1 1': dane((own) => [own.record(3, 1, 1)]),
  'tlsrpt https only': () =>
    tlsrptCheck({ domain: 'example.org', record: answer('_smtp._tls.example.org', 'TXT', ['v=TLSRPTv1; rua=https://reports.example.org/tlsrpt']) }),
  'policy ok, testing, short max_age': () =>
    policyCheck({
      domain: 'example.org',
      policy: storedPolicy({ mode: 'testing', maxAge: 300 }),
      served: { ok: true, text: renderPolicy(storedPolicy({ mode: 'testing', maxAge: 300 })) },
    }),
  'policy differs': () =>
    policyCheck({
      domain: 'example.org',
      policy: storedPolicy(),
      served: { ok: true, text: renderPolicy(storedPolicy({ mode: 'testing', mx: ['x.example.org'] })) },
    }),
  'policy invalid': () => policyCheck({ domain: 'example.org', policy: storedPolicy(), served: { ok: true, text: 'mode: bogus\n' } }),
  'policy inactive': () => policyCheck({ domain: 'example.org', policy: storedPolicy({ active: false }), served: { ok: true, text: null } }),
  'policy not served': () => policyCheck({ domain: 'example.org', policy: storedPolicy(), served: { ok: true, text: null } }),
  'https ok': https(fetched(body)),
  'https certificate problem': https({
    url: fetched('').url,
    address: '192.0.2.10',
    failure: { stage: 'certificate', message: 'the certificate is not acceptable: it expired on 2026-11-01' },
  }),
  'https redirect': https(fetched('', { status: 301, location: 'https://www.example.org/' })),
  'https status': https(fetched('', { status: 500 })),
  'https media type': https(fetched(body, { contentType: 'text/html' })),
  'https differs': https(fetched(renderPolicy(storedPolicy({ maxAge: 1 })))),
  'https expiring': https(
    fetched(body, {
      certificate: {
        subject: HOST,
        issuer: 'CA',
        names: [HOST],
        validFrom: NOW.toISOString(),
        validTo: new Date(NOW.getTime() + 3 * 86_400_000).toISOString(),
      },
    }),
  ),
  'https disabled': https(null),
  'https inactive 404': https(fetched('', { status: 404 }), { active: false }),
  'mx-tls ok': mxTls([mxPassed(MAIL)]),
  'mx-tls failed in enforce': mxTls([mxFailed(MAIL, 'the server does not offer STARTTLS', { starttls: false })]),
  'mx-tls failed in testing, connect': mxTls(
    [mxFailed(MAIL, 'refused', { failure: { stage: 'connect', message: 'connection to 192.0.2.25:25 was refused' } })],
    { mode: 'testing' },
  ),
  'mx-tls expiring': mxTls([mxPassed(MAIL, 3)]),
  'mx-tls partial': () =>
    mxTlsCheck({
      domain: 'example.org',
      policy: storedPolicy(),
      mx: mx(MAIL),
      probes: [mxPassed(MAIL)],
      now: NOW,
      unchecked: ['mx2.example.org', 'mx3.example.org'],
    }),
  'mx-tls no hosts': mxTls([], {}, nodata('example.org', 'MX')),
  'mx-tls lookup failed': mxTls([], {}, timeout('example.org', 'MX')),
  'failed check': () => failedCheck('mx', new Error('boom')),
  // Findings the scenarios above do not reach, so that every code is said once in each language.
  'sts-txt ok, apex record': sts(answer(STS, 'TXT', [`v=STSv1; id=${ID}`]), {}, answer('example.org', 'TXT', [`v=STSv1; id=${ID}`])),
  'mx stale': mxv(mx(MAIL), { mx: [MAIL, 'old.example.org'] }),
  'tlsrpt configured, not published': () =>
    tlsrptCheck({ domain: 'example.org', record: nxdomain('_smtp._tls.example.org', 'TXT'), configured: ['mailto:tls@example.org'] }),
  'tlsrpt published differs from configured': () =>
    tlsrptCheck({
      domain: 'example.org',
      record: answer('_smtp._tls.example.org', 'TXT', ['v=TLSRPTv1; rua=mailto:old@example.org']),
      configured: ['mailto:tls@example.org'],
    }),
  'tlsrpt timeout': () => tlsrptCheck({ domain: 'example.org', record: timeout('_smtp._tls.example.org', 'TXT') }),
  'policy unreadable': () =>
    policyCheck({ domain: 'example.org', policy: storedPolicy(), served: { ok: false, message: 'the policy store gave no answer within 10 s' } }),
  'policy inactive, still served': () => policyCheck({ domain: 'example.org', policy: storedPolicy({ active: false }), served: { ok: true, text: body } }),
  'dane no hosts': () => daneCheck({ hosts: [], tlsa: [] }),
  'https inactive, still served': https(fetched(body), { active: false }),
  'https inactive, other answer': https(fetched('', { status: 500 }), { active: false }),
  'https too large': https(fetched('', { bodyTooLarge: true })),
  'https byte order mark': https(fetched(`\uFEFF${body}`)),
  'https invalid': https(fetched('mode: bogus\n')),
  'mx-tls disabled': mxTls(null),
  'https ok, ACME certificate issued': () =>
    httpsCheck({
      domain: 'example.org',
      policy: storedPolicy(),
      probe: fetched(body),
      now: NOW,
      acme: { state: 'issued', reason: null, notAfter: '2027-03-01T00:00:00.000Z', nextAttempt: null },
    }),
  'https failed, last ACME order failed': () =>
    httpsCheck({
      domain: 'example.org',
      policy: storedPolicy(),
      probe: { url: fetched('').url, address: '192.0.2.10', failure: { stage: 'certificate', message: 'self-signed certificate' } },
      now: NOW,
      acme: { state: 'failed', reason: 'rateLimited', notAfter: null, nextAttempt: '2026-12-02T00:00:00.000Z' },
    }),
  'https disabled, ACME skipped': () =>
    httpsCheck({
      domain: 'example.org',
      policy: storedPolicy(),
      probe: null,
      now: NOW,
      acme: { state: 'skipped', reason: '198.51.100.1', notAfter: null, nextAttempt: null },
    }),
  'https disabled, ACME pending': () =>
    httpsCheck({
      domain: 'example.org',
      policy: storedPolicy(),
      probe: null,
      now: NOW,
      acme: { state: 'pending', reason: null, notAfter: null, nextAttempt: null },
    }),
  'caa none': () =>
    caaCheck({ domain: 'example.org', lookups: [nodata(HOST, 'CAA'), nodata('example.org', 'CAA'), nodata('org', 'CAA')], acmeCa: 'letsencrypt.org' }),
  'caa allows the ACME CA': () =>
    caaCheck({
      domain: 'example.org',
      lookups: [nodata(HOST, 'CAA'), answer('example.org', 'CAA', [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }])],
      acmeCa: 'letsencrypt.org',
    }),
  'caa present, no ACME CA configured': () =>
    caaCheck({ domain: 'example.org', lookups: [answer(HOST, 'CAA', [{ flags: 0, tag: 'issue', value: 'sectigo.com' }])] }),
  'caa forbids the ACME CA': () =>
    caaCheck({
      domain: 'example.org',
      lookups: [nodata(HOST, 'CAA'), answer('example.org', 'CAA', [{ flags: 0, tag: 'issue', value: 'sectigo.com' }])],
      acmeCa: 'letsencrypt.org',
    }),
  'caa forbids every CA': () =>
    caaCheck({ domain: 'example.org', lookups: [answer(HOST, 'CAA', [{ flags: 0, tag: 'issue', value: ';' }])], acmeCa: 'letsencrypt.org' }),
  'caa lookup failed': () => caaCheck({ domain: 'example.org', lookups: [timeout(HOST, 'CAA')], acmeCa: 'letsencrypt.org' }),
  ...Object.fromEntries(CHECK_NAMES.filter((name) => name !== 'mx').map((name) => [`failed check ${name}`, () => failedCheck(name, new Error('boom'))])),
};

describe('i18n: the DNS Check verdicts in German', () => {
  for (const [name, run] of Object.entries(SCENARIOS)) {
    it(`${name}: German throughout, with the same status as in English`, () => {
      const en = sayCheck('en', run());
      const de = sayCheck('de', run());
      assert.equal(de.status, en.status);
      assert.equal(de.name, en.name);
      assert.notEqual(de.message, en.message);
      for (const text of [de.message, de.expected, de.found]) {
        assert.doesNotMatch(text, /\{[A-Za-z]+\}/, 'no unfilled placeholder');
        const english = ENGLISH_FRAGMENTS.filter((fragment) => text.includes(fragment));
        assert.deepEqual(english, [], `English wording in German: ${text}`);
      }
    });
  }

  it('says resolver failures in German, from the failure kind', () => {
    const check = sayCheck(
      'de',
      stsTxtCheck({ domain: 'example.org', policy: storedPolicy(), record: timeout(STS, 'TXT'), apex: nodata('example.org', 'TXT') }),
    );
    assert.equal(check.found, 'Resolver 192.0.2.53:53 hat nicht rechtzeitig geantwortet');
    assert.match(check.message, /^_mta-sts\.example\.org: Prüfung nicht möglich, die DNS-Abfrage ist fehlgeschlagen/);
  });
});

describe('DNS Check codes', () => {
  it('every code is reached by a scenario above, and no scenario gives an unlisted code', () => {
    const seen = new Set(Object.values(SCENARIOS).map((run) => run().code));
    assert.deepEqual(
      CHECK_CODES.filter((code) => !seen.has(code)),
      [],
      'codes without a scenario',
    );
    assert.deepEqual(
      [...seen].filter((code) => !CHECK_CODES.includes(code)),
      [],
      'codes not in CHECK_CODES',
    );
    assert.equal(new Set(CHECK_CODES).size, CHECK_CODES.length, 'codes are unique');
  });

  for (const [name, run] of Object.entries(SCENARIOS)) {
    it(`${name}: the same code and facts in English and German, every text complete, JSON as it is`, () => {
      const en = sayCheck('en', run());
      const de = sayCheck('de', run());
      assert.equal(de.code, en.code);
      assert.ok(en.code.startsWith(`${en.name}.`), en.code);
      assert.deepEqual(de.params, en.params);
      for (const text of [en.message, en.expected, en.found, de.message, de.expected, de.found]) {
        assert.doesNotMatch(text, /\{[A-Za-z][A-Za-z0-9_]*\}/, `no unfilled placeholder: ${text}`);
        assert.doesNotMatch(text, /\[object Object\]|undefined/, `no unsaid value: ${text}`);
      }
      // The JSON API sends the check as it is: code and facts must survive JSON unchanged.
      assert.deepEqual(JSON.parse(JSON.stringify(en)), en);
    });
  }
});
