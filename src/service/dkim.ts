// DKIM of a mailed TLS report, verified by mailauth through the plugin's own resolver: mailauth
// asks a node:dns-style function (`resolve(name, 'TXT')` → arrays of strings, errors with
// ENOTFOUND/ENODATA codes); this adapts our Resolver, whose lookups never reject, to it.
//
// The mail comes from anyone who reads the published rua, so the work is bounded before mailauth
// sees it (issue 18): at most MAX_DKIM_SIGNATURES signatures (each costs a key lookup and a body
// hash), one deadline for the whole message, and a header block mailauth's own parser handles in
// linear time (its header splitter is quadratic in continuation lines and in runs of bare CRs).
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import type { Resolver } from '../dns';
import type { Logger } from '../logger';
import { MAX_HEADER_BLOCK } from '../reports';

/** What the DKIM check needs of a resolver: TXT lookups. */
export type TxtResolver = Pick<Resolver, 'lookup'>;

/** The stored verdict: `pass` with the signing domain, or why not (`none` when unsigned). */
export interface DkimOutcome {
  result: 'pass' | 'fail' | 'neutral' | 'temperror' | 'permerror' | 'policy' | 'none';
  domain: string | null;
  /** Whether the chosen signature's d= is aligned with the mail's From (relaxed, mailauth's public suffix rule). */
  fromAligned?: boolean;
}

const RESULTS = new Set<DkimOutcome['result']>(['pass', 'fail', 'neutral', 'temperror', 'permerror', 'policy', 'none']);

/**
 * DKIM-Signature fields verified per message, the first ones in the header (the newest). A report
 * is signed once by its sender, and a forwarder or two may add theirs; more is an attack.
 */
export const MAX_DKIM_SIGNATURES = 3;
/**
 * One deadline for verifying a message: its three key lookups at the resolver's defaults (2 s,
 * one retry) fit, a sender whose DNS does not answer costs no more. Past it: `temperror`.
 */
export const DKIM_DEADLINE_MS = 10_000;
/** Physical header lines at most (a report mail has 30 to 200): mailauth's splitter is quadratic in them. */
const MAX_HEADER_LINES = 1000;

type Prepared = { ok: true; message: Buffer; signatures: number } | { ok: false; reason: string };

/**
 * The message as mailauth may see it: DKIM-Signature fields beyond the first MAX_DKIM_SIGNATURES
 * dropped, every other byte as it was. Refused (DKIM `permerror`) when the header block is longer
 * than the report-mail reader allows, has more than MAX_HEADER_LINES lines, or holds a bare CR
 * (RFC 5322 allows CR only before LF). One pass over the header block, none over the body.
 */
export function prepareForDkim(message: Buffer): Prepared {
  const kept: Buffer[] = [];
  let signatures = 0;
  let dropping = false;
  let lines = 0;
  let pos = 0;
  for (;;) {
    if (pos > MAX_HEADER_BLOCK) return { ok: false, reason: `a header block over ${MAX_HEADER_BLOCK / 1024} KiB` };
    const newline = message.indexOf(0x0a, pos);
    const end = newline < 0 ? message.length : newline + 1;
    const line = message.subarray(pos, end);
    const bare = line.indexOf(0x0d);
    if (bare >= 0 && bare < line.length - 2) return { ok: false, reason: 'a bare CR in the header' };
    if (bare >= 0 && bare === line.length - 1 && newline >= 0) return { ok: false, reason: 'a bare CR in the header' };
    const blank = line.length === 0 || line[0] === 0x0a || (line[0] === 0x0d && line[1] === 0x0a);
    if (blank) break; // the end of the header block (or of the message): the rest is kept as it is
    if (++lines > MAX_HEADER_LINES) return { ok: false, reason: `more than ${MAX_HEADER_LINES} header lines` };
    if (line[0] !== 0x20 && line[0] !== 0x09) {
      const colon = line.indexOf(0x3a);
      const name = colon > 0 ? line.toString('latin1', 0, colon).trim().toLowerCase() : '';
      dropping = name === 'dkim-signature' && ++signatures > MAX_DKIM_SIGNATURES;
    }
    if (!dropping) kept.push(line);
    pos = end;
  }
  if (signatures <= MAX_DKIM_SIGNATURES) return { ok: true, message, signatures };
  kept.push(message.subarray(pos));
  return { ok: true, message: Buffer.concat(kept), signatures: MAX_DKIM_SIGNATURES };
}

/** Our Resolver as the DNS function mailauth calls. Only TXT is needed for DKIM keys. */
export function mailauthResolver(resolver: TxtResolver, deadline = Infinity): (name: string, type: string) => Promise<string[][]> {
  return async (name, type) => {
    const fail = (code: string, message: string) => Object.assign(new Error(message), { code });
    if (type !== 'TXT') throw fail('ENOTIMP', `${type} lookups are not supported here`);
    // Past the message's deadline its verdict is given: no more lookups for it.
    if (Date.now() >= deadline) throw fail('ETIMEOUT', 'the DKIM deadline of the message has passed');
    const answer = await resolver.lookup(name, 'TXT');
    if (answer.ok) return answer.records.map((record) => [record]);
    if (answer.failure === 'nxdomain') throw fail('ENOTFOUND', answer.message);
    if (answer.failure === 'nodata') throw fail('ENODATA', answer.message);
    // SERVFAIL, timeouts and the like: mailauth reports them as temperror.
    throw fail('ETIMEOUT', answer.message);
  };
}

/**
 * Verifies the message's DKIM signatures (the first MAX_DKIM_SIGNATURES of them); the best one
 * decides. `temperror` when `deadlineMs` passes first. Never rejects.
 */
export async function verifyDkim(message: Buffer, resolver: TxtResolver, logger: Logger, deadlineMs = DKIM_DEADLINE_MS): Promise<DkimOutcome> {
  const prepared = prepareForDkim(message);
  if (!prepared.ok) {
    logger.warn(`DKIM of a TLS report not verified: ${prepared.reason}`);
    return { result: 'permerror', domain: null };
  }
  if (prepared.signatures === 0) return { result: 'none', domain: null };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<DkimOutcome>((resolve) => {
    timer = setTimeout(() => {
      logger.warn(`DKIM verification of a TLS report took longer than ${deadlineMs} ms; marked temperror`);
      resolve({ result: 'temperror', domain: null });
    }, deadlineMs);
  });
  try {
    return await Promise.race([verify(prepared.message, mailauthResolver(resolver, Date.now() + deadlineMs), logger), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function verify(message: Buffer, resolve: (name: string, type: string) => Promise<string[][]>, logger: Logger): Promise<DkimOutcome> {
  try {
    const verified = await dkimVerify(message, { resolver: resolve });
    const results = verified.results ?? [];
    // A passing signature aligned with the From first, then any passing one.
    const pass = results.find((r) => r.status?.result === 'pass' && Boolean(r.status.aligned)) ?? results.find((r) => r.status?.result === 'pass');
    const chosen = pass ?? results[0];
    if (!chosen) return { result: 'none', domain: null };
    const result = String(chosen.status?.result ?? 'none') as DkimOutcome['result'];
    return {
      result: RESULTS.has(result) ? result : 'neutral',
      domain: chosen.signingDomain ? String(chosen.signingDomain).toLowerCase() : null,
      fromAligned: Boolean(chosen.status?.aligned),
    };
  } catch (err) {
    logger.warn('DKIM verification of a TLS report failed', err);
    return { result: 'temperror', domain: null };
  }
}
