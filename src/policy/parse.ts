import { normalizeMxPattern } from './mx';
import { Problem, problem } from './problems';
import { MAX_AGE_LIMIT, MODES, Mode } from './types';

export interface ParsedPolicy {
  version: string;
  mode: Mode;
  mx: string[];
  maxAge: number;
}

export type PolicyParse = { ok: true; policy: ParsedPolicy } | { ok: false; errors: Problem[] };

/**
 * Parses a policy body as a sender would (RFC 8461 section 3.2): `key: value` lines ending in
 * CRLF or LF; unknown keys ignored; for keys other than `mx` the first occurrence counts.
 */
export function parsePolicy(text: string): PolicyParse {
  const errors: Problem[] = [];
  const fields = new Map<string, string>();
  const mx: string[] = [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const match = /^([A-Za-z0-9_.-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!match) {
      errors.push(problem('policyText.line', { line: index + 1 }));
      continue;
    }
    const [, key, value] = match;
    if (key === 'mx') {
      const pattern = normalizeMxPattern(value);
      if (pattern === null || pattern !== value.toLowerCase()) errors.push(problem('policyText.mx', { value }));
      else mx.push(pattern);
    } else if (!fields.has(key)) fields.set(key, value);
  }
  const version = fields.get('version');
  if (version !== 'STSv1') errors.push(version === undefined ? problem('policyText.noVersion') : problem('policyText.version', { value: version }));
  const mode = fields.get('mode');
  const modeKnown = mode !== undefined && (MODES as readonly string[]).includes(mode);
  if (!modeKnown) errors.push(mode === undefined ? problem('policyText.noMode') : problem('policyText.mode', { value: mode }));
  const maxAgeText = fields.get('max_age');
  const maxAge = maxAgeText !== undefined && /^[0-9]{1,10}$/.test(maxAgeText) ? Number(maxAgeText) : NaN;
  if (!(maxAge >= 0 && maxAge <= MAX_AGE_LIMIT)) {
    errors.push(maxAgeText === undefined ? problem('policyText.noMaxAge') : problem('policyText.maxAge', { value: maxAgeText, max: MAX_AGE_LIMIT }));
  }
  // Only for a known mode: an unknown one is already reported, and says nothing about mx lines.
  if (modeKnown && mode !== 'none' && mx.length === 0) errors.push(problem('policyText.needsMx', { mode: mode }));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, policy: { version: 'STSv1', mode: mode as Mode, mx, maxAge } };
}

export type StsRecordParse = { ok: true; id: string; extensions: Record<string, string> } | ({ ok: false } & Problem);

const STS_FIELD_DELIM = /[ \t]*;[ \t]*/;

/**
 * Parses a `_mta-sts` TXT record strictly by the RFC 8461 section 3.1 grammar:
 * `v=STSv1` first, then `;`-separated fields, an `id` of 1-32 letters and digits, extensions
 * `name=value`, an optional trailing `;`.
 */
export function parseStsRecord(record: string): StsRecordParse {
  if (!/^v=STSv1[ \t]*;/.test(record)) return { ok: false, ...problem('stsRecord.prefix') };
  const parts = record.split(STS_FIELD_DELIM);
  parts.shift();
  if (parts[parts.length - 1] === '') parts.pop();
  let id: string | null = null;
  const extensions: Record<string, string> = {};
  for (const part of parts) {
    const match = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})=([\x21-\x3a\x3c\x3e-\x7e]+)$/.exec(part);
    if (!match) return { ok: false, ...problem('stsRecord.field', { field: part }) };
    const [, name, value] = match;
    if (name === 'id') {
      if (id !== null) return { ok: false, ...problem('stsRecord.twoIds') };
      if (!/^[A-Za-z0-9]{1,32}$/.test(value)) return { ok: false, ...problem('stsRecord.badId', { id: value }) };
      id = value;
    } else extensions[name] = value;
  }
  if (id === null) return { ok: false, ...problem('stsRecord.noId') };
  return { ok: true, id, extensions };
}
