// Fetches the policy file the way a sending MTA does (RFC 8461 section 3.3): HTTPS to
// mta-sts.<domain> with SNI and a verified certificate, no redirects, no caching, 64 KiB cap.
import * as http from 'node:http';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import type { Resolver } from '../dns';
import { POLICY_PATH } from '../policy';
import {
  DEFAULT_PROBE_TIMEOUT_MS, connectError, resolveAddress, secureHandshake, withDeadline,
  type CaOption, type CertificateInfo, type ProbeFailure, type ProbeRun,
} from './kit';

/** The body size senders are advised to accept at most (RFC 8461 section 3.3). */
export const MAX_POLICY_BYTES = 64 * 1024;

export interface HttpsProbeOptions {
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
  const host = `mta-sts.${options.domain}`;
  const port = options.port ?? 443;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const result: HttpsProbeResult = { url: `https://${host}${port === 443 ? '' : `:${port}`}${POLICY_PATH}` };
  const stop = (failure: ProbeFailure): HttpsProbeResult => Object.assign(result, { failure });

  return withDeadline(timeoutMs, async (run) => {
    run.stage = `looking up ${host}`;
    const resolved = await resolveAddress(options.resolver, host);
    if (!resolved.ok) return stop({ stage: 'dns', message: resolved.message });
    result.address = resolved.address;
    const target = net.isIPv6(resolved.address) ? `[${resolved.address}]:${port}` : `${resolved.address}:${port}`;

    run.stage = `connecting to ${target}`;
    const tcp = await connect(run, resolved.address, port);
    if (!tcp.ok) return stop({ stage: 'connect', message: connectError(tcp.error, target) });
    const handshake = await secureHandshake(run, { socket: tcp.socket }, host, options.ca);
    Object.assign(result, { tlsVersion: handshake.tlsVersion, certificate: handshake.certificate });
    // Like a sender, send nothing over a connection whose certificate does not pass.
    if (!handshake.ok) return stop(handshake.failure);

    run.stage = 'waiting for the HTTP response';
    const response = await get(handshake.socket, host);
    if (!response.ok) return stop({ stage: 'protocol', message: `the server did not answer with valid HTTP: ${response.message}` });
    return Object.assign(result, response.fields);
  },
  (stage) => stop({ stage: 'timeout', message: `no complete answer within ${timeoutMs / 1000} s (stalled ${stage})` }),
  (err) => stop({ stage: 'internal', message: `the HTTPS check failed unexpectedly: ${err instanceof Error ? err.message : String(err)}` }));
}

function connect(run: ProbeRun, address: string, port: number): Promise<{ ok: true; socket: net.Socket } | { ok: false; error: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const socket = run.track(net.connect({ host: address, port }));
    socket.once('connect', () => resolve({ ok: true, socket }));
    socket.once('error', (error) => resolve({ ok: false, error }));
  });
}

type Response = { ok: true; fields: Pick<HttpsProbeResult, 'status' | 'location' | 'contentType' | 'body' | 'bodyTooLarge'> } | { ok: false; message: string };

/** One HTTP/1.1 GET over the already verified TLS socket; node:http does the parsing. */
function get(socket: tls.TLSSocket, host: string): Promise<Response> {
  return new Promise((resolve) => {
    const request = http.request({
      createConnection: () => socket,
      method: 'GET',
      path: POLICY_PATH,
      setHost: false,
      headers: { Host: host, Accept: 'text/plain', 'Cache-Control': 'no-cache', Connection: 'close', 'User-Agent': 'mta-sts-dns-check' },
    }, (res) => {
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
    });
    request.on('error', (err) => resolve({ ok: false, message: err.message }));
    request.end();
  });
}
