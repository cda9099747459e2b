// One change applied to many domains (the overview's bulk actions, `PUT /api/v1/mta-sts`, the
// `mta-sts bulk` command): checked once, then applied to each domain's policy with the same rules
// as a single save. Pure.
import { retirePolicy } from './served';
import { problem } from './problems';
import type { FieldError, PolicySettings } from './types';
import { applyChanges, type InputKind, type Validation } from './validate';

/** What a bulk action may change; `mx` replaces the MX entries, `addMx` adds to them. */
export const BULK_FIELDS = ['mode', 'maxAge', 'mx', 'addMx', 'active', 'retire'] as const;

/** The changes as sent, checked for their shape (values are checked per domain by applyChanges). */
export interface BulkChanges {
  fields: Record<string, unknown>;
  addMx: unknown;
  retire: boolean;
}

/** Checks a bulk change's shape: known fields, at least one, retire alone. */
export function parseBulkChanges(input: unknown): Validation<BulkChanges> {
  const known = BULK_FIELDS.join(', ');
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ field: 'changes', ...problem('field.changes.empty', { known }) }] };
  }
  const errors: FieldError[] = [];
  const fields: Record<string, unknown> = {};
  let addMx: unknown = undefined;
  let retire = false;
  for (const [field, value] of Object.entries(input as Record<string, unknown>)) {
    if (value === undefined || value === '' || value === null) continue;
    if (field === 'retire') {
      if (value === true || value === '1' || value === 'true') retire = true;
      else errors.push({ field, ...problem('field.retire.notTrue') });
    } else if (field === 'addMx') addMx = value;
    else if ((BULK_FIELDS as readonly string[]).includes(field)) fields[field] = value;
    else errors.push({ field, ...problem('field.unknown', { field: field.slice(0, 64), known }) });
  }
  if (errors.length === 0 && !retire && addMx === undefined && Object.keys(fields).length === 0) {
    errors.push({ field: 'changes', ...problem('field.changes.empty', { known }) });
  }
  if (retire && (addMx !== undefined || Object.keys(fields).length > 0)) errors.push({ field: 'retire', ...problem('field.changes.retireAlone') });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { fields, addMx, retire } };
}

/** The policy after a bulk change, validated as a single save would be. */
export function applyBulk(current: PolicySettings, changes: BulkChanges, kind: InputKind): Validation<PolicySettings> {
  if (changes.retire) return retirePolicy(current);
  const fields = { ...changes.fields };
  if (changes.addMx !== undefined) {
    // The added entries are checked on their own, so that an error names them, not the stored ones.
    const added = applyChanges({ ...current, mode: 'none' }, { mx: changes.addMx }, kind);
    if (!added.ok) return { ok: false, errors: added.errors.map((e) => ({ ...e, field: 'addMx' })) };
    const base = 'mx' in fields ? applyChanges(current, { mx: fields.mx }, kind) : { ok: true as const, value: current };
    if (!base.ok) return base;
    // Either kind reads a comma-separated text, so the other fields keep their own kind.
    fields.mx = [...new Set([...base.value.mx, ...added.value.mx])].join(', ');
    return applyChanges(current, fields, kind);
  }
  return applyChanges(current, fields, kind);
}
