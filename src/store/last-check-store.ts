// The last DNS Check of each domain (table `<prefix>last_checks`, see its migrations): one row per
// domain, overwritten by every check (the tab's button, the API, the CLI, the scheduler). Its
// summary (verdict and counts) lets the overview show and filter in SQL without running a check;
// the whole result (as JSON) and its codes are kept beside it. The one table of check results:
// the scheduler's own `check_results` table was folded into it (20261208000100_one_check_table).
import type { Knex } from 'knex';
import { text } from './rows';

export const VERDICTS = ['ok', 'warning', 'error'] as const;
export type OverviewVerdict = (typeof VERDICTS)[number];

/** A DNS Check reduced to what the overview shows: its worst status and when. */
export interface LastCheck {
  domain: string;
  checkedAt: string;
  verdict: OverviewVerdict;
  errors: number;
  warnings: number;
  policyId: string | null;
}

/** A check as recorded: the summary, and the whole result. */
export interface RecordedCheck extends Omit<LastCheck, 'domain'> {
  /** The worst status of its parts, `info` included (which the verdict counts as ok). */
  worst: string;
  /** The machine codes found, each once. */
  codes: string[];
  /** The whole result, as JSON. */
  result: string;
}

/** The whole result of a domain's last check, as stored; older rows may lack it. */
export interface StoredResult {
  domain: string;
  /** When the check whose summary the row holds ran (the result carries its own time too). */
  checkedAt: string;
  worst: string;
  codes: string[];
  result: string;
}

/** Domains per statement: far below every dialect's limit on bound parameters. */
const CHUNK = 500;

export class LastCheckStore {
  constructor(
    private readonly knex: Knex,
    readonly table: string,
  ) {}

  /** Stores a domain's newest check, replacing the one before (never an older one over a newer). */
  async record(domain: string, check: RecordedCheck): Promise<void> {
    const row = {
      domain,
      checked_at: check.checkedAt,
      verdict: check.verdict,
      errors: check.errors,
      warnings: check.warnings,
      policy_id: check.policyId,
      worst: check.worst,
      codes: check.codes.join(','),
      result: check.result,
    };
    // Only over an older check: a check that started earlier and finished later changes nothing.
    const updated = await this.knex(this.table).where('domain', domain).andWhere('checked_at', '<=', check.checkedAt).update(row);
    // No row, or a newer one: insert, which a newer row (or a check inserted meanwhile) ignores.
    if (updated === 0) await this.knex(this.table).insert(row).onConflict('domain').ignore();
  }

  /** The last checks of these domains (those never checked are absent), one indexed query per 500. */
  async get(domains: readonly string[]): Promise<LastCheck[]> {
    const out: LastCheck[] = [];
    for (let i = 0; i < domains.length; i += CHUNK) {
      const rows = (await this.knex(this.table)
        .select('domain', 'checked_at', 'verdict', 'errors', 'warnings', 'policy_id')
        .whereIn('domain', domains.slice(i, i + CHUNK))) as Array<Record<string, unknown>>;
      for (const row of rows) {
        const check = decode(row);
        if (check) out.push(check);
      }
    }
    return out;
  }

  /** The whole result of a domain's last check; null when never checked, or checked before results were kept. */
  async result(domain: string): Promise<StoredResult | null> {
    const row = (await this.knex(this.table).select('checked_at', 'worst', 'codes', 'result').where('domain', domain).first()) as
      Record<string, unknown> | undefined;
    if (!row || row.result == null) return null;
    return { domain, checkedAt: text(row.checked_at), worst: text(row.worst), codes: text(row.codes).split(',').filter(Boolean), result: text(row.result) };
  }
}

function decode(row: Record<string, unknown>): LastCheck | null {
  const verdict = row.verdict;
  if (typeof verdict !== 'string' || !(VERDICTS as readonly string[]).includes(verdict)) return null;
  return {
    domain: typeof row.domain === 'string' ? row.domain : '',
    checkedAt: typeof row.checked_at === 'string' ? row.checked_at : '',
    verdict: verdict as OverviewVerdict,
    errors: Number(row.errors) || 0,
    warnings: Number(row.warnings) || 0,
    policyId: typeof row.policy_id === 'string' ? row.policy_id : null,
  };
}
