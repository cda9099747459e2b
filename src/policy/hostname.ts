import { domainToASCII, domainToUnicode } from 'node:url';

// One LDH label: letters, digits, hyphens inside, 1-63 characters (RFC 1035/1123).
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * Converts a host name typed by a person or found in a database to its canonical A-label form:
 * lower case, no trailing dot, Unicode labels as `xn--` (UTS 46, via Node's WHATWG URL code).
 * Returns null when the result is not a valid LDH host name of at least two labels.
 */
export function toALabel(input: string): string | null {
  let name = input.trim();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '' || name.length > 1024) return null;
  if (!ASCII_ONLY.test(name)) {
    // Only non-ASCII names go through the URL host parser: for ASCII it would also accept
    // and rewrite IPv4 shorthands such as "0x7f.1", which are not host names.
    const ascii = domainToASCII(name);
    if (ascii === '') return null;
    name = ascii;
  }
  name = name.toLowerCase();
  if (!isHostName(name)) return null;
  // An A-label must decode to valid Unicode ("xn--zz" does not); the URL parser checks that.
  if (name.includes('xn--') && domainToASCII(name) !== name) return null;
  return name;
}

/**
 * A DNS name as compared on the wire and in answers: trimmed, lower case, no trailing dot. No
 * validation (answers may hold anything); see toALabel for that.
 */
export function normalizeHost(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** True for a lower-case LDH host name of 2+ labels, at most 253 characters, not an IP address. */
export function isHostName(name: string): boolean {
  if (name.length > 253) return false;
  const labels = name.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((label) => LABEL.test(label))) return false;
  // An all-numeric last label would make it an IPv4 literal, not a name.
  return !/^[0-9]+$/.test(labels[labels.length - 1]);
}

/** The Unicode form of an A-label name, for display; the input itself when it has none. */
export function toULabel(name: string): string {
  const unicode = domainToUnicode(name);
  return unicode === '' ? name : unicode;
}

/**
 * Reads a Host header value the way a sender presents it: any case, an optional port and an
 * optional trailing dot. Returns the A-label host name, or null for anything else (IP literals,
 * user info, garbage).
 */
export function hostFromHeader(header: string | undefined): string | null {
  if (!header || header.length > 300) return null;
  const match = /^([^:[\]]+?)\.?(?::(\d{1,5}))?$/.exec(header.trim());
  if (!match || (match[2] !== undefined && Number(match[2]) > 65535)) return null;
  // One trailing dot is the root; a second would be an empty label ("example.org..").
  if (match[1].endsWith('.')) return null;
  return toALabel(match[1]);
}
