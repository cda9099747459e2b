// Runs the DNS Check: every lookup and probe at once, then one verdict per check, in a fixed
// order. It never throws and never waits on anything without a deadline, so a dead resolver or
// a silent server yields a complete result with errors rather than a hang. It reads nothing of the
// plugin's own: the caller gathers the served policy text and the ACME state first and passes
// them as values. Its verdicts are not in any language; the edge says them (src/render/check.ts).
import { normalizeHost, type StoredPolicy } from '../policy';
import { AddressFilter, PUBLIC_ONLY, probeHttps, probeMxTls, type ProbeNetwork, type ProbeSettings, type SmtpProbeSettings } from '../probes';
import type { LookupResult, RecordType, Resolver } from '../dns';
import { SocketLimiter } from '../limiter';
import { failedCheck, lookupFailureText, type CheckName, type Text, type Verdict } from './verdicts/kit';
import { mxCheck, mxHosts, stsHostCheck, stsTxtCheck } from './verdicts/records';
import { tlsrptCheck } from './verdicts/related';
import { daneCheck } from './verdicts/dane';
import { httpsCheck, mxTlsCheck, policyCheck, type AcmeOrderState, type ServedPolicy } from './verdicts/delivery';
import { caaCheck, caaNames } from './verdicts/caa';
import { policyHostName, stsTxtName, tlsRptName, type Delegation } from '../policy/records';

export interface DnsCheckInput {
  /** A-label. */
  domain: string;
  /** The current stored policy (id null until first saved). */
  policy: StoredPolicy;
  /** What `mta-sts.<domain>` must CNAME to. */
  mailHostname: string;
  /** The policy text exactly as the well-known route serves it (text null when nothing is served), or why it could not be read. */
  served: ServedPolicy;
  resolver: Resolver;
  https?: ProbeSettings;
  smtp?: SmtpProbeSettings;
  now?: () => Date;
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
  acme?: AcmeOrderState | null;
  /**
   * The answer to `<domain> MX` when the caller has asked it already (the tab shows the MX hosts
   * beside the check's verdicts): the check uses it instead of asking again.
   */
  mx?: Promise<LookupResult<'MX'>>;
  /** CNAME delegation: `_mta-sts.<domain>` must CNAME into its zone, and `mta-sts.<domain>` to its policy host instead of the mail host. */
  delegation?: Delegation | null;
  /** The TLS report addresses configured in the panel, compared with the published `_smtp._tls` record; absent when none are. */
  rua?: readonly string[] | null;
}

/**
 * MX hosts looked up (TLSA) and probed (STARTTLS) at most, best preference first. Real domains
 * have one to a handful; a zone listing 1,400 made one check send 2,315 queries and open 736
 * connections. The rest are reported as not checked.
 */
export const MAX_MX_HOSTS = 20;

/**
 * One DNS Check: its verdicts in CHECK_NAMES order. `runDnsCheck` gives them as Text
 * (`DnsCheckResult<Text>`); said in a language (the default type argument) it is what the API,
 * the CLI and the factory's `dnsCheck` answer.
 */
export interface DnsCheckResult<T extends Text = string> {
  domain: string;
  id: string | null;
  checkedAt: string;
  checks: Verdict<T>[];
}

