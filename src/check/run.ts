// Runs the DNS Check: every lookup and probe at once, then one verdict per check, in a fixed
// order. It never throws and never waits on anything without a deadline, so a dead resolver or
// a silent server yields a complete result with errors rather than a hang.
import type { Locale } from '../i18n';
import { sayCheck } from '../i18n/check-text';
import { within } from '../deadline';
import { normalizeHost, type StoredPolicy } from '../policy';
import { AddressFilter, PUBLIC_ONLY, probeHttps, probeMxTls, type ProbeNetwork, type ProbeSettings, type SmtpProbeSettings } from '../probes';
import type { LookupResult, RecordType, Resolver } from '../dns';
import { SocketLimiter } from '../limiter';
import { failedCheck, lookupFailureText, type Check, type CheckName, type Verdict } from './verdicts/kit';
import { mxCheck, mxHosts, stsHostCheck, stsTxtCheck } from './verdicts/records';
import { daneCheck, tlsrptCheck } from './verdicts/related';
import { httpsCheck, mxTlsCheck, policyCheck, type AcmeOrderState, type ServedPolicy } from './verdicts/delivery';
import { caaCheck, caaNames } from './verdicts/caa';

export interface DnsCheckInput {
  /** A-label. */
  domain: string;
  /** The current stored policy (id null until first saved). */
  policy: StoredPolicy;
  /** What `mta-sts.<domain>` must CNAME to. */
  mailHostname: string;
  /** The policy text exactly as the well-known route serves it; null when nothing is served. */
  servedPolicy: () => Promise<string | null>;
  resolver: Resolver;
  https?: ProbeSettings;
  smtp?: SmtpProbeSettings;
  now?: () => Date;
  /** The language of the expected/found texts and messages; default English (as the JSON API speaks). */
  locale?: Locale;
  /**
   * Address ranges the probes may connect to although they are special-purpose (loopback,
   * private, ...): CIDR strings, or a filter built from them. Default: public addresses only.
   */
  allowAddresses?: readonly string[] | AddressFilter;
  /**
   * Caps the sockets (DNS queries and probe connections) in flight. The plugin passes one shared
   * by all its checks; without one, this check gets its own of DEFAULT_MAX_SOCKETS.
   */
  limiter?: SocketLimiter;
  /**
   * The issuer domain of the ACME CA that orders the certificate of mta-sts.<domain>
   * (`letsencrypt.org`): the CAA check then says whether CAA allows it. Optional.
   */
  acmeCa?: string | null;
  /** The built-in ACME client's last order for mta-sts.<domain>, when it is on (shown by `https`). */
  acme?: () => Promise<AcmeOrderState | null>;
  /** The TLS report addresses configured in the panel, compared with the published `_smtp._tls` record; absent when none are. */
  rua?: readonly string[] | null;
}

/**
 * MX hosts looked up (TLSA) and probed (STARTTLS) at most, best preference first. Real domains
 * have one to a handful; a zone listing 1,400 made one check send 2,315 queries and open 736
 * connections. The rest are reported as not checked.
 */
export const MAX_MX_HOSTS = 20;

export interface DnsCheckResult {
  domain: string;
  id: string | null;
  checkedAt: string;
  checks: Check[];
}

/** `servedPolicy()` reads the plugin's own store; this bounds it so a stuck database cannot hang the check. */
const SERVED_POLICY_TIMEOUT_MS = 10_000;

