// How a domain's policy sits in the plugin's columns of the host's table: a row read back into a
// DomainRecord (`decodeRow`, valid or not), and a policy written out (`policyColumns`), the one
// mapping both directions use.
import { MAX_AGE_LIMIT, MODES, VERSION, normalizeMxPattern, toALabel, type DomainRecord, type Mode, type PolicySettings, type StoredPolicy } from '../policy';
import { COLUMNS } from './columns';
import type { HistoryPolicy } from './history-store';
import type { DomainTable } from './policy-store';
import { flag, nullableText, text, type Row } from './rows';

/** Decodes a row; null when its key is not a host name at all. */
export function decodeRow(row: Row, domains: DomainTable): DomainRecord | null {
  const key = text(row[domains.keyColumn]);
  const domain = toALabel(key);
  if (domain === null) return null;
  const mode = text(row[COLUMNS.mode]);
  const maxAge = Number(row[COLUMNS.maxAge]);
  const rawMx = text(row[COLUMNS.mx])
    .split(',')
    .filter((entry) => entry !== '');
  const mx = rawMx.map(normalizeMxPattern);
  const valid =
    row[COLUMNS.version] === VERSION &&
    (MODES as readonly string[]).includes(mode) &&
    Number.isInteger(maxAge) &&
    maxAge >= 0 &&
    maxAge <= MAX_AGE_LIMIT &&
    mx.every((entry) => entry !== null) &&
    (mode === 'none' || mx.length > 0);
  return {
    key,
    domain,
    hostActive: domains.activeColumn ? flag(row[domains.activeColumn]) : true,
    valid,
    policy: {
      domain,
      active: flag(row[COLUMNS.active]),
      version: VERSION,
      mode: (MODES as readonly string[]).includes(mode) ? (mode as Mode) : 'none',
      maxAge: Number.isInteger(maxAge) ? maxAge : 0,
      mx: mx.filter((entry): entry is string => entry !== null),
      id: nullableText(row[COLUMNS.id]),
      updatedAt: nullableText(row[COLUMNS.updatedAt]),
      revision: Number(row[COLUMNS.revision]) || 0,
    },
  };
}

/** A policy as the plugin's columns hold it: the one mapping a save and a restore write. */
export function policyColumns(policy: HistoryPolicy | StoredPolicy): Row {
  return {
    [COLUMNS.active]: policy.active,
    [COLUMNS.version]: policy.version,
    [COLUMNS.mode]: policy.mode,
    [COLUMNS.maxAge]: policy.maxAge,
    [COLUMNS.mx]: policy.mx.join(','),
    [COLUMNS.id]: policy.id,
    [COLUMNS.updatedAt]: policy.updatedAt,
    [COLUMNS.revision]: policy.revision,
  };
}

export function historyPolicy(policy: StoredPolicy): HistoryPolicy {
  return { ...settingsOf(policy), id: policy.id, updatedAt: policy.updatedAt, revision: policy.revision };
}

export function settingsOf(policy: StoredPolicy): PolicySettings {
  return { active: policy.active, version: policy.version, mode: policy.mode, maxAge: policy.maxAge, mx: [...policy.mx] };
}
