// What both network probes share: finding an address through the injected resolver (and
// refusing a special-purpose one), and a TLS handshake whose certificate problems come back in
// words rather than OpenSSL codes. The run with its deadline and socket slot is in run.ts.
import * as tls from 'node:tls';
import type { Resolver } from '../dns';
import type { SocketLimiter } from '../limiter';
import { AddressFilter, PUBLIC_ONLY } from './address';
import type { ProbeRun } from './run';

export { ProbeRun, connectTo, withDeadline } from './run';

export type CaOption = string | Buffer | Array<string | Buffer>;

/** Where a probe stopped; lets a verdict say what to fix. */
export type ProbeStage = 'dns' | 'address' | 'connect' | 'tls' | 'certificate' | 'protocol' | 'timeout' | 'internal';
/**
 * Machine codes for the failures a verdict words itself (in every language) rather than quoting
 * the probe's English message: `not-public` (a special-purpose address, not connected to),
 * `too-much-data` (the server sent more than the probe reads), `too-many-lines` (an SMTP reply
 * of more lines than any real server sends), `not-smtp` (no SMTP greeting).
 */
export type ProbeFailureCode = 'not-public' | 'too-much-data' | 'too-many-lines' | 'not-smtp';
export interface ProbeFailure {
  stage: ProbeStage;
  message: string;
  code?: ProbeFailureCode;
  address?: string;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** The DNS names in subjectAltName, which is what senders match (never the CN). */
  names: string[];
  validFrom: string; // ISO 8601
  validTo: string; // ISO 8601
}

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/** How a host configures a probe; `port` and `ca` exist so tests can aim it at local servers. */
export interface ProbeSettings {
  enabled?: boolean;
  port?: number;
  ca?: CaOption;
  timeoutMs?: number;
}

/** What every probe shares with the others of its plugin instance. */
export interface ProbeNetwork {
  /** Which addresses may be connected to; default: public unicast only. */
  addresses?: AddressFilter;
  /** Or the special-purpose ranges (CIDRs) to allow besides public addresses; ignored with `addresses`. */
  allowAddresses?: readonly string[];
  /** Caps sockets in flight across every probe and lookup of the plugin instance; default: none. */
  limiter?: SocketLimiter;
}

/** The filter a probe's options ask for. */
export function addressFilterOf(network: ProbeNetwork): AddressFilter {
  if (network.addresses instanceof AddressFilter) return network.addresses;
  return Array.isArray(network.allowAddresses) && network.allowAddresses.length > 0 ? new AddressFilter(network.allowAddresses) : PUBLIC_ONLY;
}

export function notPublic(address: string): ProbeFailure {
  return {
    stage: 'address',
    code: 'not-public',
    address,
    message: `${address} is not a public address (loopback, private, link-local or otherwise special-purpose), so the check does not connect to it; senders on the internet cannot reach it either`,
  };
}
export interface SmtpProbeSettings extends ProbeSettings {
  /** The name sent in EHLO; defaults to `mailHostname`, as the panel usually runs on the mail host. */
  ehloName?: string;
}

/**
 * A then AAAA, as RFC 8461 senders do for the policy host; both asked at once to save time. The
 * address comes back only when `addresses` permits it; the probe then connects to exactly that
 * IP (never to the name again, which Node would resolve anew, perhaps to another address).
 */
export async function resolveAddress(
  resolver: Resolver,
  host: string,
  addresses: AddressFilter = PUBLIC_ONLY,
): Promise<{ ok: true; address: string } | { ok: false; message: string; failure?: ProbeFailure }> {
  const a = resolver.lookup(host, 'A');
  const aaaa = resolver.lookup(host, 'AAAA');
  const pick = (address: string) =>
    addresses.permits(address) ? { ok: true as const, address } : { ok: false as const, message: '', failure: notPublic(address) };
  const v4 = await a;
  if (v4.ok) return pick(v4.records[0]);
  const v6 = await aaaa;
  if (v6.ok) return pick(v6.records[0]);
  const unknown = [v4, v6].find((r) => !r.ok && r.failure !== 'nxdomain' && r.failure !== 'nodata');
  if (unknown === undefined || unknown.ok) return { ok: false, message: `${host} has no A or AAAA record` };
  return { ok: false, message: `${host} could not be resolved: ${unknown.message}` };
}

export function connectError(err: NodeJS.ErrnoException, target: string): string {
  if (err.code === 'ECONNREFUSED') return `connection to ${target} was refused: nothing listens there`;
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return `${target} is unreachable from this server`;
  if (err.code === 'ECONNRESET') return `${target} closed the connection`;
  return `could not connect to ${target}: ${err.message}`;
}

/**
 * The certificates the handshake ended with, leaf first, as DER: what the DANE check compares its
 * TLSA records with. Bounded: a chain longer than this is cut (real ones have two to four).
 */
export const MAX_CHAIN_CERTIFICATES = 8;