export async function runDnsCheck(input: DnsCheckInput): Promise<DnsCheckResult> {
  const now = currentTime(input.now);
  const locale = input.locale ?? 'en';
  const settle = (name: CheckName, verdict: () => Promise<Verdict>) => settleCheck(name, verdict, locale);
  const { policy } = input;
  const domain = normalizeHost(String(input.domain ?? ''));
  const mailHostname = normalizeHost(String(input.mailHostname ?? ''));
  const limiter = input.limiter instanceof SocketLimiter ? input.limiter : new SocketLimiter();
  const network = probeNetwork(input.allowAddresses, limiter);
  const dns = sharedLookups(input.resolver, limiter);
  const httpsOn = input.https?.enabled !== false;
  const smtpOn = input.smtp?.enabled !== false;

  // First wave: everything that needs only the domain. The policy host's A/AAAA are shared with
  // the HTTPS probe through `dns`, so they are asked once.
  const stsTxt = dns.lookup(`_mta-sts.${domain}`, 'TXT');
  const apexTxt = dns.lookup(domain, 'TXT');
  const host = {
    cname: dns.lookup(`mta-sts.${domain}`, 'CNAME'),
    a: dns.lookup(`mta-sts.${domain}`, 'A'),
    aaaa: dns.lookup(`mta-sts.${domain}`, 'AAAA'),
    mailA: dns.lookup(mailHostname, 'A'),
    mailAaaa: dns.lookup(mailHostname, 'AAAA'),
  };
  const mx = dns.lookup(domain, 'MX');
  const tlsrpt = dns.lookup(`_smtp._tls.${domain}`, 'TXT');
  const caa = Promise.all(caaNames(domain).map((name) => dns.lookup(name, 'CAA')));
  // The MX hosts are nearly always the policy's own MX entries (and the mail host): ask their
  // TLSA records, and their addresses for the STARTTLS probe, now rather than after the MX
  // answer, so that the check takes one round of lookups instead of two. The second wave below
  // reuses these answers; those for a name the MX answer does not list go unused.
  for (const name of likelyMxHosts(policy, mailHostname)) {
    void dns.lookup(`_25._tcp.${name}`, 'TLSA');
    if (smtpOn) {
      void dns.lookup(name, 'A');
      void dns.lookup(name, 'AAAA');
    }
  }
  const served = quiet(readServed(input.servedPolicy));
  const acme = quiet(readAcme(input.acme));
  const web = input.https ?? {};
  const https = quiet(
    httpsOn ? probeHttps({ resolver: dns, domain, port: web.port, ca: web.ca, timeoutMs: web.timeoutMs, ...network }) : Promise.resolve(null),
  );

  // Second wave: per MX host, started the moment the MX answer arrives; the best MAX_MX_HOSTS only.
  const allHosts = quiet(mx.then(mxHosts));
  const hosts = quiet(allHosts.then((names) => names.slice(0, MAX_MX_HOSTS)));
  const unchecked = quiet(allHosts.then((names) => names.slice(MAX_MX_HOSTS)));
  const tlsa = quiet(hosts.then((names) => Promise.all(names.map((name) => dns.lookup(`_25._tcp.${name}`, 'TLSA')))));
  const smtp = input.smtp ?? {};
  const mxTls = quiet(
    smtpOn
      ? hosts.then((names) =>
          Promise.all(
            names.map((name) =>
              probeMxTls({
                resolver: dns,
                host: name,
                ehloName: smtp.ehloName ?? mailHostname,
                port: smtp.port,
                ca: smtp.ca,
                timeoutMs: smtp.timeoutMs,
                ...network,
              }),
            ),
          ),
        )
      : Promise.resolve(null),
  );

  const checks = await Promise.all([
    settle('sts-txt', async () => {
      const [record, apex] = await Promise.all([stsTxt, apexTxt]);
      return stsTxtCheck({ domain, policy, record, apex });
    }),
    settle('sts-host', async () => {
      const [cname, a, aaaa, mailA, mailAaaa] = await Promise.all([host.cname, host.a, host.aaaa, host.mailA, host.mailAaaa]);
      return stsHostCheck({ domain, mailHostname, cname, a, aaaa, mailA, mailAaaa });
    }),
    settle('mx', async () => mxCheck({ domain, policy, mailHostname, mx: await mx })),
    settle('tlsrpt', async () => tlsrptCheck({ domain, record: await tlsrpt, configured: input.rua ?? null })),
    settle('policy', async () => policyCheck({ domain, policy, served: await served })),
    settle('dane', async () => {
      const [answer, names, records, rest] = await Promise.all([mx, hosts, tlsa, unchecked]);
      const mxFailure = !answer.ok && answer.failure !== 'nxdomain' && answer.failure !== 'nodata' ? lookupFailureText(answer) : undefined;
      return daneCheck({ hosts: names, tlsa: records, mxFailure, unchecked: rest });
    }),
    settle('https', async () => httpsCheck({ domain, policy, probe: await https, now, acme: await acme })),
    settle('mx-tls', async () => {
      const [answer, probes, rest] = await Promise.all([mx, mxTls, unchecked]);
      return mxTlsCheck({ domain, policy, mx: answer, probes, now, unchecked: rest });
    }),
    settle('caa', async () => caaCheck({ domain, lookups: await caa, acmeCa: input.acmeCa ?? null })),
  ]);
  return { domain, id: policy?.id ?? null, checkedAt: now.toISOString(), checks };
}

