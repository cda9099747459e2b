// Loaded by .mocharc.json before every test file: tests may only talk to 127.0.0.0/8 and ::1.
import dgram from 'node:dgram';
import net from 'node:net';
import { isLoopback } from './loopback';

const refused: string[] = [];

function refuse(host: string): never {
  // Recorded as well as thrown: the code under test may turn the throw into a polite error.
  refused.push(host);
  throw new Error(`test traffic to ${host} refused: tests may only reach loopback addresses`);
}

/** Mocha root hook: a test that tried to leave loopback fails, even if the code hid the error. */
export const mochaHooks = {
  afterEach(this: Mocha.Context) {
    if (refused.length === 0) return;
    const hosts = [...new Set(refused.splice(0))].join(', ');
    throw new Error(`this test tried to reach ${hosts}: tests may only use loopback addresses`);
  },
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const first = args[0];
  let host: string | undefined;
  if (Array.isArray(first)) host = (first[0] as { host?: string })?.host;
  else if (first !== null && typeof first === 'object') {
    const options = first as { host?: string; path?: string };
    host = options.path ? 'localhost' : options.host;
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) host = typeof args[1] === 'string' ? args[1] : undefined;
  else host = 'localhost'; // a Unix socket path
  if (!isLoopback(host)) refuse(String(host));
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
};

const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(this: dgram.Socket, ...args: unknown[]) {
  // send(msg, [offset, length,] [port, [address]], [callback]): the address is the last string.
  const address = args.find((a, i) => i > 0 && typeof a === 'string') as string | undefined;
  if (address !== undefined && !isLoopback(address)) refuse(address);
  return (send as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.send;

const dgramConnect = dgram.Socket.prototype.connect;
dgram.Socket.prototype.connect = function guardedDgramConnect(this: dgram.Socket, ...args: unknown[]) {
  const address = typeof args[1] === 'string' ? args[1] : undefined;
  if (!isLoopback(address)) refuse(String(address));
  return (dgramConnect as (...a: unknown[]) => void).apply(this, args);
};
