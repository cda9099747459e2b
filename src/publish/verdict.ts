// Whether a record is published, decided without I/O from what each authoritative name server of
// its zone answered: on how many it is served as wanted, which ones lag and why, and the state the
// API shows. ./verify.ts gathers the answers.
import { isOurs, type ManagedRecord } from './plan';

/** What one authoritative name server answered for a record's name. */
export interface ServerAnswer {
  /** The name server's host name (from the zone's NS records). */
  server: string;
  /** The address it was asked at, `ip:port`. */
  address: string;
  /** Every TXT string it serves there ([] for none); null when it gave no usable answer. */
  records: string[] | null;
  /** Why there is no usable answer (a timeout, REFUSED, an answer without authority). */
  error?: string;
}

export interface Lagging {
  server: string;
  address: string;
  /** What it serves instead (our strings; [] for none), or null when it gave no answer. */
  serves: string[] | null;
  reason: string;
}

export interface Verdict {
  /** Name servers that serve the record as wanted. */
  published: number;
  /** Name servers asked. */
  total: number;
  lagging: Lagging[];
  /** "published on 2 of 2 name servers", or which ones lag. */
  summary: string;
}

/** True when `records` hold our string exactly as wanted (one of ours, equal), or none of ours when it is to be removed. */
export function serves(record: Pick<ManagedRecord, 'tag' | 'wanted'>, records: readonly string[]): boolean {
  const ours = records.filter((text) => isOurs(text, record.tag));
  return record.wanted === null ? ours.length === 0 : ours.length === 1 && ours[0] === record.wanted;
}

export function verdict(record: Pick<ManagedRecord, 'tag' | 'wanted'>, answers: readonly ServerAnswer[]): Verdict {
  const lagging: Lagging[] = [];
  for (const answer of answers) {
    if (answer.records === null) {
      lagging.push({ server: answer.server, address: answer.address, serves: null, reason: answer.error ?? 'no answer' });
    } else if (!serves(record, answer.records)) {
      const ours = answer.records.filter((text) => isOurs(text, record.tag));
      const reason = ours.length === 0 ? 'serves no such record yet' : `still serves ${ours.map((text) => `"${text}"`).join(', ')}`;
      lagging.push({ server: answer.server, address: answer.address, serves: ours, reason });
    }
  }
  const published = answers.length - lagging.length;
  const done = record.wanted === null ? 'removed from' : 'published on';
  const head = answers.length === 0 ? 'no authoritative name server found' : `${done} ${published} of ${answers.length} name servers`;
  const summary = lagging.length === 0 ? head : `${head}; lagging: ${lagging.map((l) => `${l.server} (${l.address}) ${l.reason}`).join('; ')}`;
  return { published, total: answers.length, lagging, summary };
}

/** The state the API and the tab show for a record to publish. */
export type DnsState = 'published' | 'pending' | 'differs' | 'not-managed';

/**
 * `published`: every name server serves the record as wanted; `pending`: some do and others not
 * yet, or none could be asked (nothing is known to differ); `differs`: no name server that
 * answered serves it as wanted. `not-managed` is for a product without a publisher, decided by the
 * caller.
 */
export function dnsState(result: Verdict): Exclude<DnsState, 'not-managed'> {
  if (result.total > 0 && result.published === result.total) return 'published';
  const answered = result.total - result.lagging.filter((l) => l.serves === null).length;
  return result.published > 0 || answered === 0 ? 'pending' : 'differs';
}
