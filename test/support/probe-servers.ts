// Loopback servers for the probe and check tests: an HTTPS server standing in for
// mta-sts.<domain>, and an SMTP listener that speaks just enough SMTP to offer STARTTLS.
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Issued } from './tls';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface PolicyWebServer {
  readonly port: number;
  /** SNI name and Host header of every request received. */
  readonly requests: Array<{ servername: string | false | null; host: string | undefined; path: string | undefined }>;
  setCertificate(issued: Issued): void;
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

export function servePolicy(body: string, contentType = 'text/plain; charset=utf-8'): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(body);
  };
}

export async function startPolicyWebServer(issued: Issued): Promise<PolicyWebServer> {
  let handler: Handler = (_req, res) => res.writeHead(404).end();
  const requests: PolicyWebServer['requests'] = [];
  const server = https.createServer({ key: issued.key, cert: issued.cert }, (req, res) => {
    requests.push({ servername: (req.socket as tls.TLSSocket).servername, host: req.headers.host, path: req.url });
    handler(req, res);
  });
  // A client that gives up mid-handshake (a failed certificate check) must not fail the test.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    setCertificate: (next) => server.setSecureContext({ key: next.key, cert: next.cert }),
    setHandler: (next) => {
      handler = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SmtpBehaviour {
  certificate: Issued;
  starttls: boolean;
  /** The greeting line; null for a server that accepts the connection and says nothing. */
  banner: string | null;
}

export interface TestSmtpServer {
  readonly port: number;
  /** Every command received, in order; those sent after STARTTLS are prefixed with "tls: ". */
  readonly commands: string[];
  set(behaviour: Partial<SmtpBehaviour>): void;
  close(): Promise<void>;
}

export async function startSmtpServer(initial: Pick<SmtpBehaviour, 'certificate'> & Partial<SmtpBehaviour>): Promise<TestSmtpServer> {
  const behaviour: SmtpBehaviour = { starttls: true, banner: '220 mx.test ESMTP ready', ...initial };
  const commands: string[] = [];
  const connections = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => {});
    if (behaviour.banner !== null) socket.write(`${behaviour.banner}\r\n`);
    const stopPlain = readLines(socket, (line) => {
      commands.push(line);
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'EHLO') {
        const lines = ['250-mx.test greets you', '250-PIPELINING', ...(behaviour.starttls ? ['250-STARTTLS'] : []), '250 8BITMIME'];
        socket.write(`${lines.join('\r\n')}\r\n`);
      } else if (verb === 'STARTTLS' && behaviour.starttls) {
        socket.write('220 2.0.0 Ready to start TLS\r\n');
        stopPlain();
        const secure = new tls.TLSSocket(socket, {
          isServer: true,
          secureContext: tls.createSecureContext({ key: behaviour.certificate.key, cert: behaviour.certificate.cert }),
        });
        secure.on('error', () => {});
        readLines(secure, (inner) => {
          commands.push(`tls: ${inner}`);
          if (inner.toUpperCase() === 'QUIT') secure.end('221 2.0.0 Bye\r\n');
          else secure.write('250 2.0.0 OK\r\n');
        });
      } else if (verb === 'QUIT') {
        socket.end('221 2.0.0 Bye\r\n');
      } else {
        socket.write('502 5.5.2 Command not recognized\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    commands,
    set: (next) => Object.assign(behaviour, next),
    close: () =>
      new Promise((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Calls `onLine` for each CRLF-terminated line; returns a function that stops reading. */
function readLines(stream: net.Socket, onLine: (line: string) => void): () => void {
  let buffer = '';
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    let end: number;
    while ((end = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      onLine(line);
    }
  };
  stream.on('data', onData);
  return () => stream.off('data', onData);
}
