// The TLS-RPT record (RFC 8460 section 3): pure grammar, no I/O.
// Linear in the record's length: fields are split without backtracking regular expressions (a
// `/[ \t]*;[ \t]*\/` split is quadratic on a long run of blanks; TXT records reach 64 KiB).
import { splitFields } from '../policy/parse';
/** What is wrong with a TLS-RPT record, for a verdict to say in words. */
export type TlsRptProblem =
  { code: 'prefix' } | { code: 'two-rua' } | { code: 'bad-uri'; uri: string } | { code: 'bad-field'; field: string } | { code: 'no-rua' };
/** A problem is a code with its values; the DNS Check says it in words. */
export type TlsRptParse = { ok: true; rua: string[] } | { ok: false; problem: TlsRptProblem };

/**
 * Parses a `_smtp._tls` TXT record by the RFC 8460 section 3 grammar: `v=TLSRPTv1` first
 * (case-sensitive), `;`-separated fields with optional spaces, exactly one `rua` holding one or
 * more comma-separated `mailto:` or `https:` URIs, extensions `name=value`, optional trailing `;`.
 */
export function parseTlsRptRecord(record: string): TlsRptParse {
  const fail = (problem: TlsRptProblem): TlsRptParse => ({ ok: false, problem });
  if (!/^v=TLSRPTv1[ \t]*;/.test(record)) return fail({ code: 'prefix' });
  const fields = splitFields(record, ';').slice(1);
  if (fields[fields.length - 1] === '') fields.pop();
  let rua: string[] | null = null;
  for (const field of fields) {
    if (field.startsWith('rua=')) {
      if (rua !== null) return fail({ code: 'two-rua' });
      rua = splitFields(field.slice(4), ',');
      const bad = rua.find((uri) => !isReportUri(uri));
      if (bad !== undefined) return fail({ code: 'bad-uri', uri: bad });
    } else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}=[\x21-\x3a\x3c\x3e-\x7e]+$/.test(field)) {
      return fail({ code: 'bad-field', field });
    }
  }
  if (rua === null) return fail({ code: 'no-rua' });
  return { ok: true, rua };
}

/** A `mailto:` address or an `https:` URL, as RFC 8460 section 3 allows in rua. */
export function isReportUri(uri: string): boolean {
  // RFC 8460 requires "," and "!" inside a URI to be percent-encoded, so neither may appear raw.
  if (/[\s,!]/.test(uri)) return false;
  if (uri.startsWith('mailto:')) return /^mailto:[^@]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/.test(uri);
  if (!uri.startsWith('https://')) return false;
  try {
    return new URL(uri).hostname !== '';
  } catch {
    return false;
  }
}