export type Handshake =
  | { ok: true; socket: tls.TLSSocket; tlsVersion: string; certificate: CertificateInfo; chain: Buffer[] }
  | { ok: false; failure: ProbeFailure; tlsVersion?: string; certificate?: CertificateInfo; chain?: Buffer[] };

/**
 * A TLS 1.2+ handshake that checks the certificate for `name` the way senders do, but without
 * letting Node abort on the first problem, so that every problem can be named.
 */
export function secureHandshake(run: ProbeRun, options: tls.ConnectionOptions, name: string, ca: CaOption | undefined): Promise<Handshake> {
  run.stage = 'in the TLS handshake';
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Handshake) => {
      if (!settled) resolve(outcome);
      settled = true;
    };
    const socket = run.track(tls.connect({ ...options, servername: name, ca, minVersion: 'TLSv1.2', rejectUnauthorized: false }));
    socket.on('error', (err: NodeJS.ErrnoException) => settle({ ok: false, failure: { stage: 'tls', message: tlsError(err) } }));
    socket.on('close', () => settle({ ok: false, failure: { stage: 'tls', message: 'the server closed the connection during the TLS handshake' } }));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      const tlsVersion = socket.getProtocol() ?? 'unknown';
      if (!peer || Object.keys(peer).length === 0) {
        return settle({ ok: false, tlsVersion, failure: { stage: 'certificate', message: 'the server presented no certificate' } });
      }
      const certificate = certificateInfo(peer);
      const chain = peerChain(socket);
      const problems = certificateProblems(socket, name, peer, certificate);
      if (problems.length > 0) {
        return settle({
          ok: false,
          tlsVersion,
          certificate,
          chain,
          failure: { stage: 'certificate', message: `the certificate is not acceptable: ${problems.join('; ')}` },
        });
      }
      settle({ ok: true, socket, tlsVersion, certificate, chain });
    });
  });
}

/** The chain as DER, leaf first; a self-signed certificate names itself as issuer, so repeats end it. */
function peerChain(socket: tls.TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && Buffer.isBuffer(cert.raw) && chain.length < MAX_CHAIN_CERTIFICATES && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return chain;
}

export function certificateInfo(peer: tls.PeerCertificate): CertificateInfo {
  const names = (peer.subjectaltname ?? '')
    .split(/,\s*/)
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4));
  const label = (entity: tls.Certificate | undefined) => String(entity?.CN ?? entity?.O ?? 'unknown');
  return { subject: label(peer.subject), issuer: label(peer.issuer), names, validFrom: isoDate(peer.valid_from), validTo: isoDate(peer.valid_to) };
}

const UNTRUSTED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
]);

// The problems name the certificate's issuer and DNS names: the admin needs them to fix a wrong
// certificate. They never leak anything from inside the panel's network, because a probe
// connects only to public addresses, or to ranges the admin opted in with
// `dnsCheck.allowAddresses`; a host that fails the address filter is never connected to at all.
function certificateProblems(socket: tls.TLSSocket, name: string, peer: tls.PeerCertificate, info: CertificateInfo): string[] {
  const problems: string[] = [];
  // Node types this as an Error but sets the OpenSSL code string.
  const raw: unknown = socket.authorized ? null : socket.authorizationError;
  const code = typeof raw === 'string' ? raw : raw instanceof Error ? ((raw as NodeJS.ErrnoException).code ?? raw.message) : null;
  // OpenSSL reports one problem only; the dates are checked here too so an expired certificate
  // that is also untrusted says both.
  const now = Date.now();
  if (code === 'CERT_HAS_EXPIRED' || Date.parse(info.validTo) < now) problems.push(`it expired on ${info.validTo.slice(0, 10)}`);
  else if (code === 'CERT_NOT_YET_VALID' || Date.parse(info.validFrom) > now) problems.push(`it is not valid before ${info.validFrom.slice(0, 10)}`);
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') problems.push('it is self-signed, so senders do not trust it');
  else if (code !== null && UNTRUSTED.has(code))
    problems.push(
      `it is not trusted: its issuer "${info.issuer}" is not a known certificate authority, or the server does not send the intermediate certificate`,
    );
  else if (code !== null && !['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID'].includes(code))
    problems.push(`it was rejected (${code})`);
  if (tls.checkServerIdentity(name, peer) !== undefined) {
    problems.push(`it is not valid for ${name} (it covers ${info.names.length > 0 ? info.names.join(', ') : 'no DNS names'})`);
  }
  return problems;
}

function tlsError(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  if (/UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|NO_PROTOCOLS/.test(code)) return 'the server does not support TLS 1.2 or later, which senders require';
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG/.test(code)) return 'the server did not answer with TLS (is it plain text on this port?)';
  if (code === 'ECONNRESET') return 'the server closed the connection during the TLS handshake';
  return `the TLS handshake failed: ${err.message}`;
}

function isoDate(text: string | undefined): string {
  const time = text === undefined ? NaN : Date.parse(text);
  return Number.isNaN(time) ? '' : new Date(time).toISOString();
}
