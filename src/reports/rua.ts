// The rua list an admin configures for a domain's `_smtp._tls` record (RFC 8460 section 3): pure.
import { isReportUri } from './record';

export const MAX_RUA = 5;
/** The record's characters at most: one DNS TXT record of a few strings, kept readable. */
export const MAX_RECORD_LENGTH = 1000;

export type RuaProblemCode = 'field.rua.notList' | 'field.rua.badUri' | 'field.rua.tooMany' | 'field.rua.tooLong';
export type RuaParse = { ok: true; rua: string[] } | { ok: false; code: RuaProblemCode; params: Record<string, string | number> };

/**
 * Reads a rua list from a form (one text, URIs separated by commas, spaces or lines) or JSON (an
 * array of strings, or the same text). Duplicates are dropped; an empty list turns reporting off.
 */
export function parseRuaInput(input: unknown): RuaParse {
  let items: string[];
  if (typeof input === 'string') items = input.split(/[\s,]+/);
  else if (Array.isArray(input) && input.every((u) => typeof u === 'string')) items = input.map((u: string) => u.trim());
  else return { ok: false, code: 'field.rua.notList', params: {} };
  const rua = [...new Set(items.filter((u) => u !== ''))];
  if (rua.length > MAX_RUA) return { ok: false, code: 'field.rua.tooMany', params: { max: MAX_RUA } };
  const bad = rua.find((uri) => uri.length > 500 || !isReportUri(uri));
  if (bad !== undefined) return { ok: false, code: 'field.rua.badUri', params: { uri: bad.slice(0, 100) } };
  if (tlsRptRecord(rua).length > MAX_RECORD_LENGTH) return { ok: false, code: 'field.rua.tooLong', params: { max: MAX_RECORD_LENGTH } };
  return { ok: true, rua };
}

/** The `_smtp._tls` TXT value for a rua list. */
export function tlsRptRecord(rua: readonly string[]): string {
  return `v=TLSRPTv1; rua=${rua.join(',')}`;
}
