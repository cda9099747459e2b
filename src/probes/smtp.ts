// Connects to one MX host as a sending MTA under MTA-STS would (RFC 8461 section 4.2): SMTP on
// port 25, STARTTLS required, TLS 1.2+, certificate valid for the MX host name. Sends no mail.
import * as net from 'node:net';
import type { Resolver } from '../dns';
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

/**
 * What one probe reads at most from the plain-text SMTP conversation (greeting, EHLO and
 * STARTTLS replies). A real server sends well under 2 KiB; the deadline bounds time, not bytes,
 * and a server answering EHLO with endless `250-` lines would otherwise fill memory in seconds.
 */
export const MAX_SMTP_BYTES = 64 * 1024;
/** Lines in one reply at most; real EHLO replies list a dozen or two extensions. */
export const MAX_REPLY_LINES = 100;
/** One reply line at most (RFC 5321 allows 512 octets). */
const MAX_LINE_BYTES = 4096;

export interface MxTlsProbeOptions extends ProbeNetwork {
  resolver: Resolver;
  host: string;
  /** The name sent in EHLO. */
  ehloName: string;
  port?: number;
  ca?: CaOption;
  timeoutMs?: number;
}

export interface MxTlsProbeResult {
  host: string;
  address?: string;
  ok: boolean;
  failure?: ProbeFailure;
  /** Whether the EHLO reply offered STARTTLS; undefined when the probe stopped before EHLO. */
  starttls?: boolean;
  tlsVersion?: string;
  certificate?: CertificateInfo;
  /** The certificates the server presented (leaf first, DER), even when they failed the checks: DANE compares them. */
  chain?: Buffer[];
}

/** Code 0 is "no reply": `lines[0]` then says why, `failure` when that deserves its own code. */
interface Reply {
  code: number;
  lines: string[];
  failure?: ProbeFailure;
}

export function probeMxTls(options: MxTlsProbeOptions): Promise<MxTlsProbeResult> {
  const port = options.port ?? 25;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const result: MxTlsProbeResult = { host: options.host, ok: false };
  const stop = (failure: ProbeFailure): MxTlsProbeResult => Object.assign(result, { ok: false, failure });

  return withDeadline(
    timeoutMs,
    async (run) => {
      run.stage = `looking up ${options.host}`;
      const resolved = await resolveAddress(options.resolver, options.host, addressFilterOf(options));
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
      const socket = tcp.socket;
      const smtp = new ReplyReader(socket);

      run.stage = 'waiting for the SMTP greeting';
      const banner = await smtp.next();
      // Whatever else answers on port 25 (or wherever a hostile MX record points) is not quoted:
      // its reply code is all the admin needs to see that it is not a mail server.
      if (banner.code !== 220) {
        return stop(
          unexpected('its greeting', banner, {
            stage: 'protocol',
            code: 'not-smtp',
            message: `the server did not answer as an SMTP server (its first reply code was ${banner.code}, not 220)`,
          }),
        );
      }
      run.stage = 'waiting for the EHLO reply';
      socket.write(`EHLO ${options.ehloName}\r\n`);
      const ehlo = await smtp.next();
      if (ehlo.code !== 250)
        return stop(unexpected('the EHLO reply', ehlo, { stage: 'protocol', message: `the server refused EHLO (reply code ${ehlo.code})` }));
      // The first line is the server's greeting; the capabilities follow, one a line.
      result.starttls = ehlo.lines.slice(1).some((line) => /^STARTTLS\b/i.test(line.trim()));
      if (!result.starttls) {
        socket.end('QUIT\r\n');
        return stop({ stage: 'protocol', message: 'the server does not offer STARTTLS, so senders cannot encrypt' });
      }
      run.stage = 'waiting for the STARTTLS reply';
      socket.write('STARTTLS\r\n');
      const ready = await smtp.next();
      if (ready.code !== 220)
        return stop(unexpected('the STARTTLS reply', ready, { stage: 'protocol', message: `the server refused STARTTLS (reply code ${ready.code})` }));

      smtp.detach();
      const handshake = await secureHandshake(run, { socket }, options.host, options.ca);
      Object.assign(result, { tlsVersion: handshake.tlsVersion, certificate: handshake.certificate, chain: handshake.chain });
      if (!handshake.ok) return stop(handshake.failure);
      handshake.socket.end('QUIT\r\n');
      return Object.assign(result, { ok: true });
    },
    (stage) =>
      stop({
        stage: 'timeout',
        message: `no answer within ${timeoutMs / 1000} s (stalled ${stage})${stage.startsWith('connecting') ? '; outbound port 25 may be blocked from this server' : ''}`,
      }),
    (err) => stop({ stage: 'internal', message: `the SMTP check failed unexpectedly: ${err instanceof Error ? err.message : String(err)}` }),
  );
}

