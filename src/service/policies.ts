// A domain's policy: finding it, every way of changing it (a form or API change, retiring, importing
// a hand-written file), its history, the list of domains, and the panel's defaults for a first
// policy. Each committed save goes into this instance's served set before it is answered.
import type { Resolver } from '../dns';
import type { Logger } from '../logger';
import {
  DEFAULT_SETTINGS,
  POLICY_ID,
  applyChanges,
  expiresBy,
  parsePolicy,
  parseStsRecord,
  problem,
  retiredMaxAge,
  servedMode,
  type DomainRecord,
  type InputKind,
  type Mode,
  type PolicySettings,
  type Problem,
  type StoredPolicy,
  type Validation,
} from '../policy';
import type { Audit, HistoryEntry, HistoryStore } from '../store/history-store';
import { readMailcowPolicies, type MailcowPolicy } from '../store/mailcow';
import type { ListQuery, PolicyStore, SaveResult } from '../store/policy-store';
import type { SettingsStore } from '../store/settings-store';
import type { ReportService } from './reports';
import type { ServedService } from './served';
import { stsTxtName } from '../policy/records';

/** What importing a hand-written policy file gives: the save's result, or why nothing was saved. */
export type ImportResult = SaveResult | { status: 'bad-policy'; errors: Problem[] } | { status: 'bad-id'; id: string };

/** The panel's template for a domain's first policy. */
export interface PolicyDefaults {
  mode: Mode;
  maxAge: number;
  mx: string[];
}

export interface PolicyDeps {
  store: PolicyStore;
  history: HistoryStore;
  served: ServedService;
  /** Each new id is remembered with its text there, since reports name a policy by its text. */
  reports: ReportService;
  /** Where the panel's defaults are kept. */
  settings: SettingsStore;
  /** Reads the id a domain publishes, for imports. */
  resolver: Resolver;
  logger: Logger;
  now: () => Date;
}

const DEFAULTS_SETTING = 'defaults';

export class PolicyService {
  constructor(private readonly deps: PolicyDeps) {}

  /** A domain by any spelling (A-label, U-label, any case), or null. */
  find(name: string): Promise<DomainRecord | null> {
    return this.deps.store.find(name);
  }

  /**
   * Applies a change to a domain's policy (validated inside the save's transaction) and, once it
   * is committed, puts it into this instance's served set before the caller answers: the instance
   * that saved never serves the old policy afterwards.
   */
  async save(
    name: string,
    change: (current: PolicySettings) => Validation<PolicySettings>,
    options: { expectedRevision?: number; id?: string; audit?: Audit } = {},
  ): Promise<SaveResult> {
    const result = await this.deps.store.save(name, change, { ...options, now: this.deps.now });
    if (result.status === 'saved') this.deps.served.applySaved(result.record);
    if (result.status === 'saved' && result.changed) await this.rememberPolicy(result.record);
    return result;
  }

  /** Validates `changes` (form-style text or JSON-typed values) onto the stored policy and saves them. */
  async update(
    name: string,
    changes: Record<string, unknown>,
    kind: InputKind,
    options: { expectedRevision?: number; audit?: Audit } = {},
  ): Promise<SaveResult> {
    // A domain's first policy starts from the panel's defaults; what is sent overrides them.
    const record = await this.find(name);
    const defaults = record !== null && record.policy.id === null ? await this.defaults() : null;
    return this.save(name, (current) => applyChanges(defaults ? { ...current, ...defaults } : current, changes, kind), options);
  }

  /**
   * Retires a policy the RFC 8461 section 8.3 way: served in mode none, with a small max_age and
   * a new id, so that senders drop their cached copy; the DNS records may go once that has expired.
   */
  retire(name: string, options: { expectedRevision?: number; audit?: Audit } = {}): Promise<SaveResult> {
    return this.save(name, (current) => applyChanges(current, { mode: 'none', active: true, maxAge: retiredMaxAge(current.maxAge) }, 'json'), options);
  }

  /** mailcow's own MTA-STS settings (its `mta_sts` table, or `table`), for `mta-sts import-mailcow` to import. */
  mailcowPolicies(table: string): Promise<MailcowPolicy[]> {
    return readMailcowPolicies(this.deps.store.knex, table);
  }

  /**
   * Stores a hand-written policy file as the domain's policy, active, keeping its id when it is a
   * valid one (1 to 32 letters and digits), so senders that cached it see no change. Nothing is
   * saved when the file is not a valid policy.
   */
  async importPolicy(name: string, text: string, id: string | null, audit?: Audit): Promise<ImportResult> {
    const parsed = parsePolicy(text);
    if (!parsed.ok) return { status: 'bad-policy', errors: parsed.errors };
    if (id !== null && !POLICY_ID.test(id)) return { status: 'bad-id', id };
    const { mode, mx, maxAge } = parsed.policy;
    return this.save(name, (current) => applyChanges(current, { mode, mx, maxAge, active: true }, 'json'), { audit, ...(id === null ? {} : { id }) });
  }

