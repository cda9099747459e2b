import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlockList, isIPv4 } from 'node:net';
import { posix } from 'node:path';
import { parse as parseUrl } from 'node:url';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger';
import { POLICY_PATH, isHostName, parseHostHeader } from '../policy';
import { policyBody, type MtaStsService } from '../service';

/** The same short body for every 404, so that it says nothing about which domains exist. */
const NOT_FOUND = 'Not found\n';
/** ACME HTTP-01 challenges (RFC 8555 section 8.3): always the host's next middleware's business. */
const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
const BAD_REQUEST = 'Bad request: more than one Host header\n';

/** True when a file server would map this raw path to the policy file (decoded, dot segments, `\\`, any case). */
function reachesPolicyFile(path: string): boolean {
  // Cheap test first: this runs for every request of the host's app.
  if (!/mta|%/i.test(path)) return false;
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Malformed escapes: a file server refuses them too; compare the raw path.
  }
  return posix.normalize(decoded.replace(/\\/g, '/')).toLowerCase() === POLICY_PATH;
}

/**
 * The request target as a file server reads it (Express and serve-static parse it the same way):
 * an origin-form target (`/path?query#fragment`) by its path, with the Host header; an absolute-form one
 * (`http://host/path`, which a client may send to any server) by its path too, and by its own
 * authority, which then counts instead of the Host header (RFC 9112 section 3.2.2). Reading the
 * raw target instead would let `GET http://x/.well-known/mta-sts.txt` pass by to a stale file.
 */
function requestTarget(req: IncomingMessage & { originalUrl?: string }, proxies: BlockList | null): { path: string; host: string } {
  const url = req.originalUrl ?? req.url ?? '';
  if (url.startsWith('/')) {
    // The path ends at a query or a fragment, whichever comes first: a file server (parseurl) cuts
    // both off, so `/.well-known/mta-sts.txt#x` names the policy file too.
    const end = url.search(/[?#]/);
    return { path: end === -1 ? url : url.slice(0, end), host: (proxies && forwardedHost(req, proxies)) ?? req.headers.host ?? '' };
  }
  // Rare (proxies' absolute-form, `*`), so the slower parser that serve-static uses is fine here.
  const parsed = parseUrl(url);
  return { path: parsed.pathname ?? '', host: parsed.host ?? req.headers.host ?? '' };
}

/** A CIDR range as the options resolve it. */
interface Range {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** The trusted proxies as one list to test addresses against, or null when none are trusted. */
export function proxyList(ranges: readonly Range[]): BlockList | null {
  if (ranges.length === 0) return null;
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.network, range.prefix, range.family);
  return list;
}

/**
 * The host a trusted reverse proxy says the client asked for: the last `X-Forwarded-Host` value
 * (a proxy that appends puts its own last; one that replaces leaves only its own), else the
 * last `host=` of `Forwarded` (RFC 7239). Null for any other peer, or when the proxy named none.
 */
function forwardedHost(req: IncomingMessage, proxies: BlockList): string | null {
  const peer = req.socket?.remoteAddress ?? '';
  // An IPv4 client on a dual-stack socket appears as ::ffff:a.b.c.d.
  const plain = peer.startsWith('::ffff:') && isIPv4(peer.slice(7)) ? peer.slice(7) : peer;
  if (plain === '' || !proxies.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6')) return null;
  const xfh = req.headers['x-forwarded-host'];
  const xfhText = Array.isArray(xfh) ? xfh.join(',') : xfh;
  if (xfhText) {
    const last = xfhText.split(',').pop()?.trim();
    if (last) return last;
  }
  const forwarded = req.headers.forwarded;
  if (forwarded) {
    const elements = forwarded.split(',');
    for (let i = elements.length - 1; i >= 0; i--) {
      const match = /(?:^|;)\s*host\s*=\s*("([^"]*)"|[^;\s]+)/i.exec(elements[i]);
      if (match) return match[2] ?? match[1];
    }
  }
  return null;
}

/** More than one Host header: which one counts is ambiguous, so such a request is refused (RFC 9112 section 3.2). */
function hasSeveralHosts(req: IncomingMessage): boolean {
  let count = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 4 && raw[i].toLowerCase() === 'host' && ++count > 1) return true;
  return false;
}

function send(res: ServerResponse, req: IncomingMessage, status: number, payload: Buffer | string, extra: Record<string, string> = {}): void {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', String(data.length));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Senders must not use HTTP caching (RFC 8461 section 3.3); neither should proxies.
  res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(extra)) res.setHeader(name, value);
  res.end(req.method === 'HEAD' ? undefined : data);
}

/**
 * The policy file, generated per Host header. Mounted before any static middleware, it answers
 * every request for the policy path (so a stale static file is never reached) and every request
 * to an `mta-sts.` host except `/.well-known/acme-challenge/...`; anything else goes on to the
 * host's app. It never redirects, never sets
 * a cookie, and its 404 says nothing about which domains exist.
 */
export function createWellKnownHandler(service: MtaStsService, logger: Logger, trustProxy: readonly Range[] = []) {
  const proxies = proxyList(trustProxy);
  return function mtaStsWellKnown(req: Request, res: Response, next: NextFunction): void {
    const { path, host } = requestTarget(req, proxies);
    const stsHost = host.length > 8 && host.slice(0, 8).toLowerCase() === 'mta-sts.';
    // A certificate for mta-sts.<domain> is validated on this very host: its challenge path goes on,
    // any method, to the ACME responder mounted after the plugin (unless it is a disguised policy path).
    if (stsHost && path.startsWith(ACME_CHALLENGE_PREFIX) && !reachesPolicyFile(path)) return next();
    // A static file server decodes and normalises the path, so `/.well-known/mta%2Dsts.txt` or
    // `//.well-known/./mta-sts.txt` would reach a stale file on disk: answer those here too.
    if (path !== POLICY_PATH && !stsHost) {
      if (!reachesPolicyFile(path)) return next();
      return hasSeveralHosts(req) ? send(res, req, 400, BAD_REQUEST) : send(res, req, 404, NOT_FOUND);
    }
    if (hasSeveralHosts(req)) return send(res, req, 400, BAD_REQUEST);
    if (path !== POLICY_PATH) return send(res, req, 404, NOT_FOUND);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, req, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
    // No Host header at all (HTTP/1.0 allows that): nothing to serve, but nothing malformed either.
    if (host === '' && req.headers.host === undefined) return send(res, req, 404, NOT_FOUND);
    // Strict RFC 9110 syntax first: a malformed Host never selects a policy, and says so (400).
    const parsed = parseHostHeader(host);
    if (!parsed.valid) return send(res, req, 400, 'Bad request: invalid Host header\n');
    const name = stsHost && parsed.name !== null && parsed.name.startsWith('mta-sts.') && isHostName(parsed.name.slice(8)) ? parsed.name.slice(8) : null;
    if (name === null) return send(res, req, 404, NOT_FOUND);
    // Warm path: a policy the snapshot in memory serves goes out at once (see ServedCache.peek).
    const served = service.served.peek(name);
    if (served) return send(res, req, 200, policyBody(served));
    service.served.lookup(name).then(
      (found) => {
        if (found.status === 'found') send(res, req, 200, policyBody(found.policy));
        else if (found.status === 'missing') send(res, req, 404, NOT_FOUND);
        else send(res, req, 503, 'Service temporarily unavailable\n', { 'Retry-After': '30' });
      },
      (err: unknown) => {
        logger.error('the policy file could not be looked up', err);
        send(res, req, 503, 'Service temporarily unavailable\n', { 'Retry-After': '30' });
      },
    );
  };
}
