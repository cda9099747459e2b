// Reading what the zones hold and applying a plan through any provider: reads a few at a time,
// changes as one batch when the provider offers it (one message per zone), and otherwise, or when
// the batch fails, record by record, so that an error on one name never stops the others.
// Transient failures are retried a bounded number of times with growing pauses.
import { PublishError, type DnsPublisher, type Replacement } from './contract';
import { planRecord, PUBLISH_TTL, type ManagedRecord, type PlannedRecord } from './plan';

export interface Outcome {
  record: PlannedRecord;
  /** 'applied', 'failed' (with its sentence), or 'skipped' (nothing to do, or unknown). */
  result: 'applied' | 'failed' | 'skipped';
  error?: string;
}

export interface ApplyOptions {
  /** Attempts per change, at least 1 (default 3). */
  attempts?: number;
  /** The first pause between two attempts; each next one doubles (default 500 ms). */
  backoffMs?: number;
  /** Reads at once (default 8). */
  concurrency?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads each record's set and plans it. A read that fails plans nothing for that record. */
export async function readPlan(publisher: DnsPublisher, records: readonly ManagedRecord[], concurrency = 8): Promise<PlannedRecord[]> {
  const plan: PlannedRecord[] = new Array<PlannedRecord>(records.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < records.length; i = next++) {
      const held = await publisher.read(records[i].name, records[i].type).catch((): 'unknown' => 'unknown');
      plan[i] = planRecord(records[i], held);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, records.length)) }, worker));
  return plan;
}

function sentence(err: unknown): string {
  return err instanceof PublishError ? err.message : (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

async function withRetries(work: () => Promise<void>, attempts: number, backoffMs: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const transient = !(err instanceof PublishError) || err.transient;
      if (!transient || attempt >= attempts) throw err;
      await sleep(backoffMs * 2 ** (attempt - 1));
    }
  }
}

export async function applyPlan(publisher: DnsPublisher, plan: readonly PlannedRecord[], options: ApplyOptions = {}): Promise<Outcome[]> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const backoffMs = options.backoffMs ?? 500;
  const changes = plan.filter((r) => r.action !== null && r.action !== 'none');
  const outcomes = new Map<PlannedRecord, Outcome>(plan.map((record) => [record, { record, result: 'skipped' }]));
  const replacement = (r: PlannedRecord): Replacement => ({ name: r.name, type: r.type, ttl: PUBLISH_TTL, records: r.records });
  let batched = false;
  let single = attempts;
  if (publisher.batch && changes.length > 1) {
    try {
      await withRetries(() => publisher.batch!(changes.map(replacement)), attempts, backoffMs);
      batched = true;
    } catch {
      // One refused name refuses its whole message: each change goes alone, to say which one
      // failed; the retries were spent on the batch, so that a server that is down fails soon.
      single = 1;
    }
  }
  for (const record of changes) {
    if (batched) {
      outcomes.set(record, { record, result: 'applied' });
      continue;
    }
    try {
      await withRetries(() => publisher.replace(record.name, record.type, PUBLISH_TTL, record.records), single, backoffMs);
      outcomes.set(record, { record, result: 'applied' });
    } catch (err) {
      outcomes.set(record, { record, result: 'failed', error: sentence(err) });
    }
  }
  return plan.map((record) => outcomes.get(record)!);
}
