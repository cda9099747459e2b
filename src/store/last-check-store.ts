// The last DNS Check of each domain (table `<prefix>last_checks`, see its migration): one row per
// domain, overwritten by every check (the tab's button, the API, the CLI, the scheduler), so that
// the overview shows and filters the verdict in SQL without running a check.
import type { Knex } from 'knex';

export const VERDICTS = ['ok', 'warning', 'error'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** A DNS Check reduced to what the overview shows: its worst status and when. */
export interface LastCheck {
  domain: string;
  checkedAt: string;
  verdict: Verdict;
  errors: number;
  warnings: number;
  policyId: string | null;
}

export class LastCheckStore {
  constructor(
    private readonly knex: Knex,
    readonly table: string,
  ) {}

  /** Stores a domain's newest check, replacing the one before (never an older one over a newer). */
  async record(domain: string, check: Omit<LastCheck, 'domain'>): Promise<void> {
    const row = {
      domain,
      checked_at: check.checkedAt,
      verdict: check.verdict,
      errors: check.errors,
      warnings: check.warnings,
      policy_id: check.policyId,
    };
    // Only over an older check: a check that started earlier and finished later changes nothing.
    const updated = await this.knex(this.table).where('domain', domain).andWhere('checked_at', '<=', check.checkedAt).update(row);
    // No row, or a newer one: insert, which a newer row (or a check inserted meanwhile) ignores.
    if (updated === 0) await this.knex(this.table).insert(row).onConflict('domain').ignore();
  }

  /** The last checks of these domains (those never checked are absent), one indexed query per 500. */
  async get(domains: readonly string[]): Promise<LastCheck[]> {
    const out: LastCheck[] = [];
    for (let i = 0; i < domains.length; i += 500) {
      const rows = (await this.knex(this.table).whereIn('domain', domains.slice(i, i + 500))) as Array<Record<string, unknown>>;
      for (const row of rows) {
        const check = decode(row);
        if (check) out.push(check);
      }
    }
    return out;
  }
}

function decode(row: Record<string, unknown>): LastCheck | null {
  const verdict = row.verdict;
  if (typeof verdict !== 'string' || !(VERDICTS as readonly string[]).includes(verdict)) return null;
  return {
    domain: typeof row.domain === 'string' ? row.domain : '',
    checkedAt: typeof row.checked_at === 'string' ? row.checked_at : '',
    verdict: verdict as Verdict,
    errors: Number(row.errors) || 0,
    warnings: Number(row.warnings) || 0,
    policyId: typeof row.policy_id === 'string' ? row.policy_id : null,
  };
}
