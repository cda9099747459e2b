import assert from 'node:assert/strict';
import { renderPolicy, type StoredPolicy } from '../../src/policy';
import { CHECK_NAMES, runDnsCheck, type Check, type DnsCheckInput, type DnsCheckResult } from '../../src/check';
import { sayDnsCheck } from '../../src/render/check';
import { createResolver, type RecordType, type Resolver } from '../../src/dns';
import { startDnsServer, type TestDnsServer, type ZoneRecord } from '../support/dns-server';
import { createTestCa, type Issued, type TestCa } from '../support/tls';
import { servePolicy, startPolicyWebServer, startSmtpServer, type PolicyWebServer, type TestSmtpServer } from '../support/probe-servers';
import { ID, storedPolicy } from '../support/lookups';

const ZONE: ZoneRecord[] = [
  { name: '_mta-sts.example.org', type: 'TXT', data: `v=STSv1; id=${ID}` },
  { name: 'example.org', type: 'TXT', data: 'v=spf1 mx -all' },
  { name: 'mta-sts.example.org', type: 'CNAME', data: 'mail.example.org' },
  { name: 'mail.example.org', type: 'A', data: '127.0.0.1' },
  { name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mail.example.org' } },
  { name: '_smtp._tls.example.org', type: 'TXT', data: 'v=TLSRPTv1; rua=mailto:tls-reports@example.org' },
];

function byName(result: DnsCheckResult): Record<string, Check> {
  return Object.fromEntries(result.checks.map((check) => [check.name, check]));
}

function statuses(result: DnsCheckResult): Record<string, string> {
  return Object.fromEntries(result.checks.map((check) => [check.name, check.status]));
}

describe('DNS check (runDnsCheck against loopback DNS, HTTPS and SMTP servers)', () => {
  let dns: TestDnsServer;
  let ca: TestCa;
  let otherCa: TestCa;
  let web: PolicyWebServer;
  let smtp: TestSmtpServer;
  let certs: Record<'sts' | 'mail' | 'wrongName' | 'expired' | 'untrusted', Issued>;
  let policy: StoredPolicy;

  before(async () => {
    dns = await startDnsServer();
    ca = createTestCa();
    otherCa = createTestCa('Unknown CA');
    certs = {
      sts: ca.issue(['mta-sts.example.org']),
      mail: ca.issue(['mail.example.org']),
      wrongName: ca.issue(['www.example.org']),
      expired: ca.issue(['mta-sts.example.org', 'mail.example.org'], { days: -1 }),
      untrusted: otherCa.issue(['mta-sts.example.org', 'mail.example.org']),
    };
    web = await startPolicyWebServer(certs.sts);
    smtp = await startSmtpServer({ certificate: certs.mail });
  });
  after(async () => {
    await Promise.all([dns.close(), web.close(), smtp.close()]);
    ca.dispose();
    otherCa.dispose();
  });
  beforeEach(() => {
    policy = storedPolicy();
    dns.setZone(ZONE);
    dns.setFault(null);
    dns.setDelay(0);
    dns.queries.splice(0);
    web.setCertificate(certs.sts);
    web.setHandler(servePolicy(renderPolicy(policy)));
    web.requests.splice(0);
    smtp.set({ certificate: certs.mail, starttls: true, banner: '220 mx.test ESMTP ready' });
    smtp.commands.splice(0);
  });

  const resolver = (options: { timeoutMs?: number } = {}) => createResolver({ servers: [dns.address], timeoutMs: options.timeoutMs ?? 1000, retries: 0 });
  // Said in English unless told: the check gives verdicts as Text, and the edge says them.
  const run = ({ locale = 'en', ...changes }: Partial<DnsCheckInput> & { locale?: 'en' | 'de' } = {}) =>
    runDnsCheck({
      domain: 'example.org',
      policy,
      mailHostname: 'mail.example.org',
      served: { ok: true, text: policy.active ? renderPolicy(policy) : null },
      resolver: resolver(),
      https: { port: web.port, ca: ca.cert, timeoutMs: 3000 },
      smtp: { port: smtp.port, ca: ca.cert, timeoutMs: 3000 },
      // The test servers listen on loopback, which the probes refuse unless told otherwise.
      allowAddresses: ['127.0.0.0/8', '::1/128'],
      ...changes,
    }).then((result) => sayDnsCheck(locale, result));

  it('passes a correctly set up domain, listing the checks in their fixed order', async () => {
    const result = await run();
    assert.deepEqual(
      result.checks.map((c) => c.name),
      [...CHECK_NAMES],
    );
    assert.deepEqual(statuses(result), {
      'sts-txt': 'ok',
      'sts-host': 'ok',
      mx: 'ok',
      tlsrpt: 'ok',
      policy: 'ok',
      dane: 'info',
      https: 'ok',
      'mx-tls': 'ok',
      caa: 'ok',
    });
    assert.equal(result.domain, 'example.org');
    assert.equal(result.id, ID);
    assert.ok(!Number.isNaN(Date.parse(result.checkedAt)));
    assert.equal(byName(result).policy.found, renderPolicy(policy));
  });

  it('warns when CAA on a parent does not allow the ACME CA, before an order fails (real CAA records over DNS)', async () => {
    dns.setZone([...ZONE, { name: 'example.org', type: 'CAA', data: { flags: 0, tag: 'issue', value: 'sectigo.com' } }]);
    const forbids = byName(await run({ acmeCa: 'letsencrypt.org' })).caa;
    assert.equal(forbids.status, 'warning');
    assert.equal(forbids.code, 'caa.forbids');
    assert.match(forbids.message, /example\.org CAA 0 issue "letsencrypt\.org"/);
    assert.match(forbids.found, /example\.org CAA 0 issue "sectigo\.com"/);
    // mta-sts.example.org is a CNAME: its CAA is the one at the alias target (RFC 8659 section 3).
    dns.setZone([...ZONE, { name: 'mail.example.org', type: 'CAA', data: { flags: 0, tag: 'issue', value: 'letsencrypt.org; validationmethods=http-01' } }]);
    assert.equal(byName(await run({ acmeCa: 'letsencrypt.org' })).caa.code, 'caa.allows', 'the nearest record set decides');
    const unknown = byName(await run()).caa;
    assert.equal(unknown.code, 'caa.present', 'without a configured CA: the allowed issuers, as information');
    assert.equal(unknown.status, 'info');
  });

  it('tells what to add for a domain with nothing published yet', async () => {
    dns.setZone([]);
    const checks = byName(await run());
    assert.equal(checks['sts-txt'].status, 'error');
    assert.match(checks['sts-txt'].message, new RegExp(`"v=STSv1; id=${ID}"`));
    assert.equal(checks['sts-host'].status, 'error');
    assert.match(checks['sts-host'].message, /mta-sts\.example\.org CNAME mail\.example\.org/);
    assert.equal(checks.mx.status, 'warning');
    assert.equal(checks.tlsrpt.status, 'info');
    assert.equal(checks.https.status, 'error');
    assert.match(checks.https.message, /has no A or AAAA record/);
    assert.equal(checks['mx-tls'].status, 'warning');
  });

  describe('fetching the policy over HTTPS', () => {
    it('is an error when the certificate is for another name', async () => {
      web.setCertificate(certs.wrongName);
      const https = byName(await run()).https;
      assert.equal(https.status, 'error');
      assert.match(https.message, /not valid for mta-sts\.example\.org \(it covers www\.example\.org\)/);
    });

    it('is an error when the certificate has expired or is not trusted', async () => {
      web.setCertificate(certs.expired);
      assert.match(byName(await run()).https.message, /it expired on/);
      web.setCertificate(certs.untrusted);
      assert.match(byName(await run()).https.message, /not trusted: its issuer "Unknown CA"/);
    });

    it('is an error naming the target of a 301 redirect, which it does not follow', async () => {
      web.setHandler((_req, res) => res.writeHead(301, { Location: 'https://www.example.org/.well-known/mta-sts.txt' }).end());
      const https = byName(await run()).https;
      assert.equal(https.status, 'error');
      assert.match(https.message, /redirects \(HTTP 301\) to https:\/\/www\.example\.org\/\.well-known\/mta-sts\.txt/);
      assert.equal(web.requests.length, 1);
    });

    it('is an error for a content type other than text/plain', async () => {
      web.setHandler(servePolicy(renderPolicy(policy), 'text/html'));
      assert.match(byName(await run()).https.message, /served as "text\/html"/);
    });

    it('is an error when the body differs from the current policy', async () => {
      web.setHandler(servePolicy(renderPolicy({ ...policy, mode: 'testing' })));
      const https = byName(await run()).https;
      assert.equal(https.status, 'error');
      assert.match(https.message, /mode testing instead of enforce/);
    });

    it('expects a 404 while MTA-STS is inactive', async () => {
      policy = storedPolicy({ active: false });
      dns.setZone(ZONE.filter((r) => r.name !== '_mta-sts.example.org'));
      web.setHandler((_req, res) => res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n'));
      const checks = byName(await run());
      assert.deepEqual([checks['sts-txt'].status, checks.policy.status, checks.https.status], ['info', 'warning', 'info']);
      assert.match(checks.https.message, /answers 404, as expected/);
    });
  });

  describe('STARTTLS on the MX hosts', () => {
    it('without STARTTLS is an error in enforce mode and a warning in testing mode', async () => {
      smtp.set({ starttls: false });
      const enforce = byName(await run())['mx-tls'];
      assert.equal(enforce.status, 'error');
      assert.match(enforce.message, /Senders will refuse to deliver to mail\.example\.org.*does not offer STARTTLS/);
      policy = storedPolicy({ mode: 'testing' });
      web.setHandler(servePolicy(renderPolicy(policy)));
      assert.equal(byName(await run())['mx-tls'].status, 'warning');
    });

    it('is an error when the certificate does not fit the MX host name', async () => {
      smtp.set({ certificate: certs.wrongName });
      const mxTls = byName(await run())['mx-tls'];
      assert.equal(mxTls.status, 'error');
      assert.match(mxTls.found, /mail\.example\.org \(127\.0\.0\.1\): the certificate is not acceptable: it is not valid for mail\.example\.org/);
    });
  });

  it('refuses loopback addresses unless allowed, and says so in the https and mx-tls checks, in English and German', async () => {
    const english = byName(await run({ allowAddresses: [] }));
    assert.equal(web.requests.length, 0, 'no HTTPS request made');
    assert.deepEqual(smtp.commands, [], 'no SMTP session');
    assert.equal(english.https.status, 'error');
    assert.match(english.https.message, /127\.0\.0\.1 is not a public address .* so the check did not connect to it/);
    assert.match(english.https.message, /dnsCheck\.allowAddresses/);
    assert.equal(english['mx-tls'].status, 'error');
    assert.match(english['mx-tls'].message, /mail\.example\.org: 127\.0\.0\.1 is not a public address/);
    const german = byName(await run({ allowAddresses: undefined, locale: 'de' }));
    assert.match(german.https.message, /127\.0\.0\.1 ist keine öffentliche Adresse/);
    assert.match(german['mx-tls'].message, /mail\.example\.org: 127\.0\.0\.1 ist keine öffentliche Adresse/);
    assert.match(german['mx-tls'].message, /dnsCheck\.allowAddresses/);
  });

  it('does not throw for a bad allowAddresses entry: the probes fail naming it', async () => {
    const checks = byName(await run({ allowAddresses: ['127.0.0.0/8', 'not-a-range'] }));
    assert.equal(checks.https.status, 'error');
    assert.match(checks.https.message, /allowAddresses\[1\] must be an IPv4 or IPv6 CIDR range/);
    assert.match(checks['mx-tls'].message, /allowAddresses\[1\] must be an IPv4 or IPv6 CIDR range/);
  });

  it('runs neither probe when both are disabled', async () => {
    const checks = byName(await run({ https: { enabled: false }, smtp: { enabled: false } }));
    assert.deepEqual([checks.https.status, checks['mx-tls'].status], ['info', 'info']);
    assert.equal(checks.https.found, 'not run');
    assert.deepEqual([web.requests.length, smtp.commands.length], [0, 0]);
  });

  describe('when things break', () => {
    it('returns every check, with errors, within the resolver timeout when the resolver never answers', async () => {
      dns.setFault('drop');
      const started = Date.now();
      const result = await run({ resolver: resolver({ timeoutMs: 200 }) });
      const elapsed = Date.now() - started;
      assert.deepEqual(
        result.checks.map((c) => c.name),
        [...CHECK_NAMES],
      );
      assert.deepEqual(statuses(result), {
        'sts-txt': 'error',
        'sts-host': 'error',
        mx: 'error',
        tlsrpt: 'error',
        policy: 'ok',
        dane: 'info',
        https: 'error',
        'mx-tls': 'error',
        // Unknown CAA: a CA whose lookup fails the same way refuses the certificate.
        caa: 'error',
      });
      assert.match(byName(result)['sts-txt'].found, /did not answer within 200 ms/);
      assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    });

    it('turns a failing policy store or a throwing resolver into error checks instead of throwing', async () => {
      const throwing: Resolver = {
        servers: ['192.0.2.53:53'],
        timeoutMs: 100,
        lookup: () => {
          throw new Error('resolver exploded');
        },
      };
      const result = await run({ resolver: throwing, served: { ok: false, message: 'database is locked' } });
      assert.equal(result.checks.length, CHECK_NAMES.length);
      const checks = byName(result);
      assert.equal(checks.policy.status, 'error');
      assert.match(checks.policy.message, /database is locked/);
      assert.equal(checks['sts-txt'].status, 'error');
      assert.match(checks['sts-txt'].found, /resolver exploded/);
    });
  });

  describe('concurrency', () => {
    /** Wraps the resolver to log when each lookup starts and ends, optionally holding some back. */
    function observed(inner: Resolver, holdMs: Record<string, number> = {}) {
      const events: string[] = [];
      let outstanding = 0;
      let most = 0;
      const wrapped: Resolver = {
        servers: inner.servers,
        timeoutMs: inner.timeoutMs,
        async lookup<T extends RecordType>(name: string, type: T) {
          events.push(`start ${type} ${name}`);
          most = Math.max(most, ++outstanding);
          try {
            if (holdMs[name]) await new Promise((resolve) => setTimeout(resolve, holdMs[name]));
            return await inner.lookup(name, type);
          } finally {
            outstanding--;
            events.push(`end ${type} ${name}`);
          }
        },
      };
      return { wrapped, events, most: () => most };
    }

    it('starts every lookup that needs only the domain before any answer arrives', async () => {
      dns.setDelay(100);
      const probe = observed(resolver());
      await run({ resolver: probe.wrapped });
      const firstEnd = probe.events.findIndex((e) => e.startsWith('end'));
      // _mta-sts TXT, domain TXT, MX, _smtp._tls TXT, mta-sts CNAME/A/AAAA, mail host A/AAAA.
      assert.ok(firstEnd >= 9, `only ${firstEnd} lookups had started when the first answer came: ${probe.events.join(', ')}`);
      assert.ok(probe.most() >= 9, `at most ${probe.most()} lookups were outstanding at once`);
    });

    it('starts the per-MX-host lookups as soon as the MX answer arrives, not after the slowest lookup', async () => {
      const probe = observed(resolver(), { '_smtp._tls.example.org': 400 });
      await run({ resolver: probe.wrapped });
      const tlsa = probe.events.indexOf('start TLSA _25._tcp.mail.example.org');
      const slowEnd = probe.events.indexOf('end TXT _smtp._tls.example.org');
      assert.ok(tlsa >= 0 && tlsa < slowEnd, probe.events.join(', '));
    });

    it('looks each name and type up once, even when checks and probes share it', async () => {
      const probe = observed(resolver());
      await run({ resolver: probe.wrapped });
      const starts = probe.events.filter((e) => e.startsWith('start'));
      assert.deepEqual(
        starts.filter((e, i) => starts.indexOf(e) !== i),
        [],
      );
      // The HTTPS probe reuses the check's lookup of the policy host.
      assert.ok(starts.includes('start A mta-sts.example.org'));
    });

    it('takes about as long as its slowest chain, not the sum of its lookups', async () => {
      // Sequential lookups would take over 1 s here (10+ lookups x 100 ms); concurrent ones
      // need about three round trips (MX, then the MX host's TLSA, then the SMTP probe).
      dns.setDelay(100);
      const started = Date.now();
      await run();
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 900, `took ${elapsed} ms`);
    });
  });
});
