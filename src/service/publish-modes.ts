// Per domain, which way its `_mta-sts` id is published when a delegation is configured: directly
// when the DNS publisher updates the zone holding `_mta-sts.<domain>`, delegated otherwise (the
// decision itself is src/publish/plan.ts's `publishMode`). The publisher, the tab, the API, the
// DNS Check and `mta-sts show` all ask here, so they agree. The zone comes from --dns-zones (no
// question asked) or from the publisher (its server's SOA, PowerDNS's zone list), remembered for a
// while: a tab view never waits on the DNS server more than once in that time.
import { zoneAmong, type DnsPublisher } from '../publish/contract';
import { publishMode, type PublishMode } from '../publish/plan';
import { stsTxtName, type Delegation } from '../policy/records';

export interface DomainMode {
  mode: PublishMode;
  /** The delegation that applies to the domain: null when it is published directly. */
  delegation: Delegation | null;
  /**
   * False when the publisher's server could not say now and nothing was known before: the mode is
   * a guess (delegated) good enough to show, but publishing leaves the domain for the next run
   * rather than write its id to the wrong place.
   */
  settled: boolean;
}

/** How long a zone found at the server is remembered, and how many domains at most. */
const REMEMBER_MS = 10 * 60_000;
const MAX_REMEMBERED = 100_000;
/** The longest a question to the publisher's server holds up a page or a run. */
const ASK_MS = 3000;

export class PublishModes {
  private publisher: DnsPublisher | null;
  private zones: readonly string[];
  private readonly known = new Map<string, { zone: string | null; at: number }>();

  constructor(
    readonly delegation: Delegation | null,
    publisher: { provider: DnsPublisher; zones: readonly string[] } | null,
  ) {
    this.publisher = publisher?.provider ?? null;
    this.zones = publisher?.zones ?? [];
  }

  /** The publisher that runs (`serve --dns-update`, `mta-sts publish`): its zones decide from now on. */
  use(provider: DnsPublisher, zones: readonly string[] = []): void {
    this.publisher = provider;
    if (zones.length > 0) this.zones = zones;
    this.known.clear();
  }

  async of(domain: string): Promise<DomainMode> {
    const { delegation } = this;
    if (delegation === null) return { mode: 'direct', delegation: null, settled: true };
    const { zone, settled } = await this.updatableZone(domain);
    const mode = publishMode(delegation.zone, zone);
    return { mode, delegation: mode === 'delegated' ? delegation : null, settled };
  }

  /** The zone the publisher updates holding `_mta-sts.<domain>`; null when none does or nothing publishes. */
  private async updatableZone(domain: string): Promise<{ zone: string | null; settled: boolean }> {
    const name = stsTxtName(domain);
    if (this.zones.length > 0) return { zone: zoneAmong(name, this.zones), settled: true };
    const provider = this.publisher;
    if (provider?.zoneOf === undefined) return { zone: null, settled: true };
    const remembered = this.known.get(domain);
    if (remembered && Date.now() - remembered.at < REMEMBER_MS) return { zone: remembered.zone, settled: true };
    let timer: NodeJS.Timeout | undefined;
    try {
      const zone = await Promise.race([
        provider.zoneOf(name),
        new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error('slow')), ASK_MS))),
      ]);
      if (this.known.size >= MAX_REMEMBERED) this.known.delete(this.known.keys().next().value!);
      this.known.set(domain, { zone, at: Date.now() });
      return { zone, settled: true };
    } catch {
      // Not known now: what was known before, else delegated (the records every customer can publish).
      return remembered ? { zone: remembered.zone, settled: true } : { zone: null, settled: false };
    } finally {
      clearTimeout(timer);
    }
  }
}
