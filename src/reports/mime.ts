// Finds the report in a TLS report mail (RFC 8460 section 5.3): `multipart/report;
// report-type=tlsrpt` with an `application/tlsrpt+gzip` or `application/tlsrpt+json` part. A
// small MIME reader, pure (no I/O): headers, multipart boundaries, base64 and quoted-printable,
// bounded in nesting, number of parts and header sizes. Linear in the size of the mail: headers
// and parameters are split by scanning for the first `:` / `=` / `;` (no backtracking regex), so
// a crafted mail from the published mailbox cannot hold the event loop (issue 18).

export type MimeProblemCode = 'mail.noHeader' | 'mail.noReport' | 'mail.tooComplex' | 'mail.headerTooLong';
export type ReportPart =
  { ok: true; body: Buffer; gzip: boolean; topType: string; reportType: string | null; filename: string | null } | { ok: false; code: MimeProblemCode };

const MAX_DEPTH = 4;
const MAX_PARTS = 50;
/**
 * The header block of one entity (the mail's own, or a part's). A report mail's top headers,
 * with a few hops of Received, DKIM-Signature and ARC fields, take 5 to 15 KiB; a part's take a
 * few hundred bytes. Beyond this the mail is refused (`mail.headerTooLong`), never read on.
 */
export const MAX_HEADER_BLOCK = 64 * 1024;
/** One header field, unfolded. RFC 5322 lines stop at 998 characters; a folded DKIM-Signature is about 1 KiB. */
const MAX_HEADER_FIELD = 16 * 1024;
/**
 * One `name=value` parameter of Content-Type or Content-Disposition. A boundary has at most 70
 * characters (RFC 2046 section 5.1.1); an RFC 8460 file name about 300 (two domains, two times).
 */
const MAX_PARAMETER = 1024;

interface Entity {
  headers: Map<string, string>;
  body: string; // latin1: one character per byte
}
type Read<T> = T | 'tooLong';

/** Where the header block ends (the first empty line, CRLF or LF) and the body starts; null: no empty line. */
function headerEnd(text: string, limit: number): { head: number; body: number } | null {
  let start = 0;
  while (start <= limit && start < text.length) {
    const newline = text.indexOf('\n', start);
    if (newline < 0) return null;
    const next = newline + 1;
    if (text.startsWith('\n', next)) return { head: newline + (text[newline - 1] === '\r' ? -1 : 0), body: next + 1 };
    if (text.startsWith('\r\n', next)) return { head: newline + (text[newline - 1] === '\r' ? -1 : 0), body: next + 2 };
    start = next;
  }
  return null;
}

/** Splits an entity (latin1 text) into unfolded headers (lower-case names, first wins) and body. */
function entity(text: string): Read<Entity | null> {
  const end = headerEnd(text, MAX_HEADER_BLOCK);
  if (end ? end.head > MAX_HEADER_BLOCK : text.length > MAX_HEADER_BLOCK) return 'tooLong';
  const head = end ? text.slice(0, end.head) : text;
  const body = end ? text.slice(end.body) : '';
  const headers = new Map<string, string>();
  // A field is its first line and the lines after it that start with a blank or tab (RFC 5322
  // 2.2.3), kept as offsets into `head` and cut out once: no string grows line by line.
  const add = (from: number, to: number): boolean => {
    if (to - from > MAX_HEADER_FIELD) return false;
    const field = head.slice(from, to);
    const colon = field.indexOf(':');
    if (colon <= 0) return true;
    const name = field.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name))
      headers.set(
        name,
        field
          .slice(colon + 1)
          .replace(/\r?\n[ \t]+/g, ' ')
          .trim(),
      );
    return true;
  };
  let fieldStart = 0;
  let lineStart = 0;
  while (lineStart < head.length) {
    const newline = head.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? head.length : newline;
    const next = newline < 0 ? head.length : newline + 1;
    const folded = head[lineStart] === ' ' || head[lineStart] === '\t';
    if (!folded) {
      if (lineStart > fieldStart && !add(fieldStart, lineStart)) return 'tooLong';
      fieldStart = lineStart;
    } else if (lineEnd - fieldStart > MAX_HEADER_FIELD) return 'tooLong';
    lineStart = next;
  }
  if (!add(fieldStart, head.length)) return 'tooLong';
  return headers.size > 0 || end ? { headers, body } : null;
}

/** The `;`-separated pieces of a header value; a `;` inside a quoted string does not count. */
function splitParameters(value: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ';') {
      pieces.push(value.slice(start, i));
      start = i + 1;
    }
  }
  pieces.push(value.slice(start));
  return pieces;
}

/** A quoted-string's content: the quotes removed, each `\x` read as `x`. */
function unquote(quoted: string): string {
  let out = '';
  for (let i = 1; i < quoted.length - 1; i++) out += quoted[i] === '\\' && i < quoted.length - 2 ? quoted[++i] : quoted[i];
  return out;
}

/**
 * `type/subtype; a=b; c="d"` → lower-case type and parameters (names lower-case, quotes removed);
 * `tooLong` when a parameter is longer than MAX_PARAMETER.
 */
export function contentType(value: string | undefined): Read<{ type: string; params: Map<string, string> }> {
  const params = new Map<string, string>();
  if (!value) return { type: 'text/plain', params };
  const [first, ...rest] = splitParameters(value);
  for (const part of rest) {
    if (part.length > MAX_PARAMETER) return 'tooLong';
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const v = part.slice(eq + 1).trim();
    params.set(part.slice(0, eq).trim().toLowerCase(), v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? unquote(v) : v);
  }
  return { type: first.trim().toLowerCase(), params };
}

