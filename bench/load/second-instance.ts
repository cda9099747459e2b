// Figure 2's saver and observer, in a process of its own (so that its timing is not distorted by
// the load generator's busy event loop): polls instance B every few milliseconds and saves a new
// policy through instance A's API each time B has just (re)loaded its snapshot (its first request,
// then the moment it is seen serving the previous save). That is B's worst case: it then serves
// the old policy for about its whole cache lifetime.
import http from 'node:http';
import { request } from '../lib/http';
import { childConfig, failChild, tell } from '../lib/util';

export interface SecondInstanceConfig {
  a: string;
  b: string;
  host: string;
  domain: string;
  apiKey: string;
  saves: number;
  maxSeconds: number;
  pollMs: number;
}

export interface SaveRecord {
  maxAge: number;
  oldBody: string;
  newBody: string;
  sentAt: number;
  answeredAt: number;
  /** B's last poll that still saw the old policy, first that saw the new one (ms after the save's response). */
  bLastOldMs: number | null;
  bFirstNewMs: number | null;
}

const PATH = '/.well-known/mta-sts.txt';

async function main(): Promise<void> {
  const config = childConfig<SecondInstanceConfig>();
  const deadline = Date.now() + config.maxSeconds * 1000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const saves: SaveRecord[] = [];
  let unexpected = 0;
  let polls = 0;
  let maxGapMs = 0;
  let lastPollAt = 0;

  const save = async (oldBody: string) => {
    const maxAge = 86400 + 60 * (saves.length + 1);
    const record: SaveRecord = {
      maxAge,
      oldBody,
      newBody: oldBody.replace(/max_age: \d+\r\n/, `max_age: ${maxAge}\r\n`),
      sentAt: Date.now(),
      answeredAt: 0,
      bLastOldMs: null,
      bFirstNewMs: null,
    };
    const reply = await request(`${config.a}/api/v1/mta-sts/${config.domain}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': config.apiKey },
      body: JSON.stringify({ maxAge }),
    });
    record.answeredAt = Date.now();
    if (reply.status !== 200 || (JSON.parse(reply.body) as { maxAge?: unknown }).maxAge !== maxAge)
      throw new Error(`save answered ${reply.status}: ${reply.body}`);
    // What A serves now must be the predicted body, or the bench's check would be meaningless.
    const served = await request(`${config.a}${PATH}`, { headers: { Host: config.host } });
    if (served.body !== record.newBody) throw new Error(`A serves ${JSON.stringify(served.body)} after the save, expected ${JSON.stringify(record.newBody)}`);
    saves.push(record);
  };

  // Every body B may serve, oldest first: B must never go back to an older one.
  const order: string[] = [];
  let newestSeen = -1;
  let regressions = 0;
  for (;;) {
    const reply = await request(`${config.b}${PATH}`, { headers: { Host: config.host }, agent });
    const at = Date.now();
    if (lastPollAt) maxGapMs = Math.max(maxGapMs, at - lastPollAt);
    lastPollAt = at;
    polls += 1;
    if (order.length === 0) order.push(reply.body);
    const index = reply.status === 200 ? order.indexOf(reply.body) : -1;
    if (index === -1) unexpected += 1;
    else if (index < newestSeen) regressions += 1;
    else newestSeen = index;
    const latest = saves[saves.length - 1];
    if (index === -1) {
      // Counted above; keep polling.
    } else if (!latest) {
      // B's first request: it has just loaded its snapshot.
      await save(reply.body);
      order.push(saves[0].newBody);
    } else if (latest.bFirstNewMs === null) {
      if (reply.body === latest.newBody) {
        latest.bFirstNewMs = at - latest.answeredAt;
        if (saves.length >= config.saves) break;
        await save(reply.body);
        order.push(saves[saves.length - 1].newBody);
      } else latest.bLastOldMs = at - latest.answeredAt;
    }
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, config.pollMs));
  }
  agent.destroy();
  tell({ type: 'result', saves, unexpected, regressions, polls, maxGapMs });
  process.exit(0);
}

main().catch(failChild);
