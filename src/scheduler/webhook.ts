// The alert webhook's HTTP exchange, bounded like every other outside call: one deadline for the
// whole of it (look-up, connect, send, head and body), at most 64 KiB of reply read, and the
// connection destroyed when either is reached. fetch() was used before: its abort signal did not
// bound the body read that followed, so a receiver streaming an endless reply held the run and
// its memory. node:http closes the socket when told to.
import * as http from 'node:http';
import * as https from 'node:https';

/** The reply body read at most; a longer one is not read further and fails the delivery. */
const WEBHOOK_REPLY_LIMIT = 64 * 1024;
/** The reply's status line and headers at most (node:http fails a longer head). */
const WEBHOOK_HEADER_LIMIT = 16 * 1024;

/** Why a webhook delivery failed: the `code` of a WebhookError. */
type WebhookFailure =
  'MTA_STS_WEBHOOK_TIMEOUT' | 'MTA_STS_WEBHOOK_REPLY_TOO_LARGE' | 'MTA_STS_WEBHOOK_BAD_REPLY' | 'MTA_STS_WEBHOOK_STATUS' | 'MTA_STS_WEBHOOK_UNREACHABLE';

class WebhookError extends Error {
  constructor(
    readonly code: WebhookFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookError';
  }
}

/** POSTs `body` to `url`; resolves on a 2xx reply read to its end, rejects with a WebhookError otherwise. */
export function postWebhookBody(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    let settled = false;
    const finish = (failure: WebhookError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Whatever state the exchange is in, nothing more is read or kept open.
      request.destroy();
      if (failure) reject(failure);
      else resolve();
    };
    const timer = setTimeout(
      () => finish(new WebhookError('MTA_STS_WEBHOOK_TIMEOUT', `the webhook did not answer completely within ${timeoutMs} ms; the connection was closed`)),
      timeoutMs,
    );
    const options: http.RequestOptions = {
      method: 'POST',
      headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' },
      // One connection per alert, never a pooled one a slow reply could hold.
      agent: false,
      maxHeaderSize: WEBHOOK_HEADER_LIMIT,
    };
    const request = (target.protocol === 'https:' ? https : http).request(target, options, (reply) => {
      const status = reply.statusCode ?? 0;
      // Redirects are not followed: the alert goes where it was configured or nowhere.
      if (status < 200 || status > 299) return finish(new WebhookError('MTA_STS_WEBHOOK_STATUS', `the webhook answered ${status}`));
      let read = 0;
      reply.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > WEBHOOK_REPLY_LIMIT) {
          finish(
            new WebhookError(
              'MTA_STS_WEBHOOK_REPLY_TOO_LARGE',
              `the webhook's reply is longer than ${WEBHOOK_REPLY_LIMIT / 1024} KiB; it was not read further and the connection was closed`,
            ),
          );
        }
      });
      reply.on('end', () => finish(null));
      reply.on('error', (err) => finish(new WebhookError('MTA_STS_WEBHOOK_UNREACHABLE', `the webhook's reply broke off: ${err.message}`)));
    });
    request.on('error', (err: NodeJS.ErrnoException) =>
      finish(
        // node:http's parser codes (HPE_HEADER_OVERFLOW for a head over the limit, HPE_INVALID_...).
        err.code?.startsWith('HPE_')
          ? new WebhookError(
              'MTA_STS_WEBHOOK_BAD_REPLY',
              `the webhook's reply is not HTTP or its head is longer than ${WEBHOOK_HEADER_LIMIT / 1024} KiB (${err.code})`,
            )
          : new WebhookError('MTA_STS_WEBHOOK_UNREACHABLE', `the webhook could not be reached: ${err.code ?? err.message}`),
      ),
    );
    request.end(body);
  });
}
