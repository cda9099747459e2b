// DKIM of a mailed TLS report, verified by mailauth through the plugin's own resolver: mailauth
// asks a node:dns-style function (`resolve(name, 'TXT')` → arrays of strings, errors with
// ENOTFOUND/ENODATA codes); this adapts our Resolver, whose lookups never reject, to it.
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import type { Resolver } from '../dns';
import type { Logger } from '../logger';

/** What the DKIM check needs of a resolver: TXT lookups. */
export type TxtResolver = Pick<Resolver, 'lookup'>;

/** The stored verdict: `pass` with the signing domain, or why not (`none` when unsigned). */
export interface DkimOutcome {
  result: 'pass' | 'fail' | 'neutral' | 'temperror' | 'permerror' | 'policy' | 'none';
  domain: string | null;
}

const RESULTS = new Set<DkimOutcome['result']>(['pass', 'fail', 'neutral', 'temperror', 'permerror', 'policy', 'none']);

/** Our Resolver as the DNS function mailauth calls. Only TXT is needed for DKIM keys. */
export function mailauthResolver(resolver: TxtResolver): (name: string, type: string) => Promise<string[][]> {
  return async (name, type) => {
    const fail = (code: string, message: string) => Object.assign(new Error(message), { code });
    if (type !== 'TXT') throw fail('ENOTIMP', `${type} lookups are not supported here`);
    const answer = await resolver.lookup(name, 'TXT');
    if (answer.ok) return answer.records.map((record) => [record]);
    if (answer.failure === 'nxdomain') throw fail('ENOTFOUND', answer.message);
    if (answer.failure === 'nodata') throw fail('ENODATA', answer.message);
    // SERVFAIL, timeouts and the like: mailauth reports them as temperror.
    throw fail('ETIMEOUT', answer.message);
  };
}

/** Verifies the message's DKIM signatures; the best one decides. Never rejects. */
export async function verifyDkim(message: Buffer, resolver: TxtResolver, logger: Logger): Promise<DkimOutcome> {
  try {
    const verified = await dkimVerify(message, { resolver: mailauthResolver(resolver) });
    const results = verified.results ?? [];
    const pass = results.find((r) => r.status?.result === 'pass');
    const chosen = pass ?? results[0];
    if (!chosen) return { result: 'none', domain: null };
    const result = String(chosen.status?.result ?? 'none') as DkimOutcome['result'];
    return { result: RESULTS.has(result) ? result : 'neutral', domain: chosen.signingDomain ? String(chosen.signingDomain).toLowerCase() : null };
  } catch (err) {
    logger.warn('DKIM verification of a TLS report failed', err);
    return { result: 'temperror', domain: null };
  }
}
