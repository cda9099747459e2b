// A small SMTP server on loopback that keeps every message it receives and every command it was
// sent, for the alerts' tests. It offers STARTTLS when given a certificate (a server without one
// answers STARTTLS with 502, as Postfix without TLS does) and AUTH PLAIN when asked to.
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Issued } from './tls';

export interface SmtpSink {
  server: net.Server;
  port: number;
  /** The messages received (DATA), in order. */
  messages: string[];
  /** Every command line received, in order; those after STARTTLS are prefixed with "tls: ". */
  commands: string[];
  /** Connections still open. */
  readonly open: number;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  /** Offer STARTTLS with this certificate. */
  starttls?: Issued;
  /** Offer AUTH PLAIN (and accept any credentials). */
  auth?: boolean;
}

export async function smtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: string[] = [];
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();

  const session = (stream: net.Socket, secure: boolean) => {
    let buffer = '';
    let data = false;
    let authContinues = false;
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (data) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          messages.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          data = false;
          stream.write('250 queued\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const raw = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        commands.push(secure ? `tls: ${raw}` : raw);
        const line = raw.toUpperCase();
        if (authContinues) {
          authContinues = false;
          stream.write('235 2.7.0 accepted\r\n');
        } else if (line.startsWith('EHLO') || line.startsWith('HELO')) {
          const offers = ['sink', '8BITMIME', ...(options.auth ? ['AUTH PLAIN'] : []), ...(options.starttls && !secure ? ['STARTTLS'] : [])];
          stream.write(offers.map((offer, i) => `250${i === offers.length - 1 ? ' ' : '-'}${offer}\r\n`).join(''));
        } else if (line === 'STARTTLS') {
          if (!options.starttls || secure) {
            stream.write('502 5.5.1 command not implemented\r\n');
            continue;
          }
          stream.write('220 2.0.0 ready to start TLS\r\n');
          stream.off('data', onData);
          const upgraded = new tls.TLSSocket(stream, {
            isServer: true,
            secureContext: tls.createSecureContext({ key: options.starttls.key, cert: options.starttls.cert }),
          });
          upgraded.on('error', () => undefined);
          session(upgraded, true);
          return;
        } else if (line.startsWith('AUTH PLAIN') && options.auth) {
          if (line.trim() === 'AUTH PLAIN') {
            authContinues = true;
            stream.write('334 \r\n');
          } else stream.write('235 2.7.0 accepted\r\n');
        } else if (line === 'DATA') {
          data = true;
          stream.write('354 go on\r\n');
        } else if (line === 'QUIT') stream.end('221 bye\r\n');
        else stream.write('250 ok\r\n');
      }
    };
    stream.on('data', onData);
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('220 sink ESMTP\r\n');
    session(socket, false);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as net.AddressInfo).port,
    messages,
    commands,
    get open() {
      return sockets.size;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
