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

/** A DNS name as compared on the wire and in answers (the resolver's rule too): see ../names.ts. */
export { normalizeHost } from '../names';

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

/** What a Host header value is: not RFC 9110 syntax (400), or a host that may name a policy. */
export type HostHeader = { valid: false } | { valid: true; name: string | null };

// RFC 3986 reg-name characters besides pct-encoded: unreserved and sub-delims (ASCII only).
const REG_NAME_CHARS = new Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=");
// Inside "[...]": IPv6 (hex, ":" and "." for an IPv4 tail) or IPvFuture ("v", unreserved, sub-delims, ":").
const IP_LITERAL_CHARS = new Set([...REG_NAME_CHARS, ':']);
const HEX = new Set('0123456789abcdefABCDEF');

/**
 * Reads a Host header value strictly (RFC 9110 section 7.2: `uri-host [ ":" port ]`, port all
 * digits), in one linear pass without regular expressions that could backtrack. Anything else
 * (a space, "/", "\\", "@", a second ":" outside brackets, a bad %-escape) is `valid: false`,
 * which the policy route answers with 400, never with a policy.
 *
 * Non-ASCII is not part of RFC 3986's reg-name, but some senders put a U-label there; it is read
 * only when every such label is exactly what IDNA maps back from its A-label (apart from case),
 * so that characters the mapping silently drops (a soft hyphen) or rewrites (`ª` to "a") never
 * select a policy. `name` is the A-label host name (lower case, trailing dot dropped), or null for
 * a syntactically valid host that is no host name (an IP address, a %-escape, `_`).
 */
export function parseHostHeader(header: string | undefined): HostHeader {
  if (header === undefined) return { valid: false };
  // HTTP strips blanks around a field value; Node's parser normally has already.
  let start = 0;
  let end = header.length;
  while (start < end && (header[start] === ' ' || header[start] === '\t')) start++;
  while (end > start && (header[end - 1] === ' ' || header[end - 1] === '\t')) end--;
  if (start === end) return { valid: false };
  let hostEnd = end;
  if (header[start] === '[') {
    const close = header.indexOf(']', start);
    if (close === -1 || close === start + 1) return { valid: false };
    for (let i = start + 1; i < close; i++) if (!IP_LITERAL_CHARS.has(header[i])) return { valid: false };
    hostEnd = close + 1;
    if (hostEnd < end && header[hostEnd] !== ':') return { valid: false };
  } else {
    const colon = header.lastIndexOf(':', end - 1);
    if (colon >= start) hostEnd = colon;
  }
  // The port: ":" and digits only (RFC 3986 allows none at all; such a port serves nothing here).
  if (hostEnd < end) {
    for (let i = hostEnd + 1; i < end; i++) if (header.charCodeAt(i) < 48 || header.charCodeAt(i) > 57) return { valid: false };
  }
  if (header[start] === '[') return { valid: true, name: null };
  const port = hostEnd < end ? header.slice(hostEnd + 1, end) : null;
  const host = header.slice(start, hostEnd);
  let escaped = false;
  let unicode = false;
  for (let i = 0; i < host.length; i++) {
    const c = host[i];
    if (c === '%') {
      if (!HEX.has(host[i + 1] ?? '') || !HEX.has(host[i + 2] ?? '')) return { valid: false };
      escaped = true;
      i += 2;
    } else if (host.charCodeAt(i) >= 0x80) unicode = true;
    else if (!REG_NAME_CHARS.has(c)) return { valid: false };
  }
  if (unicode && !host.split('.').every(mapsToItself)) return { valid: false };
  const portOk = port === null || (port.length >= 1 && port.length <= 5 && Number(port) <= 65535);
  // One trailing dot is the root; a second would be an empty label ("example.org..").
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (escaped || !portOk || host.length > 300 || name === '' || name.endsWith('.')) return { valid: true, name: null };
  return { valid: true, name: toALabel(name) };
}

/** True for an ASCII label, or a Unicode label that IDNA maps to an A-label and back unchanged (apart from case). */
function mapsToItself(label: string): boolean {
  if (/^[\x00-\x7f]*$/.test(label)) return true;
  const ascii = domainToASCII(label);
  return ascii !== '' && !ascii.includes('.') && domainToUnicode(ascii) === label.toLowerCase();
}

/**
 * Reads a Host header value the way a sender presents it: any case, an optional port and an
 * optional trailing dot. Returns the A-label host name, or null for anything else (invalid
 * syntax, IP literals, user info, garbage). See parseHostHeader.
 */
export function hostFromHeader(header: string | undefined): string | null {
  const parsed = parseHostHeader(header);
  return parsed.valid ? parsed.name : null;
}
