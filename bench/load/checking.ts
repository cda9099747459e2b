// Figure 2's load generator, in a process of its own: autocannon's API drives instance A and
// records, for EVERY response, when its request was sent, when it arrived and which body it
// carried. When the parent says `finish` (with the saves made meanwhile, timed by another
// process), it checks each save: no response to a request sent after the save's response may
// carry an older policy. Times are Date.now() (the wall clock every process shares, 1 ms steps).
import { childConfig, failChild, tell } from '../lib/util';

// autocannon ships no type declarations.
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => AutocannonInstance;
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
interface AutocannonInstance {
  on(event: 'done', listener: (result: AutocannonResult) => void): void;
  stop(): void;
}
interface AutocannonClient {
  on(event: 'request', listener: () => void): void;
  on(event: 'response', listener: (status: number) => void): void;
}

export interface CheckingConfig {
  url: string;
  host: string;
  connections: number;
  maxSeconds: number;
}

/** A save as the saving process saw it. */
export interface SaveTiming {
  oldBody: string;
  newBody: string;
  sentAt: number;
  answeredAt: number;
}

export interface SaveVerdict {
  /** Responses that arrived after the save's response (until the next save was sent). */
  observedAfter: number;
  /** ...whose request was sent after the save's response, yet carried an older policy: must be 0. */
  staleAfter: number;
  /** ...whose request was sent before (in flight), carrying the old policy: allowed. */
  inFlightOld: number;
  /** ...carrying neither policy (another status or body). */
  unexpected: number;
}

const CAPACITY = 2_000_000;

async function main(): Promise<void> {
  const config = childConfig<CheckingConfig>();
  const sent = new Float64Array(CAPACITY);
  const received = new Float64Array(CAPACITY);
  const bodyIds = new Int32Array(CAPACITY);
  const bodies = new Map<string, number>();
  let count = 0;
  let lastBody = '';
  let lastStatus = 0;
  const idOf = (status: number, body: string): number => {
    if (status !== 200) return -1;
    let id = bodies.get(body);
    if (id === undefined) bodies.set(body, (id = bodies.size));
    return id;
  };

  const instance = autocannon({
    url: config.url,
    connections: config.connections,
    duration: config.maxSeconds,
    headers: { host: config.host },
    requests: [
      {
        method: 'GET',
        // Called just before the same connection's `response` event (autocannon's httpClient.js).
        onResponse: (status: number, body: string) => {
          lastStatus = status;
          lastBody = body;
        },
      },
    ],
    setupClient: (client: AutocannonClient) => {
      let sentAt = 0;
      client.on('request', () => {
        sentAt = Date.now();
      });
      client.on('response', () => {
        if (count >= CAPACITY) return;
        sent[count] = sentAt;
        received[count] = Date.now();
        bodyIds[count] = idOf(lastStatus, lastBody);
        count += 1;
      });
    },
  });
  const done = new Promise<AutocannonResult>((resolve) => instance.on('done', resolve));
  tell({ type: 'started' });

  const saves = await new Promise<SaveTiming[]>((resolve) => {
    process.on('message', (raw) => {
      const message = raw as { type: string; saves?: SaveTiming[] };
      if (message.type === 'finish') resolve(message.saves ?? []);
    });
    void done.then(() => resolve([]));
  });
  instance.stop();
  const load = await done;

  const verdicts: SaveVerdict[] = saves.map((save, i) => {
    const until = saves[i + 1]?.sentAt ?? Number.POSITIVE_INFINITY;
    const newId = bodies.get(save.newBody);
    const olderIds = new Set(
      saves
        .slice(0, i + 1)
        .map((s) => bodies.get(s.oldBody))
        .filter((id) => id !== undefined),
    );
    const verdict: SaveVerdict = { observedAfter: 0, staleAfter: 0, inFlightOld: 0, unexpected: 0 };
    for (let r = 0; r < count; r++) {
      if (received[r] <= save.answeredAt || received[r] >= until) continue;
      verdict.observedAfter += 1;
      const id = bodyIds[r];
      if (id === newId) continue;
      if (olderIds.has(id)) {
        // Sent in the same millisecond as the save's response: cannot tell which came first.
        if (sent[r] > save.answeredAt) verdict.staleAfter += 1;
        else verdict.inFlightOld += 1;
      } else verdict.unexpected += 1;
    }
    return verdict;
  });
  tell({
    type: 'result',
    rps: load.requests.average,
    requests: load.requests.total,
    p50: load.latency.p50,
    p99: load.latency.p99,
    non2xx: load.non2xx,
    errors: load.errors,
    recorded: count,
    distinctBodies: bodies.size,
    verdicts,
  });
  process.exit(0);
}

main().catch(failChild);
