// Fetches the policy file the way a sending MTA does (RFC 8461 section 3.3): HTTPS to
// mta-sts.<domain> with SNI and a verified certificate, no redirects, no caching, 64 KiB cap.
import * as http from 'node:http';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import type { Resolver } from '../dns';
import { POLICY_PATH } from '../policy';
import {
  DEFAULT_PROBE_TIMEOUT_MS,
  addressFilterOf,
  connectError,
  connectTo,
  resolveAddress,
  secureHandshake,
  withDeadline,
  type CaOption,
  type CertificateInfo,
  type ProbeFailure,
  type ProbeNetwork,
} from './kit';
import { policyHostName } from '../policy/records';

/** The body size senders are advised to accept at most (RFC 8461 section 3.3). */
export const MAX_POLICY_BYTES = 64 * 1024;
/** The response head (status line and headers) read at most; node:http fails a longer one. */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * Every byte read from the TLS connection, head, body and chunk framing together. The body cap
 * alone counts decoded body bytes; this one also bounds what chunk extensions and trailers add.
 */
export const MAX_HTTPS_BYTES = MAX_POLICY_BYTES + MAX_HEADER_BYTES + 16 * 1024;

export interface HttpsProbeOptions extends ProbeNetwork {
  resolver: Resolver;
  domain: string;
  port?: number;
  ca?: CaOption;
  timeoutMs?: number;
}

/** What the fetch saw, as far as it got. `failure` is set when it stopped before an HTTP answer. */
export interface HttpsProbeResult {
  url: string;
  address?: string;
  failure?: ProbeFailure;
  tlsVersion?: string;
  certificate?: CertificateInfo;
  status?: number;
  location?: string;
  contentType?: string;
  body?: string;
  bodyTooLarge?: boolean;
}

export function probeHttps(options: HttpsProbeOptions): Promise<HttpsProbeResult> {
  const host = policyHostName(options.domain);
  const port = options.port ?? 443;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const result: HttpsProbeResult = { url: `https://${host}${port === 443 ? '' : `:${port}`}${POLICY_PATH}` };
  const stop = (failure: ProbeFailure): HttpsProbeResult => Object.assign(result, { failure });

  return withDeadline(
    timeoutMs,
    async (run) => {
      run.stage = `looking up ${host}`;
      const resolved = await resolveAddress(options.resolver, host, addressFilterOf(options));
      if (!resolved.ok) {
        if (resolved.failure) result.address = resolved.failure.address;
        return stop(resolved.failure ?? { stage: 'dns', message: resolved.message });
      }
      result.address = resolved.address;
      const target = net.isIPv6(resolved.address) ? `[${resolved.address}]:${port}` : `${resolved.address}:${port}`;

      run.stage = `connecting to ${target}`;
      await run.slot(options.limiter);
      const tcp = await connectTo(run, resolved.address, port);
      if (!tcp.ok) return stop({ stage: 'connect', message: connectError(tcp.error, target) });
      const handshake = await secureHandshake(run, { socket: tcp.socket }, host, options.ca);
      Object.assign(result, { tlsVersion: handshake.tlsVersion, certificate: handshake.certificate });
      // Like a sender, send nothing over a connection whose certificate does not pass.
      if (!handshake.ok) return stop(handshake.failure);

      run.stage = 'waiting for the HTTP response';
      const response = await get(handshake.socket, host);
      if (!response.ok && response.tooMuch) {
        return stop({
          stage: 'protocol',
          code: 'too-much-data',
          message: `the server sent more than ${MAX_HTTPS_BYTES / 1024} KiB, more than a policy file can need, so the check stopped reading`,
        });
      }
      if (!response.ok) return stop({ stage: 'protocol', message: `the server did not answer with valid HTTP: ${response.message}` });
      return Object.assign(result, response.fields);
    },
    (stage) => stop({ stage: 'timeout', message: `no complete answer within ${timeoutMs / 1000} s (stalled ${stage})` }),
    (err) => stop({ stage: 'internal', message: `the HTTPS check failed unexpectedly: ${err instanceof Error ? err.message : String(err)}` }),
  );
}

type Response =
  | { ok: true; fields: Pick<HttpsProbeResult, 'status' | 'location' | 'contentType' | 'body' | 'bodyTooLarge'> }
  | { ok: false; message: string; tooMuch?: boolean };

/** One HTTP/1.1 GET over the already verified TLS socket; node:http does the parsing. */
function get(socket: tls.TLSSocket, host: string): Promise<Response> {
  return new Promise((resolve) => {
    const request = http.request(
      {
        createConnection: () => socket,
        method: 'GET',
        path: POLICY_PATH,
        setHost: false,
        maxHeaderSize: MAX_HEADER_BYTES,
        headers: { Host: host, Accept: 'text/plain', 'Cache-Control': 'no-cache', Connection: 'close', 'User-Agent': 'mta-sts-dns-check' },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const head = { status, location: res.headers.location, contentType: res.headers['content-type'] };
        // A redirect is a failure whatever it carries; there is no need to read it.
        if (status >= 300 && status < 400) return resolve({ ok: true, fields: head });
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_POLICY_BYTES) {
            resolve({ ok: true, fields: { ...head, bodyTooLarge: true } });
            socket.destroy();
          } else chunks.push(chunk);
        });
        res.on('end', () => resolve({ ok: true, fields: { ...head, body: Buffer.concat(chunks).toString('utf8') } }));
        res.on('error', (err) => resolve({ ok: false, message: err.message }));
      },
    );
    request.on('error', (err) => resolve({ ok: false, message: err.message }));
    // Counted once node:http listens (it emits 'socket' after attaching its own reader), so that
    // no byte reaches this counter without reaching the parser too.
    let read = 0;
    request.once('socket', () =>
      socket.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_HTTPS_BYTES) {
          resolve({ ok: false, message: 'too much data', tooMuch: true });
          socket.destroy();
        }
      }),
    );
    request.end();
  });
}
