// Certificates and TLSA records for the DANE tests: a real chain from the test CA (made with the
// openssl CLI), as the STARTTLS probe receives it (leaf first, DER), and the records that match it.
import { createHash, X509Certificate } from 'node:crypto';
import type { LookupResult, TlsaRecord } from '../../src/dns';
import { answer } from './lookups';
import { createTestCa, type Issued } from './tls';

export interface DaneChain {
  /** Leaf first, then the CA, as DER. */
  chain: Buffer[];
  issued: Issued;
  caCert: string;
  /** `usage selector matchingType` records of the leaf (3) and of the CA (2). */
  record(usage: 2 | 3, selector: 0 | 1, matchingType: 0 | 1 | 2): TlsaRecord;
}

let cached: Map<string, DaneChain> | undefined;

/** A chain for `names` from its own CA; made once per name list and test run. */
export function daneChain(names: string[] = ['mail.example.org']): DaneChain {
  cached ??= new Map();
  const key = names.join(',');
  const known = cached.get(key);
  if (known) return known;
  const ca = createTestCa(`DANE Test CA ${cached.size}`);
  try {
    const issued = ca.issue(names);
    const leaf = new X509Certificate(issued.cert);
    const root = new X509Certificate(ca.cert);
    const made: DaneChain = {
      chain: [leaf.raw, root.raw],
      issued,
      caCert: ca.cert,
      record: (usage, selector, matchingType) => tlsaOf(usage === 3 ? leaf : root, usage, selector, matchingType),
    };
    cached.set(key, made);
    return made;
  } finally {
    ca.dispose();
  }
}

/** The TLSA record of `cert`, written independently of the code under test (openssl-made DER, plain hashes). */
export function tlsaOf(cert: X509Certificate, usage: number, selector: number, matchingType: number): TlsaRecord {
  const selected = selector === 0 ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
  const data =
    matchingType === 0
      ? selected
      : createHash(matchingType === 1 ? 'sha256' : 'sha512')
          .update(selected)
          .digest();
  return { usage, selector, matchingType, data: data.toString('hex') };
}

/** A TLSA answer as the resolver gives it, with what it said about DNSSEC. */
export function tlsaAnswer(host: string, records: TlsaRecord[], dnssec?: { authenticated: boolean; signed: boolean }): LookupResult<'TLSA'> {
  const result = answer(`_25._tcp.${host}`, 'TLSA', records);
  return dnssec === undefined || !result.ok ? result : { ...result, dnssec };
}
