// Reading a period's rows of one report table (policies or failures) in slices of SLICE_ROWS,
// each grouped in SQL, and merging the groups in memory, at most MAX_GROUPS of them: the bounded
// read of ./report-totals.ts on SQLite (a synchronous driver) and MariaDB.
import type { Knex } from 'knex';
import { dialectOf } from './dialect';
import { nullableText, text, type Row } from './rows';

/** Rows of one table read by one statement: a few milliseconds of SQLite. */
const SLICE_ROWS = 1000;
/**
 * MariaDB's slices are larger: its driver does not hold the event loop, so a slice bounds only the
 * server's temporary table, and each statement costs it a few milliseconds of its own (a year of
 * 21,900 failure rows took 23 statements of 1,000 rows, about 180 ms; see figure 11).
 */
const MYSQL_SLICE_ROWS = 5000;
/**
 * Groups kept per list while reading. Beyond it the smallest half is summed into `folded`: the
 * totals stay exact, a listed group's count may then miss what it had before it was folded.
 */
export const MAX_GROUPS = 10_000;

/** The database's number (mysql2 answers SUM() as a decimal string) as a JS number. */
export function num(value: unknown): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface Group {
  keys: unknown[];
  sums: number[];
  last: string;
  /** The greatest value of each of the spec's `samples` (null when every row's was null). */
  samples: Array<string | null>;
}

/** The greater of two sample values, null the least. */
function greater(a: string | null, b: string | null): string | null {
  return a === null ? b : b === null || a >= b ? a : b;
}

/** Groups merged across slices; at most MAX_GROUPS, the smallest (by the first sum) folded beyond. */
export class Groups {
  readonly map = new Map<string, Group>();
  folded = 0;

  add(keys: unknown[], sums: number[], last: string, samples: Array<string | null> = []): void {
    const id = JSON.stringify(keys);
    const group = this.map.get(id);
    if (group) {
      group.sums = group.sums.map((s, i) => s + sums[i]);
      if (last > group.last) group.last = last;
      group.samples = group.samples.map((v, i) => greater(v, samples[i]));
    } else {
      this.map.set(id, { keys, sums, last, samples });
      if (this.map.size > MAX_GROUPS) this.fold();
    }
  }

  /**
   * Keeps the larger half. The median comes from a typed array (sorting 10,000 numbers there takes
   * about a millisecond, where sorting the groups took tens); groups equal to it are folded too
   * until half are gone, so that a flood of groups that all count the same is bounded as well.
   */
  private fold(): void {
    const sums = Float64Array.from(this.map.values(), (g) => g.sums[0]).sort();
    const median = sums[Math.floor(sums.length / 2)];
    let excess = this.map.size - MAX_GROUPS / 2;
    for (const pass of [0, 1]) {
      for (const [id, group] of this.map) {
        if (excess <= 0) return;
        if (pass === 0 ? group.sums[0] < median : group.sums[0] === median) {
          this.folded += group.sums[0];
          this.map.delete(id);
          excess--;
        }
      }
    }
  }
}

export interface SliceSpec {
  /** `policies` or `failures`: both have domain, day and id, indexed by (domain, day). */
  table: string;
  /** The columns of the table the keys and sums read (besides id). */
  columns: string[];
  /** Select list over the rows `s` (and `p`, the policies, when `joinPolicies`), aliased k0..kn for the group keys. */
  keys: string[];
  /** Expressions over `s` summed, aliased v0..vn; the first orders (most first) and folds. */
  sums: string[];
  /**
   * Columns of `s` not grouped by but shown with a group: its greatest value (MAX), e.g. one of
   * the group's additional informations, which senders write per report (grouping by it would make
   * a group of nearly every row).
   */
  samples?: string[];
  /** Counts rows too (as the last sum). */
  count?: boolean;
  joinPolicies?: string;
  /**
   * The ids of the trusted reports (a subquery), left-joined as `t` on the row's report: a key
   * such as `CASE WHEN t.id IS NULL THEN 0 ELSE 1 END` then tells the trusted rows apart. The
   * columns must include `report`.
   */
  trusted?: Knex.QueryBuilder;
}

