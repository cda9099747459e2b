// Finds the report in a TLS report mail (RFC 8460 section 5.3): `multipart/report;
// report-type=tlsrpt` with an `application/tlsrpt+gzip` or `application/tlsrpt+json` part. A
// small MIME reader, pure (no I/O): headers, multipart boundaries, base64 and quoted-printable,
// bounded in nesting and number of parts.

export type MimeProblemCode = 'mail.noHeader' | 'mail.noReport' | 'mail.tooComplex';
export type ReportPart =
  { ok: true; body: Buffer; gzip: boolean; topType: string; reportType: string | null; filename: string | null } | { ok: false; code: MimeProblemCode };

const MAX_DEPTH = 4;
const MAX_PARTS = 50;

interface Entity {
  headers: Map<string, string>;
  body: string; // latin1: one character per byte
}

/** Splits an entity (latin1 text) into unfolded headers (lower-case names, first wins) and body. */
function entity(text: string): Entity | null {
  const m = /\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const body = m ? text.slice(m.index + m[0].length) : '';
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers.size > 0 || m ? { headers, body } : null;
}

/** `type/subtype; a=b; c="d"` → lower-case type and parameters (names lower-case, quotes removed). */
export function contentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  if (!value) return { type: 'text/plain', params };
  const parts = value.match(/(?:[^;"]|"(?:[^"\\]|\\.)*")+/g) ?? [];
  const type = (parts.shift() ?? '').trim().toLowerCase();
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params.set(part.slice(0, eq).trim().toLowerCase(), v);
  }
  return { type, params };
}

function decode(body: string, encoding: string | undefined): Buffer {
  const cte = (encoding ?? '7bit').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') {
    const text = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(text, 'latin1');
  }
  return Buffer.from(body, 'latin1');
}

function children(body: string, boundary: string): string[] {
  const parts: string[] = [];
  const delimiter = `--${boundary}`;
  const lines = body.split(/\r?\n/);
  let current: string[] | null = null;
  for (const line of lines) {
    if (line.startsWith(delimiter)) {
      const rest = line.slice(delimiter.length);
      if (current) parts.push(current.join('\r\n'));
      if (rest.startsWith('--')) return parts;
      current = rest.trim() === '' ? [] : null;
      if (parts.length > MAX_PARTS) return parts;
    } else if (current) current.push(line);
  }
  if (current) parts.push(current.join('\r\n'));
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
  if (!top) return { ok: false, code: 'mail.noHeader' };
  const topCt = contentType(top.headers.get('content-type'));
  let parts = 0;
  const search = (e: Entity, depth: number): ReportPart | null => {
    if (++parts > MAX_PARTS || depth > MAX_DEPTH) return { ok: false, code: 'mail.tooComplex' };
    const ct = contentType(e.headers.get('content-type'));
    const disposition = contentType(e.headers.get('content-disposition'));
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
      const result = found ? search(found, depth + 1) : null;
      if (result) return result;
    }
    return null;
  };
  return search(top, 0) ?? { ok: false, code: 'mail.noReport' };
}
