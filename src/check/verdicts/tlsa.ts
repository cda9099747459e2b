// DANE for SMTP (RFC 7672, RFC 7671): TLSA records compared with the certificate chain an MX host
// presented in its STARTTLS handshake. Pure: no sockets, no clock (DANE-EE ignores dates and names
// by design, RFC 7672 section 3.1.1), only node:crypto over the bytes the probe received.
import { createHash, X509Certificate } from 'node:crypto';
import type { TlsaRecord } from '../../dns';

/** Why a TLSA record cannot be used by an SMTP sender; `null` for a usable one. */
export type TlsaProblem =
  /** Usage 0 (PKIX-TA) or 1 (PKIX-EE): RFC 7672 section 3.1.3 says SMTP senders treat them as unusable. */
  | 'pkix'
  /** A usage, selector or matching type outside the registries. */
  | 'unknown-parameters'
  /** Data that is not hex, or of the wrong length for its matching type. */
  | 'malformed';

/** Bytes of the data per matching type: SHA-256 and SHA-512 digests have a fixed size. */
const DIGEST_BYTES: Readonly<Record<number, number>> = { 1: 32, 2: 64 };
/** A full certificate or key (matching type 0) this large is not a real one; such data is not compared. */
const MAX_EXACT_BYTES = 16 * 1024;

export function tlsaProblem(record: TlsaRecord): TlsaProblem | null {
  if (record.usage === 0 || record.usage === 1) return 'pkix';
  if (![2, 3].includes(record.usage) || ![0, 1].includes(record.selector) || ![0, 1, 2].includes(record.matchingType)) return 'unknown-parameters';
  const hex = record.data;
  if (typeof hex !== 'string' || hex.length === 0 || hex.length % 2 !== 0 || hex.length > 2 * MAX_EXACT_BYTES || !/^[\da-f]+$/i.test(hex)) {
    return 'malformed';
  }
  const size = DIGEST_BYTES[record.matchingType];
  if (size !== undefined && hex.length !== 2 * size) return 'malformed';
  return null;
}

/** The bytes a record of this selector and matching type holds for `cert`. */
export function tlsaData(cert: X509Certificate, selector: number, matchingType: number): Buffer {
  const selected = selector === 0 ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
  if (matchingType === 1) return createHash('sha256').update(selected).digest();
  if (matchingType === 2) return createHash('sha512').update(selected).digest();
  return selected;
}

export type TlsaOutcome =
  /** A usable record matches the chain. */
  | 'match'
  /** Usable records exist, none matches: DANE senders do not deliver. */
  | 'mismatch'
  /** Records exist, none usable: DANE senders fall back to unauthenticated TLS. */
  | 'unusable';

export interface TlsaComparison {
  outcome: TlsaOutcome;
  /** The usable records that matched, as `usage selector type`. */
  matched: string[];
  /** Each unusable record's reason, in the order of the records. */
  problems: TlsaProblem[];
  /** A DANE-EE record of the full certificate (`3 0 x`): it changes with every renewal. */
  fullCertificate: boolean;
  /** The only usable record is one `3 1 x`: no second record is ready for the next key. */
  singleKey: boolean;
  /** The record that would match the presented leaf (`3 1 1 <sha-256 of its key>`), when there is a leaf. */
  suggestion: string | null;
}

/**
 * Compares the TLSA records of one MX host with the chain it presented, leaf first (DER). DANE-EE
 * (usage 3) matches the leaf only. DANE-TA (usage 2) matches a certificate above the leaf, and
 * only when the chain from the leaf up to it is signed link by link and the leaf is valid for the
 * MX host name (RFC 7672 section 3.2.2).
 */
export function compareTlsa(host: string, records: readonly TlsaRecord[], chainDer: readonly Buffer[]): TlsaComparison {
  const chain = parseChain(chainDer);
  const problems: TlsaProblem[] = [];
  const usable = records.filter((record) => {
    const problem = tlsaProblem(record);
    if (problem !== null) problems.push(problem);
    return problem === null;
  });
  const matched = usable.filter((record) => matches(host, record, chain)).map((r) => `${r.usage} ${r.selector} ${r.matchingType}`);
  const outcome: TlsaOutcome = usable.length === 0 ? 'unusable' : matched.length > 0 ? 'match' : 'mismatch';
  const leaf = chain[0];
  return {
    outcome,
    matched,
    problems,
    fullCertificate: usable.some((r) => r.usage === 3 && r.selector === 0),
    singleKey: usable.length === 1 && usable[0].usage === 3 && usable[0].selector === 1,
    suggestion: leaf === undefined ? null : `3 1 1 ${tlsaData(leaf, 1, 1).toString('hex')}`,
  };
}

/** The certificates that parse, in order; the chain ends at the first that does not. */
function parseChain(chainDer: readonly Buffer[]): X509Certificate[] {
  const chain: X509Certificate[] = [];
  for (const der of chainDer) {
    try {
      chain.push(new X509Certificate(der));
    } catch {
      break;
    }
  }
  return chain;
}

function matches(host: string, record: TlsaRecord, chain: readonly X509Certificate[]): boolean {
  const wanted = Buffer.from(record.data, 'hex');
  const holds = (cert: X509Certificate) => tlsaData(cert, record.selector, record.matchingType).equals(wanted);
  if (record.usage === 3) return chain[0] !== undefined && holds(chain[0]);
  // DANE-TA: the anchor is above the leaf, every link below it must be signed by the next.
  const leaf = chain[0];
  if (leaf === undefined || leaf.checkHost(host) === undefined) return false;
  for (let i = 1; i < chain.length; i++) {
    if (!signedBy(chain[i - 1], chain[i])) return false;
    if (holds(chain[i])) return true;
  }
  return false;
}

function signedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
