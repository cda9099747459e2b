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
 * The longest policy line read. The longest useful one is an `mx` line with a 253-character
 * pattern; anything much longer is refused before it is looked at.
 */
export const MAX_POLICY_LINE = 1024;

const KEY = /^[A-Za-z0-9_.-]+$/;
/** Characters a `key: value` line may not hold: `.` in the RFC's grammar stops at these. */
const LINE_BREAKS = /[\r\u2028\u2029]/;

/**
 * Parses a policy body as a sender would (RFC 8461 section 3.2): `key: value` lines ending in
 * CRLF or LF; unknown keys ignored; for keys other than `mx` the first occurrence counts.
 *
 * Linear in the body's length: lines are split at `:` with indexOf and trimmed by hand, never
 * with a regular expression that could backtrack (a `[ \t]*(.*?)[ \t]*$` pattern took 3.7 s
 * on one line of 60,000 blanks followed by a letter, blocking the event loop meanwhile).
 */
export function parsePolicy(text: string): PolicyParse {
  const errors: Problem[] = [];
  const fields = new Map<string, string>();
  const mx: string[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [index, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length > MAX_POLICY_LINE) {
      errors.push(problem('policyText.longLine', { line: index + 1, max: MAX_POLICY_LINE }));
      continue;
    }
    const colon = line.indexOf(':');
    const key = colon < 0 ? '' : line.slice(0, colon);
    const rest = line.slice(colon + 1);
    if (!KEY.test(key) || LINE_BREAKS.test(rest)) {
      errors.push(problem('policyText.line', { line: index + 1 }));
      continue;
    }
    const value = trimBlanks(rest);
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

/**
 * Splits at `sep` and drops the blanks (space, tab) next to each separator, as a split on
 * `/[ \t]*;[ \t]*\/` would, in linear time: that regular expression retries the whole run at
 * every blank of a long run of blanks without a separator (quadratic).
 */
export function splitFields(text: string, sep: string): string[] {
  const parts = text.split(sep);
  return parts.map((part, i) => {
    let start = 0;
    let end = part.length;
    if (i > 0) while (start < end && isBlank(part.charCodeAt(start))) start++;
    if (i < parts.length - 1) while (end > start && isBlank(part.charCodeAt(end - 1))) end--;
    return part.slice(start, end);
  });
}

/** The text without leading and trailing spaces and tabs. */
export function trimBlanks(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Parses a `_mta-sts` TXT record strictly by the RFC 8461 section 3.1 grammar:
 * `v=STSv1` first, then `;`-separated fields, an `id` of 1-32 letters and digits, extensions
 * `name=value`, an optional trailing `;`.
 */
export function parseStsRecord(record: string): StsRecordParse {
  // Anchored, one run of blanks: linear.
  if (!/^v=STSv1[ \t]*;/.test(record)) return { ok: false, ...problem('stsRecord.prefix') };
  const parts = splitFields(record, ';');
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