  /**
   * The policy id a domain publishes today in `_mta-sts.<domain>`, when DNS holds exactly one
   * valid STS record; null otherwise. Imports keep it so senders see no change.
   */
  async publishedId(domain: string): Promise<string | null> {
    const answer = await this.deps.resolver.lookup(stsTxtName(domain), 'TXT').catch(() => null);
    if (!answer?.ok) return null;
    const records = answer.records.filter((record) => /^v=STSv1/i.test(record)).map(parseStsRecord);
    return records.length === 1 && records[0].ok ? records[0].id : null;
  }

  /**
   * For a domain serving a mode-none policy, its safe-removal date: when the save that switched it
   * from testing or enforce to none was made, plus the Maximum Age of the policy it replaced (the
   * date the tab gives on retiring); from then on no sender can hold that policy, and the
   * `_mta-sts` record may go (RFC 8461 section 8.3). Null when it is not retired, or when its
   * history does not tell (then the record stays: removed early, senders would keep the old policy).
   */
  async safeRemovalDate(domain: string, policy: Pick<StoredPolicy, 'active' | 'mode'>): Promise<Date | null> {
    if (servedMode(policy) !== 'none') return null;
    const found = await this.history(domain, { limit: 50, offset: 0 });
    // Newest first: the latest change from a mode senders apply to none.
    const retirement = found?.entries.find((entry) => entry.before !== null && servedMode(entry.before) !== 'none' && servedMode(entry.after) === 'none');
    return retirement?.before ? expiresBy(new Date(retirement.changedAt), retirement.before.maxAge) : null;
  }

  /** True once a retired domain's `_mta-sts` record may be removed (see `safeRemovalDate`). */
  async removable(domain: string, policy: Pick<StoredPolicy, 'active' | 'mode'>): Promise<boolean> {
    const until = await this.safeRemovalDate(domain, policy);
    return until !== null && until <= this.deps.now();
  }

  /** A domain's changes, newest first; null for an unknown domain. */
  async history(name: string, page: { limit: number; offset: number }): Promise<{ record: DomainRecord; entries: HistoryEntry[]; total: number } | null> {
    const record = await this.find(name);
    if (!record) return null;
    return { record, ...(await this.deps.history.list(record.key, page)) };
  }

  /** Domains with their policies, in name order, filtered and paged. */
  list(query: ListQuery): Promise<{ records: DomainRecord[]; total: number }> {
    return this.deps.store.list(query);
  }

  /** The panel's defaults for a first policy: the stored ones, else the plugin's (none, one day, no MX). */
  async defaults(): Promise<PolicyDefaults> {
    const stored = await this.deps.settings.get(DEFAULTS_SETTING);
    const checked = stored === null ? null : applyChanges({ ...DEFAULT_SETTINGS }, stored as Record<string, unknown>, 'json');
    const value = checked?.ok ? checked.value : DEFAULT_SETTINGS;
    return { mode: value.mode, maxAge: value.maxAge, mx: [...value.mx] };
  }

  /** Validates and stores new defaults (mode, maxAge, mx; each optional, the rest kept). */
  async setDefaults(input: Record<string, unknown>, kind: InputKind): Promise<Validation<PolicyDefaults>> {
    const unknown = Object.keys(input).filter((k) => !['mode', 'maxAge', 'mx'].includes(k));
    if (unknown.length > 0) {
      return { ok: false, errors: unknown.map((field) => ({ field, ...problem('field.unknown', { field: field.slice(0, 64), known: 'mode, maxAge, mx' }) })) };
    }
    const current = await this.defaults();
    const result = applyChanges({ ...DEFAULT_SETTINGS, ...current }, input, kind);
    if (!result.ok) return result;
    const value: PolicyDefaults = { mode: result.value.mode, maxAge: result.value.maxAge, mx: result.value.mx };
    await this.deps.settings.set(DEFAULTS_SETTING, value, this.deps.now());
    return { ok: true, value };
  }

  /**
   * Reports name the policy they applied by its text, not its id: each new id is remembered with
   * its text. The save is committed already, so a failure here is logged, never the save's.
   */
  private async rememberPolicy(record: DomainRecord): Promise<void> {
    await this.deps.reports.rememberPolicy(record).catch((err: unknown) => this.deps.logger.error('could not remember the policy id for TLS reports', err));
  }
}
