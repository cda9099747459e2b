// What an ACME client must know: the names a certificate must cover (one per domain and alias
// with a served policy), whether a retired policy's name is still worth renewing, where a name
// points in DNS, and the built-in client's state per name (never its keys).
import type { AcmeOrderState } from '../check';
import type { Resolver } from '../dns';
import type { StoredPolicy } from '../policy';
import type { CertificateRow, CertificateStore } from '../store/certificate-store';
import type { HistoryStore } from '../store/history-store';
import type { PolicyService } from './policies';
import type { ServedService } from './served';
import { policyHostName } from '../policy/records';

export type { CertificateRow } from '../store/certificate-store';

/** A name a certificate must cover, with what decides whether it is still worth renewing. */
export interface CertificateTarget {
  /** `mta-sts.<domain or alias>`, A-label. */
  name: string;
  mode: StoredPolicy['mode'];
  maxAge: number;
  /** For a policy in mode none: since when (ISO 8601) it has been none, from the history; else null. */
  noneSince: string | null;
}

/** Where a name points in DNS (A and AAAA through the plugin's resolver), or why that is unknown. */
export type NameAddresses = { ok: true; addresses: string[] } | { ok: false; reason: string };

export interface CertificateDeps {
  served: ServedService;
  policies: PolicyService;
  history: HistoryStore;
  /** The built-in ACME client's tables (created by migration 20261201000300). */
  store: CertificateStore;
  resolver: Resolver;
}

export class CertificateService {
  constructor(private readonly deps: CertificateDeps) {}

  /** `mta-sts.<name>` for every domain and alias with a served policy; null while the database is unavailable. */
  async names(): Promise<string[] | null> {
    const names = await this.deps.served.names();
    return names === null ? null : names.map((domain) => policyHostName(domain));
  }

  /**
   * The certificate names with their policy's mode, Maximum Age and, for mode none, since when:
   * the built-in ACME client stops renewing once a retired policy's max_age has run out.
   * Null while the database is unavailable.
   */
  async targets(): Promise<CertificateTarget[] | null> {
    const { served } = this.deps;
    const domains = await served.names();
    if (domains === null) return null;
    const targets: CertificateTarget[] = [];
    for (const domain of domains) {
      const found = served.peek(domain) ?? (await served.lookup(domain).then((l) => (l.status === 'found' ? l.policy : null)));
      if (!found) continue;
      const noneSince = found.mode === 'none' ? await this.noneSince(found) : null;
      targets.push({ name: policyHostName(domain), mode: found.mode, maxAge: found.maxAge, noneSince });
    }
    return targets;
  }

  /** The IPv4 and IPv6 addresses a name has in DNS, through the plugin's own resolver. Never rejects. */
  async resolveAddresses(name: string): Promise<NameAddresses> {
    const { resolver } = this.deps;
    const [a, aaaa] = await Promise.all([
      resolver.lookup(name, 'A').catch((err: unknown) => ({ ok: false as const, failure: 'error', message: String(err) })),
      resolver.lookup(name, 'AAAA').catch((err: unknown) => ({ ok: false as const, failure: 'error', message: String(err) })),
    ]);
    const addresses = [...(a.ok ? a.records : []), ...(aaaa.ok ? aaaa.records : [])];
    if (addresses.length > 0) return { ok: true, addresses };
    // Both failed or both empty: say the A lookup's failure, the one an admin looks at first.
    const failure = !a.ok ? a : !aaaa.ok ? aaaa : null;
    return { ok: false, reason: failure ? `${failure.failure}: ${failure.message}` : 'no A or AAAA record' };
  }

  /** The built-in ACME client's state per certificate name (no key material), for status pages and the command. */
  async status(): Promise<Array<Omit<CertificateRow, 'keyEnc'>>> {
    // Before migration 20261201000300 (or never used): no state to show.
    if (!(await this.migrated())) return [];
    const rows = await this.deps.store.all();
    return rows.map(({ keyEnc: _secret, ...row }) => row);
  }

  /** The built-in ACME client's order state for a name, when it has one (for the DNS Check). */
  async orderState(name: string): Promise<AcmeOrderState | null> {
    if (!(await this.migrated())) return null;
    const row = await this.deps.store.get(name);
    return row ? { state: row.state, reason: row.reason, notAfter: row.notAfter, nextAttempt: row.nextAttempt } : null;
  }

  /** Whether the client's table exists: it does only once migrated. */
  private migrated(): Promise<boolean> {
    const { store } = this.deps;
    return store.knex.schema.hasTable(store.tables.certificates);
  }

  /** When a policy now in mode none got there: the oldest of the newest run of history entries in mode none. */
  private async noneSince(policy: StoredPolicy): Promise<string | null> {
    const record = await this.deps.policies.find(policy.domain).catch(() => null);
    if (!record) return policy.updatedAt;
    const { entries } = await this.deps.history.list(record.key, { limit: 50, offset: 0 });
    let since: string | null = null;
    for (const entry of entries) {
      if (entry.after.mode !== 'none') break;
      since = entry.changedAt;
    }
    return since ?? policy.updatedAt;
  }
}