export async function runDnsCheck(input: DnsCheckInput): Promise<DnsCheckResult<Text>> {
  const now = currentTime(input.now);
  const { policy } = input;
  const domain = normalizeHost(String(input.domain ?? ''));
  const mailHostname = normalizeHost(String(input.mailHostname ?? ''));
  const delegation = input.delegation ?? null;
  // What mta-sts.<domain> must point to: the panel's policy host when delegated, else the mail host.
  const policyTarget = delegation ? normalizeHost(delegation.policyHost) : mailHostname;
  const limiter = input.limiter instanceof SocketLimiter ? input.limiter : new SocketLimiter();
  const network = probeNetwork(input.allowAddresses, limiter);
  const dns = sharedLookups(input.resolver, limiter);
  const httpsOn = input.https?.enabled !== false;
  const smtpOn = input.smtp?.enabled !== false;

  // First wave: everything that needs only the domain. The policy host's A/AAAA are shared with
  // the HTTPS probe through `dns`, so they are asked once.
  const stsTxt = dns.lookup(stsTxtName(domain), 'TXT');
  const apexTxt = dns.lookup(domain, 'TXT');
  const host = {
    cname: dns.lookup(policyHostName(domain), 'CNAME'),
    a: dns.lookup(policyHostName(domain), 'A'),
    aaaa: dns.lookup(policyHostName(domain), 'AAAA'),
    mailA: dns.lookup(policyTarget, 'A'),
    mailAaaa: dns.lookup(policyTarget, 'AAAA'),
  };
  const mx = input.mx ? quiet(input.mx.catch((err: unknown) => lookupError(domain, 'MX', err))) : dns.lookup(domain, 'MX');
  const tlsrpt = dns.lookup(tlsRptName(domain), 'TXT');
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
  const served = servedOrError(input.served);
  const acme = input.acme ?? null;
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
      return stsTxtCheck({ domain, policy, record, apex, delegationZone: delegation?.zone ?? null });
    }),
    settle('sts-host', async () => {
      const [cname, a, aaaa, mailA, mailAaaa] = await Promise.all([host.cname, host.a, host.aaaa, host.mailA, host.mailAaaa]);
      return stsHostCheck({ domain, mailHostname: policyTarget, cname, a, aaaa, mailA, mailAaaa });
    }),
    settle('mx', async () => mxCheck({ domain, policy, mailHostname, mx: await mx })),
    settle('tlsrpt', async () => tlsrptCheck({ domain, record: await tlsrpt, configured: input.rua ?? null })),
    settle('policy', async () => policyCheck({ domain, policy, served })),
    settle('dane', async () => {
      // The probes' chains are what TLSA records are compared with: DANE waits for them too.
      const [answer, names, records, rest, probes] = await Promise.all([mx, hosts, tlsa, unchecked, mxTls]);
      const mxFailure = !answer.ok && answer.failure !== 'nxdomain' && answer.failure !== 'nodata' ? lookupFailureText(answer) : undefined;
      return daneCheck({ hosts: names, tlsa: records, probes, mxFailure, unchecked: rest });
    }),
    settle('https', async () => httpsCheck({ domain, policy, probe: await https, now, acme })),
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

/** The verdict; any exception in it becomes an error for that check alone. */
function settle(name: CheckName, verdict: () => Promise<Verdict>): Promise<Verdict> {
  return Promise.resolve()
    .then(verdict)
    .catch((err: unknown) => failedCheck(name, err));
}

/** A served text that is neither text nor null (a caller outside TypeScript) is said as unreadable. */
function servedOrError(served: ServedPolicy | undefined): ServedPolicy {
  if (served && served.ok === true && (served.text === null || typeof served.text === 'string')) return served;
  if (served && served.ok === false && typeof served.message === 'string') return served;
  return { ok: false, message: 'the policy store returned neither text nor nothing' };
}

function lookupError<T extends RecordType>(name: string, type: T, err: unknown): LookupResult<T> {
  return {
    ok: false,
    name,
    type,
    failure: 'error',
    cnames: [],
    message: `lookup of ${name} ${type} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`,
  };
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
        .catch((err: unknown): LookupResult<RecordType> => lookupError(name, type, err));
      started.set(key, pending);
    }
    return pending as Promise<LookupResult<T>>;
  };
  return { servers: resolver?.servers ?? [], timeoutMs: resolver?.timeoutMs ?? 0, lookup };
}

function currentTime(now: (() => Date) | undefined): Date {
  try {
    const value = now ? now() : new Date();
    return value instanceof Date && !Number.isNaN(value.getTime()) ? value : new Date();
  } catch {
    return new Date();
  }
}
