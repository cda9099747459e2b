import { normalizeMxPattern } from './mx';
import { MAX_AGE_LIMIT, MODES, Mode } from './types';

export interface ParsedPolicy {
  version: string;
  mode: Mode;
  mx: string[];
  maxAge: number;
}

export type PolicyParse = { ok: true; policy: ParsedPolicy } | { ok: false; errors: string[] };

/**
 * Parses a policy body as a sender would (RFC 8461 section 3.2): `key: value` lines ending in
 * CRLF or LF; unknown keys ignored; for keys other than `mx` the first occurrence counts.
 */
export function parsePolicy(text: string): PolicyParse {
  const errors: string[] = [];
  const fields = new Map<string, string>();
  const mx: string[] = [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const match = /^([A-Za-z0-9_.-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!match) {
      errors.push(`line ${index + 1} is not "key: value"`);
      continue;
    }
    const [, key, value] = match;
    if (key === 'mx') {
      const pattern = normalizeMxPattern(value);
      if (pattern === null || pattern !== value.toLowerCase()) errors.push(`mx "${value}" is not a valid A-label pattern`);
      else mx.push(pattern);
    } else if (!fields.has(key)) fields.set(key, value);
  }
  const version = fields.get('version');
  if (version !== 'STSv1') errors.push(version === undefined ? 'version is missing' : `version "${version}" is not STSv1`);
  const mode = fields.get('mode');
  if (mode === undefined || !(MODES as readonly string[]).includes(mode)) errors.push(mode === undefined ? 'mode is missing' : `mode "${mode}" is not none, testing or enforce`);
  const maxAgeText = fields.get('max_age');
  const maxAge = maxAgeText !== undefined && /^[0-9]{1,10}$/.test(maxAgeText) ? Number(maxAgeText) : NaN;
  if (!(maxAge >= 0 && maxAge <= MAX_AGE_LIMIT)) errors.push(maxAgeText === undefined ? 'max_age is missing' : `max_age "${maxAgeText}" is not a number of seconds from 0 to ${MAX_AGE_LIMIT}`);
  if (mode !== 'none' && mx.length === 0 && mode !== undefined) errors.push(`mode ${mode} needs at least one mx line`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, policy: { version: 'STSv1', mode: mode as Mode, mx, maxAge } };
}

export type StsRecordParse = { ok: true; id: string; extensions: Record<string, string> } | { ok: false; message: string };

const STS_FIELD_DELIM = /[ \t]*;[ \t]*/;

/**
 * Parses a `_mta-sts` TXT record strictly by the RFC 8461 section 3.1 grammar:
 * `v=STSv1` first, then `;`-separated fields, an `id` of 1-32 letters and digits, extensions
 * `name=value`, an optional trailing `;`.
 */
export function parseStsRecord(record: string): StsRecordParse {
  if (!/^v=STSv1[ \t]*;/.test(record)) return { ok: false, message: 'does not begin with "v=STSv1;"' };
  const parts = record.split(STS_FIELD_DELIM);
  parts.shift();
  if (parts[parts.length - 1] === '') parts.pop();
  let id: string | null = null;
  const extensions: Record<string, string> = {};
  for (const part of parts) {
    const match = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31})=([\x21-\x3a\x3c\x3e-\x7e]+)$/.exec(part);
    if (!match) return { ok: false, message: `field "${part}" is not name=value` };
    const [, name, value] = match;
    if (name === 'id') {
      if (id !== null) return { ok: false, message: 'has more than one id field' };
      if (!/^[A-Za-z0-9]{1,32}$/.test(value)) return { ok: false, message: `id "${value}" is not 1-32 letters and digits` };
      id = value;
    } else extensions[name] = value;
  }
  if (id === null) return { ok: false, message: 'has no id field' };
  return { ok: true, id, extensions };
}