/** Code 0 stands for "no reply" (closed, garbled, too much); anything else is a reply we did not want. */
function unexpected(step: string, reply: Reply, otherwise: ProbeFailure): ProbeFailure {
  if (reply.code !== 0) return otherwise;
  if (reply.failure) return reply.failure;
  return { stage: 'protocol', message: `${reply.lines[0]} (waiting for ${step})` };
}

/** Collects complete SMTP replies (multi-line `250-` ... `250 `) from the plain-text socket. */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private read = 0;
  private readonly replies: Reply[] = [];
  private waiting: ((reply: Reply) => void) | null = null;
  private ended: string | null = null;
  private endFailure: ProbeFailure | undefined;
  private readonly onData = (chunk: Buffer) => this.feed(chunk);
  private readonly onEnd = () => this.end('the server closed the connection');
  private readonly onError = (err: Error) => this.end(`connection error: ${err.message}`);

  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    // A socket destroyed by the deadline emits neither 'end' nor 'error', only 'close'.
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** The next reply; a closed connection comes back as code 0 with the reason. */
  next(): Promise<Reply> {
    const reply = this.replies.shift();
    if (reply) return Promise.resolve(reply);
    if (this.ended !== null) return Promise.resolve({ code: 0, lines: [this.ended], failure: this.endFailure });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** Hands the socket over to TLS: any further bytes belong to the TLS layer. */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    // The TLS socket reports failures itself; this keeps a late error on the raw socket harmless.
    this.socket.on('error', () => {});
  }

  private feed(chunk: Buffer): void {
    if (this.ended !== null) return;
    // Only the bytes within the bound are parsed, so whichever bound a flood reaches first names it.
    const within = chunk.subarray(0, Math.max(0, MAX_SMTP_BYTES - this.read));
    this.read += chunk.length;
    this.parse(within);
    if (this.ended === null && this.read > MAX_SMTP_BYTES) {
      // Past the bound nothing more is read: the reader ends, and the probe closes the socket.
      this.socket.pause();
      this.end(`the server sent more than ${MAX_SMTP_BYTES / 1024} KiB`, {
        stage: 'protocol',
        code: 'too-much-data',
        message: `the server sent more than ${MAX_SMTP_BYTES / 1024} KiB before STARTTLS, far more than an SMTP server needs, so the check stopped reading`,
      });
    }
  }

  private parse(chunk: Buffer): void {
    this.buffer += chunk.toString('latin1');
    let newline: number;
    while (this.ended === null && (newline = this.buffer.indexOf('\n')) >= 0) {
      let line = this.buffer.slice(0, newline);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.buffer = this.buffer.slice(newline + 1);
      const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!match) {
        // Not quoted: whatever sent it is not an SMTP server, and its words are not ours to show.
        this.push({
          code: 0,
          lines: ['the server did not answer as an SMTP server'],
          failure: { stage: 'protocol', code: 'not-smtp', message: 'the server did not answer as an SMTP server' },
        });
        continue;
      }
      this.lines.push(match[3]);
      if (match[2] !== '-') this.push({ code: Number(match[1]), lines: this.lines });
      else if (this.lines.length >= MAX_REPLY_LINES) {
        this.socket.pause();
        this.end(`a reply of more than ${MAX_REPLY_LINES} lines`, {
          stage: 'protocol',
          code: 'too-many-lines',
          message: `the server sent a reply of more than ${MAX_REPLY_LINES} lines, far more than an SMTP server needs, so the check stopped reading`,
        });
      }
    }
    if (this.buffer.length > MAX_LINE_BYTES) this.push({ code: 0, lines: ['a reply line longer than 4 KiB'] });
  }

  private push(reply: Reply): void {
    this.lines = [];
    if (reply.code === 0) this.buffer = '';
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(reply);
    else this.replies.push(reply);
  }

  private end(reason: string, failure?: ProbeFailure): void {
    if (this.ended === null) {
      this.ended = reason;
      this.endFailure = failure;
      // Replies not yet asked for are dropped: after a bound is hit, none of them count.
      if (failure) this.replies.splice(0);
    }
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.({ code: 0, lines: [this.ended], failure: this.endFailure });
  }
}