/**
 * The probes' shared settings. A bad allow list must not make the check throw: the probes then
 * get it as it is, and each fails with the TypeError naming the bad entry.
 */
function probeNetwork(allow: DnsCheckInput['allowAddresses'], limiter: SocketLimiter): ProbeNetwork {
  if (allow instanceof AddressFilter) return { addresses: allow, limiter };
  if (!Array.isArray(allow) || allow.length === 0) return { addresses: PUBLIC_ONLY, limiter };
  try {
    return { addresses: new AddressFilter(allow), limiter };
  } catch {
    return { allowAddresses: allow, limiter };
  }
}

/** At most this many names are asked ahead of the MX answer. */
const LIKELY_MX_HOSTS = 4;

/** The exact (non-wildcard) MX entries of the policy, then the mail host. */
function likelyMxHosts(policy: StoredPolicy | undefined, mailHostname: string): string[] {
  const names = Array.isArray(policy?.mx) ? policy.mx.filter((entry) => typeof entry === 'string' && !entry.startsWith('*')).map(normalizeHost) : [];
  if (mailHostname !== '') names.push(mailHostname);
  return [...new Set(names)].filter((name) => name !== '').slice(0, LIKELY_MX_HOSTS);
}

/** The verdict said in `locale`; any exception in it becomes an error for that check alone. */
function settleCheck(name: CheckName, verdict: () => Promise<Verdict>, locale: Locale): Promise<Check> {
  return Promise.resolve()
    .then(verdict)
    .then((v) => sayCheck(locale, v))
    .catch((err: unknown) => sayCheck(locale, failedCheck(name, err)));
}

/**
 * Marks a promise as handled at once. Its consumers attach later (after the promises they await
 * before it), and a rejection without a handler in between would crash Node.
 */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/**
 * One lookup per name and type for the whole check, and never a rejection. Each lookup holds one
 * socket slot while it runs (a lookup uses one socket at a time); the probes take their own slot
 * only after their lookups, so no holder ever waits for a second slot and the limiter cannot
 * deadlock.
 */
function sharedLookups(resolver: Resolver, limiter: SocketLimiter): Resolver {
  const started = new Map<string, Promise<LookupResult<RecordType>>>();
  const lookup = <T extends RecordType>(name: string, type: T): Promise<LookupResult<T>> => {
    const key = `${type} ${normalizeHost(name)}`;
    let pending = started.get(key);
    if (pending === undefined) {
      pending = Promise.resolve()
        .then(() => limiter.run(() => resolver.lookup(name, type)))
        .catch((err: unknown): LookupResult<RecordType> => ({
          ok: false,
          name,
          type,
          failure: 'error',
          cnames: [],
          message: `lookup of ${name} ${type} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
        }));
      started.set(key, pending);
    }
    return pending as Promise<LookupResult<T>>;
  };
  return { servers: resolver?.servers ?? [], timeoutMs: resolver?.timeoutMs ?? 0, lookup };
}

/** The ACME state is a side note: a slow or failing read leaves it out. */
async function readAcme(read: DnsCheckInput['acme']): Promise<AcmeOrderState | null> {
  if (!read) return null;
  try {
    return await within(Promise.resolve().then(read), SERVED_POLICY_TIMEOUT_MS, () => null);
  } catch {
    return null;
  }
}

async function readServed(read: () => Promise<string | null>): Promise<ServedPolicy> {
  try {
    const text: unknown = await within(Promise.resolve().then(read), SERVED_POLICY_TIMEOUT_MS, () => {
      throw new Error(`the policy store gave no answer within ${SERVED_POLICY_TIMEOUT_MS / 1000} s`);
    });
    if (text !== null && typeof text !== 'string') return { ok: false, message: 'the policy store returned neither text nor nothing' };
    return { ok: true, text };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

function currentTime(now: (() => Date) | undefined): Date {
  try {
    const value = now ? now() : new Date();
    return value instanceof Date && !Number.isNaN(value.getTime()) ? value : new Date();
  } catch {
    return new Date();
  }
}
