// The alert webhook against hostile receivers on loopback: one that answers 200 and then streams
// a reply without end, one that trickles its reply a byte at a time, one that never answers. The
// call must end within its timeout (the whole exchange: connect, send, headers, body), read at
// most 64 KiB, close the connection, and say why with a machine code.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { channels, type AlertMessage } from '../../src/scheduler/notify';

const TIMEOUT_MS = 1000;

const MESSAGE: AlertMessage = {
  type: 'mta-sts.alert',
  domain: 'example.org',
  condition: 'id-mismatch',
  state: 'raised',
  codes: ['sts-txt.other-id'],
  failures: null,
  checkedAt: '2026-12-01T08:00:00.000Z',
  locale: 'en',
  subject: 'MTA-STS: example.org',
  text: 'The scheduled DNS Check found a problem.',
};

/** A receiver: what it does after the request's headers, and what it managed to write before its socket closed. */
interface Receiver {
  url: string;
  /** Bytes the kernel took from the receiver, summed over closed connections and open ones. */
  written(): number;
  /** Resolves when every connection the receiver accepted is closed, or after `ms`. */
  allClosed(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

async function receiver(answer: (res: ServerResponse) => void): Promise<Receiver> {
  const sockets = new Set<Socket>();
  let closedBytes = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closedBytes += socket.bytesWritten;
      sockets.delete(socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    written: () => closedBytes + [...sockets].reduce((sum, s) => sum + s.bytesWritten, 0),
    allClosed: async (ms) => {
      const until = Date.now() + ms;
      while (sockets.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return sockets.size === 0;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sends the alert through the webhook channel; resolves to how long it took and how it failed. */
async function send(url: string): Promise<{ ms: number; error: (Error & { code?: string }) | null }> {
  const [webhook] = channels({ locale: 'en', email: null, webhook: { url, secret: null, timeoutMs: TIMEOUT_MS } });
  const started = Date.now();
  // Bounded here too, so that an unbounded channel fails this test instead of hanging it.
  const outcome = await Promise.race([
    webhook.send(MESSAGE).then(
      () => null,
      (err: Error & { code?: string }) => err,
    ),
    new Promise<Error>((resolve) => setTimeout(() => resolve(new Error('still running 5 s after its 1 s timeout')), 5000)),
  ]);
  webhook.close();
  return { ms: Date.now() - started, error: outcome };
}

describe('alert webhook replies (a hostile receiver on loopback)', function () {
  this.timeout(15_000);
  let server: Receiver | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('stops reading an endless reply at 64 KiB, closes the connection, and fails with a code', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    server = await receiver((res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const { ms, error } = await send(server.url);
    assert.ok(ms < TIMEOUT_MS + 1000, `ended after ${ms} ms`);
    assert.ok(await server.allClosed(2000), 'the connection is closed once the reader stopped');
    // What the receiver got rid of before the close: 64 KiB read plus what loopback's socket
    // buffers hold; an unbounded reader takes hundreds of MiB a second.
    const written = server.written();
    assert.ok(written < 16 * 1024 * 1024, `the receiver wrote ${(written / 1024 / 1024).toFixed(1)} MiB in ${ms} ms before the connection closed`);
    assert.ok(error, 'an endless reply is not a delivered alert');
    assert.equal(error.code, 'MTA_STS_WEBHOOK_REPLY_TOO_LARGE', error.message);
    assert.match(error.message, /64 KiB/);
  });

  it('gives up on a reply that trickles in within the timeout, and closes the connection', async () => {
    let timer: NodeJS.Timeout | undefined;
    server = await receiver((res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      // A byte every 50 ms: never idle long enough for an idle timeout, never finished.
      timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('.')), 50);
    });
    try {
      const { ms, error } = await send(server.url);
      assert.ok(ms >= TIMEOUT_MS - 50 && ms < TIMEOUT_MS + 1000, `ended after ${ms} ms`);
      assert.ok(await server.allClosed(2000), 'the connection is closed at the timeout');
      assert.ok(error, 'a reply that never ends is not a delivered alert');
      assert.equal(error.code, 'MTA_STS_WEBHOOK_TIMEOUT', error.message);
      assert.match(error.message, /1000 ms/);
    } finally {
      clearInterval(timer);
    }
  });

  it('gives up on a receiver that never answers, within the timeout', async () => {
    server = await receiver(() => undefined);
    const { ms, error } = await send(server.url);
    assert.equal(error?.code, 'MTA_STS_WEBHOOK_TIMEOUT', error?.message);
    assert.ok(ms < TIMEOUT_MS + 1000, `ended after ${ms} ms`);
    assert.ok(await server.allClosed(2000), 'the connection is closed at the timeout');
  });

  it('refuses a reply head without end (16 KiB at most) and closes the connection', async () => {
    // Raw: node:http itself would not send a head this size.
    const raw = createTcpServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\n');
        const header = `X-Filler: ${'y'.repeat(1000)}\r\n`.repeat(16);
        const pump = () => {
          while (!socket.destroyed && socket.write(header));
          if (!socket.destroyed) socket.once('drain', pump);
        };
        pump();
      });
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    try {
      const { ms, error } = await send(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/hook`);
      assert.ok(ms < TIMEOUT_MS + 1000, `ended after ${ms} ms`);
      assert.equal(error?.code, 'MTA_STS_WEBHOOK_BAD_REPLY', error?.message);
      assert.match(error?.message ?? '', /16 KiB \(HPE_HEADER_OVERFLOW\)/);
    } finally {
      raw.close();
    }
  });

  it('takes a short 2xx reply as delivered, and names the status of any other', async () => {
    let status = 204;
    server = await receiver((res) => res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status === 204 ? '' : 'go away'));
    assert.equal((await send(server.url)).error, null);
    status = 302;
    const redirected = await send(server.url);
    assert.equal(redirected.error?.code, 'MTA_STS_WEBHOOK_STATUS');
    assert.match(redirected.error?.message ?? '', /answered 302/);
    status = 503;
    const refused = await send(server.url);
    assert.equal(refused.error?.code, 'MTA_STS_WEBHOOK_STATUS');
    assert.match(refused.error?.message ?? '', /answered 503/);
  });
});
