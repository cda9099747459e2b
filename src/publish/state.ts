// The state of each record a domain should publish, asked live of the authoritative name servers
// of its zone (each asked once, within a bounded time): for the API and, later, the tab. A record
// the product does not publish (the `mta-sts` CNAME, or every record without a publisher) is
// `not-managed`; its TXT records are still asked, so that an admin sees what the servers answer.
import type { PublishedRecord } from '../policy';
import { dnsState, type DnsState, type ServerAnswer } from './verdict';
import { verifyRecords, type VerifyOptions } from './verify';

export interface RecordState {
  type: PublishedRecord['type'];
  name: string;
  /** The value to publish. */
  wanted: string;
  state: DnsState;
  /** "published on 2 of 2 name servers", which ones lag, or why nothing was asked. */
  summary: string;
  /** What each authoritative name server answered (TXT strings at the name; null: no answer). */
  servers: ServerAnswer[];
  checkedAt: string;
}

/** The live check's bounds: 4 s in all, 2 s a question, 4 addresses per zone. */
const LIVE: VerifyOptions = { deadlineMs: 4000, timeoutMs: 2000, maxServers: 4, once: true };

export async function recordStates(records: readonly PublishedRecord[], managed: boolean, options: VerifyOptions = {}): Promise<RecordState[]> {
  const txt = records.filter((r) => r.type === 'TXT');
  const tagOf = (value: string) => (value.startsWith('v=TLSRPTv1') ? ('v=TLSRPTv1' as const) : ('v=STSv1' as const));
  const verified = await verifyRecords(
    txt.map((r) => ({ name: r.name, tag: tagOf(r.value), wanted: r.value })),
    { ...options, ...LIVE },
  );
  return records.map((record) => {
    const found = verified[txt.indexOf(record)];
    if (!found)
      return {
        type: record.type,
        name: record.name,
        wanted: record.value,
        state: 'not-managed',
        summary: 'published by hand: see the DNS Check',
        servers: [],
        checkedAt: new Date().toISOString(),
      };
    return {
      type: record.type,
      name: record.name,
      wanted: record.value,
      state: managed ? dnsState(found) : 'not-managed',
      summary: found.summary,
      servers: found.answers,
      checkedAt: found.checkedAt,
    };
  });
}
