// A mocha root hook (required by .mocharc*.json): records every answer of the JSON API that any
// server in this process sends during the whole run (supertest, fetch, the standalone app alike),
// by watching node's ServerResponse, and after the run checks each one against docs/openapi.json.
// The run fails listing each undocumented route, status or content type and each body that does
// not match its schema, so the document cannot drift from what the API answers.
import { ServerResponse, type IncomingMessage } from 'node:http';
import { ContractChecker, isDocumentedArea, loadDocument, type ApiAnswer } from './openapi';

/** Bodies beyond this are counted but not kept (no API answer is near it). */
const MAX_BODY = 8 * 1024 * 1024;

const answers: ApiAnswer[] = [];
const bodies = new WeakMap<ServerResponse, { chunks: Buffer[]; size: number }>();

function keep(res: ServerResponse, chunk: unknown, encoding: unknown): void {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
  const buffer = Buffer.isBuffer(chunk)
    ? chunk
    : typeof chunk === 'string'
      ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk)
        : null;
  if (!buffer) return;
  const kept = bodies.get(res) ?? { chunks: [], size: 0 };
  kept.size += buffer.length;
  if (kept.size <= MAX_BODY) kept.chunks.push(buffer);
  bodies.set(res, kept);
}

function requestOf(res: ServerResponse): (IncomingMessage & { originalUrl?: string }) | undefined {
  return (res as ServerResponse & { req?: IncomingMessage & { originalUrl?: string } }).req;
}

const watched = (res: ServerResponse): boolean => {
  const req = requestOf(res);
  return req !== undefined && isDocumentedArea(req.originalUrl ?? req.url ?? '');
};

const write = ServerResponse.prototype.write;
const end = ServerResponse.prototype.end;
ServerResponse.prototype.write = function (this: ServerResponse, ...args: unknown[]) {
  if (watched(this)) keep(this, args[0], args[1]);
  return (write as (...a: unknown[]) => boolean).apply(this, args);
} as typeof write;
ServerResponse.prototype.end = function (this: ServerResponse, ...args: unknown[]) {
  if (watched(this) && !this.writableEnded) {
    keep(this, args[0], args[1]);
    const req = requestOf(this)!;
    const kept = bodies.get(this);
    const type = this.getHeader('content-type');
    answers.push({
      method: req.method ?? 'GET',
      url: req.originalUrl ?? req.url ?? '',
      status: this.statusCode,
      contentType: type === undefined ? null : String(type),
      body: kept === undefined ? '' : kept.size > MAX_BODY ? null : Buffer.concat(kept.chunks).toString('utf8'),
    });
  }
  return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
} as typeof end;

/** The answers recorded so far (a test of the recorder reads them). */
export function recordedAnswers(): readonly ApiAnswer[] {
  return answers;
}

export const mochaHooks = {
  afterAll(this: unknown): void {
    if (answers.length === 0) return;
    const checker = new ContractChecker(loadDocument());
    const problems = new Map<string, number>();
    for (const answer of answers) for (const problem of checker.check(answer)) problems.set(problem, (problems.get(problem) ?? 0) + 1);
    if (process.env.API_CONTRACT_REPORT) process.stdout.write(`API contract: ${answers.length} answers checked against docs/openapi.json\n`);
    if (problems.size > 0) {
      const lines = [...problems].map(([problem, n]) => `  ${problem}${n > 1 ? ` (${n} times)` : ''}`);
      throw new Error(`${problems.size} API answers differ from docs/openapi.json:\n${lines.join('\n')}`);
    }
  },
};
