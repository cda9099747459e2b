// Connects to one MX host as a sending MTA under MTA-STS would (RFC 8461 section 4.2): SMTP on
// port 25, STARTTLS required, TLS 1.2+, certificate valid for the MX host name. Sends no mail.
import * as net from 'node:net';
import type { Resolver } from '../dns';
import {
  DEFAULT_PROBE_TIMEOUT_MS, connectError, resolveAddress, secureHandshake, withDeadline,
  type CaOption, type CertificateInfo, type ProbeFailure,
} from './kit';

export interface MxTlsProbeOptions {
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
}

interface Reply { code: number; lines: string[] }

export function probeMxTls(options: MxTlsProbeOptions): Promise<MxTlsProbeResult> {
  const port = options.port ?? 25;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const result: MxTlsProbeResult = { host: options.host, ok: false };
  const stop = (failure: ProbeFailure): MxTlsProbeResult => Object.assign(result, { ok: false, failure });

  return withDeadline(timeoutMs, async (run) => {
    run.stage = `looking up ${options.host}`;
    const resolved = await resolveAddress(options.resolver, options.host);
    if (!resolved.ok) return stop({ stage: 'dns', message: resolved.message });
    result.address = resolved.address;
    const target = net.isIPv6(resolved.address) ? `[${resolved.address}]:${port}` : `${resolved.address}:${port}`;

    run.stage = `connecting to ${target}`;
    const socket = run.track(net.connect({ host: resolved.address, port }));
    const smtp = new ReplyReader(socket);
    const connected = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      socket.once('connect', () => resolve(null));
      socket.once('error', resolve);
    });
    if (connected) return stop({ stage: 'connect', message: connectError(connected, target) });

    run.stage = 'waiting for the SMTP greeting';
    const banner = await smtp.next();
    if (banner.code !== 220) return stop(unexpected('its greeting', banner, `the server greeted with "${say(banner)}" instead of 220`));
    run.stage = 'waiting for the EHLO reply';
    socket.write(`EHLO ${options.ehloName}\r\n`);
    const ehlo = await smtp.next();
    if (ehlo.code !== 250) return stop(unexpected('the EHLO reply', ehlo, `the server answered EHLO with "${say(ehlo)}"`));
    // The first line is the server's greeting; the capabilities follow, one a line.
    result.starttls = ehlo.lines.slice(1).some((line) => /^STARTTLS\b/i.test(line.trim()));
    if (!result.starttls) {
      socket.end('QUIT\r\n');
      return stop({ stage: 'protocol', message: 'the server does not offer STARTTLS, so senders cannot encrypt' });
    }
    run.stage = 'waiting for the STARTTLS reply';
    socket.write('STARTTLS\r\n');
    const ready = await smtp.next();
    if (ready.code !== 220) return stop(unexpected('the STARTTLS reply', ready, `the server answered STARTTLS with "${say(ready)}"`));

    smtp.detach();
    const handshake = await secureHandshake(run, { socket }, options.host, options.ca);
    Object.assign(result, { tlsVersion: handshake.tlsVersion, certificate: handshake.certificate });
    if (!handshake.ok) return stop(handshake.failure);
    handshake.socket.end('QUIT\r\n');
    return Object.assign(result, { ok: true });
  },
  (stage) => stop({ stage: 'timeout', message: `no answer within ${timeoutMs / 1000} s (stalled ${stage})${stage.startsWith('connecting') ? '; outbound port 25 may be blocked from this server' : ''}` }),
  (err) => stop({ stage: 'internal', message: `the SMTP check failed unexpectedly: ${err instanceof Error ? err.message : String(err)}` }));
}

/** Code 0 stands for "no reply" (closed, garbled); anything else is a reply we did not want. */
function unexpected(step: string, reply: Reply, otherwise: string): ProbeFailure {
  return { stage: 'protocol', message: reply.code === 0 ? `${reply.lines[0]} (waiting for ${step})` : otherwise };
}

function say(reply: Reply): string {
  const text = `${reply.code} ${reply.lines.join(' / ')}`.trim();
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Collects complete SMTP replies (multi-line `250-` ... `250 `) from the plain-text socket. */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private readonly replies: Reply[] = [];
  private waiting: ((reply: Reply) => void) | null = null;
  private ended: string | null = null;
  private readonly onData = (chunk: Buffer) => this.feed(chunk.toString('latin1'));
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
    if (this.ended !== null) return Promise.resolve({ code: 0, lines: [this.ended] });
    return new Promise((resolve) => { this.waiting = resolve; });
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

  private feed(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
      this.lines.push(match ? match[3] : line);
      if (match && match[2] !== '-') this.push({ code: Number(match[1]), lines: this.lines });
      else if (!match) this.push({ code: 0, lines: [`unexpected line "${line.slice(0, 100)}"`] });
    }
    if (this.buffer.length > 4096) this.push({ code: 0, lines: ['a reply line longer than 4 KiB'] });
  }

  private push(reply: Reply): void {
    this.lines = [];
    if (reply.code === 0) this.buffer = '';
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(reply);
    else this.replies.push(reply);
  }

  private end(reason: string): void {
    this.ended ??= reason;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.({ code: 0, lines: [reason] });
  }
}
