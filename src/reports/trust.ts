// Which TLS reports may decide something (readiness for enforce, report alerts): anyone who reads
// a published rua can post a report claiming any organisation, so only a report whose origin is
// shown counts. The rule of a mailed report is here (pure); the rest is in the store's query.
//
// A mailed report is *signed and aligned* when its DKIM verdict is `pass` and the signing domain
// (d=) is aligned with the domain of the report's `contact-info` address, or with the domain of the
// mail's From (relaxed alignment, as mailauth computes it with the public suffix list). For the
// contact-info the relaxed rule is kept without the suffix list: the two names are equal, or one
// is a subdomain of the other, and the shorter has at least two labels (no bare TLD).

/** Names of known reporters a panel keeps at most, and the longest name (the organisation column). */
export const MAX_KNOWN_REPORTERS = 100;
export const MAX_REPORTER_NAME = 255;

/**
 * The domain of a report's contact-info: of an e-mail address (`mailto:` allowed) or of an
 * http(s) URL; null for anything else.
 */
export function contactDomain(contactInfo: string | null): string | null {
  if (contactInfo === null || contactInfo.length > 1000) return null;
  const value = contactInfo.trim().toLowerCase();
  let host: string | null = null;
  const at = value.lastIndexOf('@');
  if (/^https?:\/\//.test(value)) {
    try {
      host = new URL(value).hostname;
    } catch {
      host = null;
    }
  } else if (at > 0) {
    host = value.slice(at + 1).replace(/>$/, '');
  }
  if (host === null) return null;
  host = host.replace(/\.$/, '');
  return /^[a-z0-9_](?:[a-z0-9_-]{0,62}\.)*[a-z0-9-]{1,63}$/.test(host) && host.length <= 253 ? host : null;
}

/** Relaxed alignment without a suffix list: equal, or one a subdomain of the other whose shorter name has two labels or more. */
export function domainsAligned(a: string, b: string): boolean {
  const x = a.toLowerCase().replace(/\.$/, '');
  const y = b.toLowerCase().replace(/\.$/, '');
  if (x === '' || y === '') return false;
  if (x === y) return true;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  return short.includes('.') && long.endsWith(`.${short}`);
}

/**
 * The signing domain of a mailed report when it is signed and aligned (see above), else null.
 * `fromAligned`: mailauth's verdict that the passing signature is aligned with the From.
 */
export function alignedSigner(dkim: { result: string; domain: string | null; fromAligned?: boolean } | null, contactInfo: string | null): string | null {
  if (dkim === null || dkim.result !== 'pass' || dkim.domain === null) return null;
  const contact = contactDomain(contactInfo);
  if (dkim.fromAligned === true) return dkim.domain;
  return contact !== null && domainsAligned(dkim.domain, contact) ? dkim.domain : null;
}

export type ReporterNameProblem = 'empty' | 'too-long' | 'control' | 'too-many' | 'not-text';

/**
 * The known reporters a form or the API sends: a list (or one name per line), each name trimmed,
 * 1 to MAX_REPORTER_NAME characters without control characters, duplicates once, at most
 * MAX_KNOWN_REPORTERS. The problem names the position (from 0) of the first bad name.
 */
export function parseKnownReporters(input: unknown): { ok: true; names: string[] } | { ok: false; code: ReporterNameProblem; index: number } {
  const raw = typeof input === 'string' ? input.split('\n') : input;
  if (!Array.isArray(raw)) return { ok: false, code: 'not-text', index: 0 };
  const names: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const item: unknown = raw[i];
    if (typeof item !== 'string') return { ok: false, code: 'not-text', index: i };
    const name = item.replace(/\r$/, '').trim();
    if (name === '' && typeof input === 'string') continue;
    if (name === '') return { ok: false, code: 'empty', index: i };
    if (name.length > MAX_REPORTER_NAME) return { ok: false, code: 'too-long', index: i };
    if (/[\u0000-\u001f\u007f]/.test(name)) return { ok: false, code: 'control', index: i };
    if (!names.includes(name)) names.push(name);
    if (names.length > MAX_KNOWN_REPORTERS) return { ok: false, code: 'too-many', index: i };
  }
  return { ok: true, names };
}
