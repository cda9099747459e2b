// Where a domain's policy is stored, the one difference between the two layouts every policy read
// and write goes through:
// - `columns` (the default): the plugin's columns added to the host's domain table.
// - `mailcow`: mailcow's own MTA-STS table (mailcow 2025-09 and later, `mta_sts`: one row per
//   domain with `id` BIGINT, `domain`, `version` lower-case "stsv1", `mode`, `mx` comma-joined in
//   a VARCHAR(255), `max_age`, `active`), written as mailcow's own UI writes it, so that mailcow's
//   policy route, its ACME client and its MTA-STS tab keep working on the same rows. Nothing is
//   added to mailcow's `domain` table. The row has no revision or time of change: the id, a UTC
//   `YYYYMMDDHHMMSS` stamp that changes with every change, stands for both.
// Either way a row read comes out in the columns layout's shape (COLUMNS names), so that one
// decoder (./policy-row.ts) reads both.
import type { Knex } from 'knex';
import { VERSION, problem, type FieldError, type StoredPolicy } from '../policy';
import { COLUMNS } from './columns';
import type { DomainTable } from './policy-store';
import { policyColumns } from './policy-row';
import { nullableText, text, type Row } from './rows';

/** The columns of mailcow's `mta_sts` this layout reads and writes (checked at start, and by status). */
export const PANEL_POLICY_COLUMNS = ['domain', 'id', 'version', 'mode', 'mx', 'max_age', 'active'] as const;

/** mailcow's `mta_sts.mx` is a VARCHAR(255). */
const MAILCOW_MX_LENGTH = 255;
/** mailcow's `mta_sts.id` is a BIGINT: 18 digits always fit. */
const MAILCOW_ID = /^[0-9]{1,18}$/;

type ColumnName = keyof typeof COLUMNS;

export interface PolicyLayout {
  /** The policy table when it is apart from the domain table (mailcow's), else null. */
  readonly policyTable: string | null;
  /** The host's domain table as `d`, joined with the policy table as `p` when there is one. */
  from(knex: Knex): Knex.QueryBuilder;
  /** What to select: the key, the host's flag and every policy cell under its COLUMNS name. */
  select(): Array<string | Record<string, string>>;
  /** A policy cell in a filter or a sort, qualified. */
  column(name: ColumnName): string;
  /** A selected row in the columns layout's shape. */
  normalize(row: Row): Row;
  /** Why `policy` cannot be stored in this layout (none when it can). */
  refuse(policy: StoredPolicy): FieldError[];
  /** The revision a stored policy will read back with. */
  revisionOf(policy: StoredPolicy, previous: number): number;
  /** Writes `policy` unless the row moved on from `revision`; the rows written (0: conflict). */
  write(trx: Knex | Knex.Transaction, key: string, revision: number, policy: StoredPolicy): Promise<number>;
}

export function policyLayout(domains: DomainTable, policyTable: string | null): PolicyLayout {
  return policyTable === null ? columnsLayout(domains) : mailcowLayout(domains, policyTable);
}

function columnsLayout(domains: DomainTable): PolicyLayout {
  const cols = [domains.keyColumn, ...Object.values(COLUMNS), ...(domains.activeColumn ? [domains.activeColumn] : [])];
  return {
    policyTable: null,
    from: (knex) => knex({ d: domains.table }),
    select: () => cols.map((c) => `d.${c}`),
    column: (name) => `d.${COLUMNS[name]}`,
    normalize: (row) => row,
    refuse: () => [],
    revisionOf: (_policy, previous) => previous + 1,
    write: (trx, key, revision, policy) =>
      trx(domains.table)
        .where(domains.keyColumn, key)
        .andWhere(COLUMNS.revision, revision)
        .update(policyColumns({ ...policy })),
  };
}

function mailcowLayout(domains: DomainTable, table: string): PolicyLayout {
  const cells: Partial<Record<ColumnName, string>> = { active: 'active', version: 'version', mode: 'mode', maxAge: 'max_age', mx: 'mx', id: 'id' };
  const selected: Record<string, string> = {};
  for (const [name, cell] of Object.entries(cells)) selected[COLUMNS[name as ColumnName]] = `p.${cell}`;
  // Whether the domain has a row at all: a domain mailcow never saw an MTA-STS setting for.
  selected.p_domain = 'p.domain';
  return {
    policyTable: table,
    from: (knex) => knex({ d: domains.table }).leftJoin({ p: table }, 'p.domain', `d.${domains.keyColumn}`),
    select: () => [`d.${domains.keyColumn}`, ...(domains.activeColumn ? [`d.${domains.activeColumn}`] : []), selected],
    // No revision or time of change in mailcow's row: the id stands for both.
    column: (name) => `p.${cells[name] ?? cells.id}`,
    normalize(row) {
      if (row.p_domain === null || row.p_domain === undefined) {
        // No row: what the plugin's columns hold before a first save.
        return { ...row, [COLUMNS.active]: false, [COLUMNS.version]: VERSION, [COLUMNS.mode]: 'none', [COLUMNS.maxAge]: 86400, [COLUMNS.mx]: '' };
      }
      const id = nullableText(row[COLUMNS.id]);
      return {
        ...row,
        [COLUMNS.version]: text(row[COLUMNS.version]).toLowerCase() === VERSION.toLowerCase() ? VERSION : text(row[COLUMNS.version]),
        // mailcow's tab takes "a, b" as typed; the served file names each entry without spaces.
        [COLUMNS.mx]: text(row[COLUMNS.mx])
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean)
          .join(','),
        [COLUMNS.id]: id,
        [COLUMNS.updatedAt]: id === null ? null : stampTime(id),
        [COLUMNS.revision]: id !== null && MAILCOW_ID.test(id) ? Number(id) : 0,
      };
    },
    refuse(policy) {
      const errors: FieldError[] = [];
      const mx = policy.mx.join(',');
      if (mx.length > MAILCOW_MX_LENGTH) errors.push({ field: 'mx', ...problem('field.mx.panelTooLong', { length: mx.length, max: MAILCOW_MX_LENGTH }) });
      if (policy.id !== null && !MAILCOW_ID.test(policy.id)) errors.push({ field: 'id', ...problem('field.id.panelDigits', { id: policy.id }) });
      return errors;
    },
    revisionOf: (policy) => (policy.id !== null && MAILCOW_ID.test(policy.id) ? Number(policy.id) : 0),
    async write(trx, key, revision, policy) {
      const row = {
        id: policy.id,
        version: policy.version.toLowerCase(),
        mode: policy.mode,
        mx: policy.mx.join(','),
        max_age: policy.maxAge,
        active: policy.active ? 1 : 0,
      };
      if (revision === 0) {
        // A first policy, or a row without a usable id: the row is the domain's, keyed by its name.
        const updated = await trx(table).where('domain', key).update(row);
        if (updated > 0) return updated;
        await trx(table).insert({ domain: key, ...row });
        return 1;
      }
      return trx(table).where('domain', key).andWhere('id', revision).update(row);
    },
  };
}

/** The time a `YYYYMMDDHHMMSS` id names, as ISO 8601 UTC; null for any other id. */
function stampTime(id: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(id);
  if (!m) return null;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) || date.getUTCSeconds() !== +m[6] ? null : date.toISOString();
}
