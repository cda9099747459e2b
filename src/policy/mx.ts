import { normalizeHost, toALabel } from './hostname';
import { Problem, problem } from './problems';
import { MAX_MX_ENTRIES } from './types';

export type MxParse = { ok: true; mx: string[] } | ({ ok: false } & Problem);

/**
 * Parses the "MX entries" field: entries separated by commas and/or whitespace (or given as an
 * array), each a host name or `*.` plus a host name. Entries come back as A-labels, lower case,
 * without trailing dot and without duplicates, in the order given.
 */
export function parseMxEntries(input: string | readonly string[]): MxParse {
  const raw = typeof input === 'string' ? input.split(/[\s,]+/) : input.flatMap((item) => item.split(/[\s,]+/));
  const entries = raw.map((item) => item.trim()).filter((item) => item !== '');
  const out: string[] = [];
  for (const entry of entries) {
    const pattern = normalizeMxPattern(entry);
    if (pattern === null) {
      return { ok: false, ...problem('field.mx.badEntry', { entry: shorten(entry) }) };
    }
    if (!out.includes(pattern)) out.push(pattern);
  }
  if (out.length > MAX_MX_ENTRIES) return { ok: false, ...problem('field.mx.tooMany', { max: MAX_MX_ENTRIES }) };
  return { ok: true, mx: out };
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
