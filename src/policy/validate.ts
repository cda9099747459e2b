import { parseMxEntries } from './mx';
import { ProblemCode, ProblemParams, problem } from './problems';
import { FieldError, MAX_AGE_LIMIT, MODES, Mode, PolicySettings, VERSION } from './types';

/** Field names as they appear in forms and API bodies, with the label people see. */
export const FIELD_LABELS = {
  version: 'Version',
  mode: 'Mode',
  maxAge: 'Maximum Age',
  mx: 'MX entries',
  active: 'Active',
} as const;
export type PolicyField = keyof typeof FIELD_LABELS;

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * How strictly value types are read. Forms send every value as text (a checkbox is present or
 * absent); JSON bodies must use real types, so `"maxAge": "86400"` or `"active": "yes"` is an
 * error there rather than a guess.
 */
export type InputKind = 'form' | 'json';

/**
 * Validates a partial change to a policy and merges it onto `current`. Unknown fields, wrong types
 * and bad values each give a message naming the field and the rule; nothing is half-applied.
 */
export function applyChanges(current: PolicySettings, changes: Record<string, unknown>, kind: InputKind): Validation<PolicySettings> {
  const errors: FieldError[] = [];
  const next: PolicySettings = { ...current, mx: [...current.mx] };
  const fail = (field: PolicyField, code: ProblemCode, params?: ProblemParams) => errors.push({ field, ...problem(code, params) });

  for (const [field, value] of Object.entries(changes)) {
    switch (field) {
      case 'version':
        if (value !== VERSION) fail('version', 'field.version.invalid');
        break;
      case 'mode':
        if (typeof value === 'string' && (MODES as readonly string[]).includes(value)) next.mode = value as Mode;
        else fail('mode', 'field.mode.invalid');
        break;
      case 'maxAge': {
        const seconds = readWholeNumber(value, kind);
        if (seconds === null || seconds > MAX_AGE_LIMIT) {
          fail('maxAge', 'field.maxAge.invalid', { max: MAX_AGE_LIMIT });
        } else next.maxAge = seconds;
        break;
      }
      case 'mx': {
        const list = readMxInput(value);
        if (list === null) {
          fail('mx', kind === 'json' ? 'field.mx.notList' : 'field.mx.notText');
          break;
        }
        const parsed = parseMxEntries(list);
        if (parsed.ok) next.mx = parsed.mx;
        // One error item per bad entry, each naming the entry and its reason.
        else for (const p of parsed.problems) errors.push({ field: 'mx', code: p.code, params: p.params, message: p.message });
        break;
      }
      case 'active': {
        const active = readBoolean(value, kind);
        if (active === null) fail('active', kind === 'json' ? 'field.active.notBoolean' : 'field.active.invalid');
        else next.active = active;
        break;
      }
      default:
        errors.push({ field, ...problem('field.unknown', { field: printable(field), known: Object.keys(FIELD_LABELS).join(', ') }) });
    }
  }

  if (!errors.some((e) => e.field === 'mx' || e.field === 'mode') && next.mode !== 'none' && next.mx.length === 0) {
    fail('mx', 'field.mx.required', { mode: next.mode });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: next };
}

function readWholeNumber(value: unknown, kind: InputKind): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (kind === 'form' && typeof value === 'string' && /^\s*\d{1,12}\s*$/.test(value)) return Number(value.trim());
  return null;
}

function readBoolean(value: unknown, kind: InputKind): boolean | null {
  if (typeof value === 'boolean') return value;
  if (kind !== 'form') return null;
  // An HTML checkbox sends its value when checked and nothing when unchecked; the form also
  // sends a hidden "0" so that an unchecked box is an explicit change.
  const TRUE = ['1', 'on', 'true'];
  const FALSE = ['0', '', 'false'];
  if (TRUE.includes(value as string)) return true;
  if (FALSE.includes(value as string)) return false;
  // A hidden "0" beside the checkbox sends both values when it is checked.
  if (Array.isArray(value) && value.length <= 2) {
    const values: unknown[] = value;
    if (values.every((v) => typeof v === 'string' && (TRUE.includes(v) || FALSE.includes(v)))) return values.some((v) => TRUE.includes(v as string));
  }
  return null;
}

function readMxInput(value: unknown): string | string[] | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return null;
}

function printable(field: string): string {
  const clean = field.replace(/[^\x20-\x7e]/g, '?');
  return `"${clean.length > 40 ? `${clean.slice(0, 37)}...` : clean}"`;
}

/** True when a change alters what senders are served, which is what calls for a new id. */
export function changesServedPolicy(before: PolicySettings, after: PolicySettings): boolean {
  return (
    before.active !== after.active ||
    before.mode !== after.mode ||
    before.maxAge !== after.maxAge ||
    before.version !== after.version ||
    before.mx.join(',') !== after.mx.join(',')
  );
}