/**
 * Reads the rows of `domain` within [from, to] in slices of at most SLICE_ROWS, each grouped in
 * SQL, and merges them. A slice is a run of whole days: one index-only probe finds the day of the
 * SLICE_ROWS-th row from where the last slice ended, and the days before it (fewer rows than that)
 * are grouped in one statement; a year of small daily reports is then a few dozen statements, where
 * a slice per day made two per day. A day that alone has SLICE_ROWS rows or more is read by id
 * within the day (the (domain, day) index, whose entries carry the row id on SQLite and MariaDB).
 */
export async function sliced(knex: Knex, spec: SliceSpec, domain: string, from: string, to: string): Promise<Groups> {
  const groups = new Groups();
  const sliceRows = dialectOf(knex) === 'mysql' ? MYSQL_SLICE_ROWS : SLICE_ROWS;
  let day = from;
  for (;;) {
    // The SLICE_ROWS-th row's day from `day` on: index-only, at most SLICE_ROWS entries.
    const probe: Row | undefined = await knex<Row>(spec.table)
      .where('domain', domain)
      .where('day', '>=', day)
      .where('day', '<=', to)
      .orderBy('day')
      .offset(sliceRows - 1)
      .first('day');
    const boundary = probe ? text(probe.day) : null;
    if (boundary === null || boundary > day) {
      // Fewer than SLICE_ROWS rows in the days from `day` to before `boundary` (or to `to`).
      await groupSlice(knex, spec, groups, (q) => {
        q.where('domain', domain).where('day', '>=', day);
        if (boundary === null) q.where('day', '<=', to);
        else q.where('day', '<', boundary);
      });
      await yieldToLoop();
      if (boundary === null) return groups;
      day = boundary;
      continue;
    }
    // `day` alone has SLICE_ROWS rows or more: by id within it.
    for (let after = 0; ;) {
      const read = await groupSlice(knex, spec, groups, (q) => {
        q.where('domain', domain).where('day', day).where('id', '>', after).orderBy('id').limit(sliceRows);
      });
      await yieldToLoop();
      if (read.rows < sliceRows) break;
      after = read.lastId;
    }
    // The next day with rows, if any: one index seek (one lower bound only, else SQLite may seek to
    // the other and walk every row of the days before).
    const next: Row | undefined = await knex<Row>(spec.table).where('domain', domain).where('day', '>', day).where('day', '<=', to).orderBy('day').first('day');
    if (!next) return groups;
    day = text(next.day);
  }
}

/** Groups the rows `where` picks (at most SLICE_ROWS) into `groups`; answers how many rows it read and the largest id. */
async function groupSlice(knex: Knex, spec: SliceSpec, groups: Groups, where: (q: Knex.QueryBuilder) => void): Promise<{ rows: number; lastId: number }> {
  const sumCount = spec.sums.length + (spec.count ? 1 : 0);
  const slice = knex(spec.table)
    .select(['id', 'day', ...spec.columns.filter((c) => c !== 'day')])
    .modify(where)
    .as('s');
  const query = knex.from(slice);
  if (spec.joinPolicies) query.join(`${spec.joinPolicies} as p`, 'p.id', 's.policy');
  if (spec.trusted) query.leftJoin(spec.trusted.clone().as('t'), 't.id', 's.report');
  const rows: Row[] = await query
    .select(spec.keys.map((k, i) => knex.raw(`${k} as ??`, [`k${i}`])))
    .select(spec.sums.map((sum, i) => knex.raw(`sum(${sum}) as ??`, [`v${i}`])))
    .modify((q) => {
      if (spec.count) q.select(knex.raw('count(*) as ??', [`v${spec.sums.length}`]));
    })
    .select((spec.samples ?? []).map((sample, i) => knex.raw(`max(${sample}) as ??`, [`m${i}`])))
    .select(knex.raw('count(*) as ??, max(??) as ??, max(??) as ??', ['n', 's.id', 'last_id', 's.day', 'last_day']))
    .groupBy(spec.keys.map((_k, i) => `k${i}`));
  let read = 0;
  let lastId = 0;
  for (const row of rows) {
    read += num(row.n);
    lastId = Math.max(lastId, num(row.last_id));
    const sums: number[] = [];
    for (let i = 0; i < sumCount; i++) sums.push(num(row[`v${i}`]));
    groups.add(
      spec.keys.map((_k, i) => row[`k${i}`]),
      sums,
      text(row.last_day),
      (spec.samples ?? []).map((_m, i) => nullableText(row[`m${i}`])),
    );
  }
  return { rows: read, lastId };
}
