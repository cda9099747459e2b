import { domainToASCII } from 'node:url';
import { normalizeHost, toALabel } from './hostname';
import { Problem, problem } from './problems';
import { MAX_MX_ENTRIES } from './types';

/** On failure: every problem, one per bad entry, and the first of them spread for callers that say one. */
export type MxParse = { ok: true; mx: string[] } | ({ ok: false; problems: Problem[] } & Problem);

/**
 * Parses the "MX entries" field: entries separated by commas and/or whitespace (or given as an
 * array), each a host name or `*.` plus a host name. Entries come back as A-labels, lower case,
 * without trailing dot and without duplicates, in the order given.
 */
export function parseMxEntries(input: string | readonly string[]): MxParse {
  const raw = typeof input === 'string' ? input.split(/[\s,]+/) : input.flatMap((item) => item.split(/[\s,]+/));
  const entries = raw.map((item) => item.trim()).filter((item) => item !== '');
  const out: string[] = [];
  const problems: Problem[] = [];
  for (const entry of entries) {
    const pattern = normalizeMxPattern(entry);
    if (pattern === null) {
      // Every bad entry is named, each with its own reason, not just the first.
      if (problems.length < MAX_MX_ENTRIES) problems.push(mxEntryProblem(entry));
    } else if (!out.includes(pattern)) out.push(pattern);
  }
  if (problems.length === 0 && out.length > MAX_MX_ENTRIES) problems.push(problem('field.mx.tooMany', { max: MAX_MX_ENTRIES }));
  return problems.length > 0 ? { ok: false, problems, ...problems[0] } : { ok: true, mx: out };
}

// Shapes of mistakes, each tested on a short string (entries are split on blanks and commas, and
// mxEntryProblem caps the length first): none of these can backtrack far.
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
// The first run stops before the first colon, so the two runs cannot trade characters.
const IPV6 = /^\[?[0-9a-f.]*:[0-9a-f:.]*\]?$/i;

/**
 * Why an entry normalizeMxPattern refused is not an MX pattern, in the order an admin would fix
 * it: an address or URL first (the wrong kind of thing), then wildcard placement, empty labels,
 * lengths, and a wildcard directly under a top-level domain (RFC 8461 section 10.4 warns against
 * overly broad patterns). Anything else is the generic "not a valid MX entry".
 */
export function mxEntryProblem(raw: string): Problem {
  const entry = raw.trim();
  const params = { entry: shorten(entry) };
  if (entry.length > 1024) return problem('field.mx.nameTooLong', params);
  const withoutPort = entry.replace(/:\d{1,5}$/, '');
  if (IPV4.test(withoutPort) || (IPV6.test(entry) && entry.split(':').length > 2)) return problem('field.mx.ipAddress', params);
  if (/[/?#@]/.test(entry) || entry.includes(':')) return problem('field.mx.url', params);
  const stars = entry.split('*').length - 1;
  if (stars > 1 || (stars === 1 && !entry.startsWith('*.'))) return problem('field.mx.wildcard', params);
  const wildcard = stars === 1;
  const name = (wildcard ? entry.slice(2) : entry).replace(/\.$/, '');
  const labels = name.split('.');
  if (name === '' || labels.some((label) => label === '')) return problem(wildcard && name === '' ? 'field.mx.wildcard' : 'field.mx.emptyLabel', params);
  // Lengths count in A-labels, as DNS does.
  const ascii = labels.map((label) => (/^[\x00-\x7f]*$/.test(label) ? label : domainToASCII(label) || label));
  if (ascii.join('.').length > 253) return problem('field.mx.nameTooLong', params);
  if (ascii.some((label) => label.length > 63)) return problem('field.mx.labelTooLong', params);
  if (wildcard && labels.length === 1 && toALabel(`x.${name}`) !== null) return problem('field.mx.broadWildcard', params);
  return problem('field.mx.badEntry', params);
}

/** One MX pattern in canonical form, or null when it is not a valid pattern. */
export function normalizeMxPattern(entry: string): string | null {
  const trimmed = entry.trim();
  if (trimmed.startsWith('*.')) {
    const rest = toALabel(trimmed.slice(2));
    return rest === null ? null : `*.${rest}`;
  }
  return toALabel(trimmed);
}

/**
 * RFC 8461 section 4.1: case-insensitive, trailing dot ignored, and a wildcard `*.` matches
 * exactly one extra leftmost label (`*.example.org` matches `mx1.example.org`, not `example.org`
 * and not `a.b.example.org`). Not a suffix match.
 */
export function mxMatches(pattern: string, host: string): boolean {
  const p = normalizeHost(pattern);
  const h = normalizeHost(host);
  if (!p.startsWith('*.')) return p === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

/** The MX hosts that no MX entry matches (RFC 8461 section 4.1 matching). */
export function uncoveredHosts(hosts: readonly string[], patterns: readonly string[]): string[] {
  return hosts.filter((h) => !patterns.some((p) => mxMatches(p, h)));
}

/** The MX entries that match none of the MX hosts: likely left over. */
export function staleEntries(patterns: readonly string[], hosts: readonly string[]): string[] {
  return patterns.filter((p) => !hosts.some((h) => mxMatches(p, h)));
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
