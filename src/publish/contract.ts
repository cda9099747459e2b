// The publisher contract: what a DNS provider implements so that the product can publish its own
// records (after libdns and octoDNS). A provider reads and replaces whole record sets (RRsets) and
// nothing else; which records, in which order, how often and with which brakes is the core's work
// (./plan.ts, ./apply.ts), the same for every provider.

/** The record types the core publishes. Only TXT for now: `_mta-sts` and `_smtp._tls`. */
export type PublishedType = 'TXT';

/** One record set to write: every record at (name, type), as whole TXT strings. */
export interface Replacement {
  /** The owner name, without the final dot. */
  name: string;
  type: PublishedType;
  /** Seconds. */
  ttl: number;
  /** The full set after the change; empty removes the set. A TXT string longer than 255 bytes is split by the provider. */
  records: string[];
}

export interface DnsPublisher {
  /** The records at (name, type) as the provider holds them (TXT character-strings joined), [] for none, 'unknown' when it cannot tell. */
  read(name: string, type: PublishedType): Promise<string[] | 'unknown'>;
  /** Replaces the whole set at (name, type); throws a PublishError when refused. */
  replace(name: string, type: PublishedType, ttl: number, records: string[]): Promise<void>;
  /** Optional: several replacements at once (one message per zone); all or nothing per call. */
  batch?(replacements: Replacement[]): Promise<void>;
  /**
   * Optional: the zone this provider updates that holds `name`, or null when it holds none (the
   * name's zone is elsewhere). Throws when it cannot tell now. With a delegation configured, a
   * domain whose `_mta-sts` name is in such a zone is published directly, the others delegated.
   */
  zoneOf?(name: string): Promise<string | null>;
}

/**
 * A refused or failed change: one sentence naming the zone and the reason. `transient` failures
 * (a timeout, a refused connection, SERVFAIL, HTTP 5xx) are worth a retry; a wrong key is not.
 * When the zone itself is not known yet, the sentence names the record's name instead (`subject`
 * 'name'), never calling a record name a zone.
 */
export class PublishError extends Error {
  constructor(
    readonly zone: string,
    readonly reason: string,
    readonly transient: boolean,
    subject: 'zone' | 'name' = 'zone',
  ) {
    super(`${subject} ${zone}: ${reason}`);
    this.name = 'PublishError';
  }
}

/** Splits a TXT string into character-strings of at most 255 bytes (RFC 1035 3.3.14), never inside a UTF-8 sequence. */
export function txtChunks(text: string): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + 255, bytes.length);
    // Back off continuation bytes (10xxxxxx) so that a character is never cut in two.
    while (end < bytes.length && end > start + 1 && (bytes[end] & 0xc0) === 0x80) end -= 1;
    chunks.push(bytes.subarray(start, end));
    start = end;
  }
  return chunks.length > 0 ? chunks : [Buffer.alloc(0)];
}

/** The zone of `name` among `zones`: the longest that holds it, or null. */
export function zoneAmong(name: string, zones: readonly string[]): string | null {
  const lower = name.toLowerCase();
  let best: string | null = null;
  for (const zone of zones) {
    const z = zone.toLowerCase().replace(/\.$/, '');
    if ((lower === z || lower.endsWith(`.${z}`)) && (best === null || z.length > best.length)) best = z;
  }
  return best;
}