const BASE64_ALPHABET = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') BASE64_ALPHABET[c.charCodeAt(0)] = 1;

/** Base64 with every character outside its alphabet skipped (line breaks, and whatever else was sent). */
function base64(body: string): Buffer {
  const bytes = Buffer.from(body, 'latin1');
  let kept = 0;
  for (const byte of bytes) if (BASE64_ALPHABET[byte] === 1) bytes[kept++] = byte;
  return Buffer.from(bytes.toString('latin1', 0, kept), 'base64');
}

/** A hex digit's value, or -1. */
function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** Quoted-printable (RFC 2045 section 6.7): `=XX` is a byte, `=` at a line end a soft break; one pass. */
function quotedPrintable(body: string): Buffer {
  const input = Buffer.from(body, 'latin1');
  const out = Buffer.alloc(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== 0x3d) out[n++] = c;
    else if (input[i + 1] === 0x0a) i += 1;
    else if (input[i + 1] === 0x0d && input[i + 2] === 0x0a) i += 2;
    else {
      const high = hexValue(input[i + 1]);
      const low = hexValue(input[i + 2]);
      if (high < 0 || low < 0) out[n++] = c;
      else {
        out[n++] = high * 16 + low;
        i += 2;
      }
    }
  }
  return out.subarray(0, n);
}

function decode(body: string, encoding: string | undefined): Buffer {
  const cte = (encoding ?? '7bit').trim().toLowerCase();
  if (cte === 'base64') return base64(body);
  if (cte === 'quoted-printable') return quotedPrintable(body);
  return Buffer.from(body, 'latin1');
}

/**
 * The parts of a multipart body: what lies between lines that start with `--boundary`. Found with
 * indexOf over the body, never line by line, so a body of short lines costs no more than a long one.
 */
function children(body: string, boundary: string): string[] {
  const parts: string[] = [];
  const delimiter = `--${boundary}`;
  let partStart = -1; // where the current part begins; -1 in the preamble or after a bad delimiter line
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    if (at > 0 && body[at - 1] !== '\n') {
      at = body.indexOf(delimiter, at + 1);
      continue;
    }
    const newline = body.indexOf('\n', at);
    const next = newline < 0 ? body.length : newline + 1;
    const rest = body.slice(at + delimiter.length, newline < 0 ? body.length : newline);
    // The line break before a delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
    if (partStart >= 0) parts.push(body.slice(partStart, Math.max(partStart, at - (body[at - 2] === '\r' ? 2 : 1))));
    if (rest.startsWith('--')) return parts;
    partStart = rest.trim() === '' ? next : -1;
    if (parts.length > MAX_PARTS) return parts;
    at = body.indexOf(delimiter, next);
  }
  if (partStart >= 0) parts.push(body.slice(partStart));
  return parts;
}

function isReportType(type: string, filename: string | null): boolean | 'gzip' {
  if (type === 'application/tlsrpt+gzip') return 'gzip';
  if (type === 'application/tlsrpt+json') return true;
  // Tolerated: generic types with the RFC 8460 section 5.1 file name extension.
  if (filename?.endsWith('.json.gz') && (type === 'application/gzip' || type === 'application/octet-stream' || type === 'application/x-gzip')) return 'gzip';
  if (filename?.endsWith('.json') && (type === 'application/json' || type === 'application/octet-stream')) return true;
  return false;
}

/** The report part of a raw TLS report mail, decoded; never throws. */
export function findReportPart(raw: Buffer): ReportPart {
  const top = entity(raw.toString('latin1'));
  if (top === 'tooLong') return { ok: false, code: 'mail.headerTooLong' };
  if (!top) return { ok: false, code: 'mail.noHeader' };
  const topCt = contentType(top.headers.get('content-type'));
  if (topCt === 'tooLong') return { ok: false, code: 'mail.headerTooLong' };
  let parts = 0;
  const search = (e: Entity, depth: number): ReportPart | null => {
    if (++parts > MAX_PARTS || depth > MAX_DEPTH) return { ok: false, code: 'mail.tooComplex' };
    const ct = contentType(e.headers.get('content-type'));
    const disposition = contentType(e.headers.get('content-disposition'));
    if (ct === 'tooLong' || disposition === 'tooLong') return { ok: false, code: 'mail.headerTooLong' };
    const filename = (disposition.params.get('filename') ?? ct.params.get('name') ?? null)?.toLowerCase() ?? null;
    const kind = isReportType(ct.type, filename);
    if (kind) {
      return {
        ok: true,
        body: decode(e.body, e.headers.get('content-transfer-encoding')),
        gzip: kind === 'gzip',
        topType: topCt.type,
        reportType: topCt.params.get('report-type') ?? null,
        filename,
      };
    }
    const boundary = ct.params.get('boundary');
    if (!ct.type.startsWith('multipart/') || !boundary) return null;
    for (const child of children(e.body, boundary)) {
      const found = entity(child);
      if (found === 'tooLong') return { ok: false, code: 'mail.headerTooLong' };
      const result = found ? search(found, depth + 1) : null;
      if (result) return result;
    }
    return null;
  };
  return search(top, 0) ?? { ok: false, code: 'mail.noReport' };
}
