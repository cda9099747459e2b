// Real authoritative DNS servers for the publishing tests, on loopback with throwaway
// configurations in temp dirs: BIND 9 (`named`) with zones that take updates signed by a TSIG key,
// and PowerDNS (`pdns_server`, gsqlite3 backend) with its HTTP API on. Stopped and removed by close().
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import * as dnsPacket from 'dns-packet';

export interface TestPrimary {
  port: number;
  log(): string;
  close(): Promise<void>;
}

export interface TestBind extends TestPrimary {
  /** The TSIG key the zones accept, as MTA_STS_TSIG_KEY spells it: `<algorithm>:<name>:<base64 secret>`. */
  tsigKey: string;
  key: { algorithm: 'hmac-sha256' | 'hmac-sha512'; name: string; secret: Buffer };
}

export interface TestPdns extends TestPrimary {
  /** The HTTP API's port (the DNS port is `port`). */
  apiPort: number;
  apiKey: string;
  /** With `dnsUpdate`: the TSIG key its zones take RFC 2136 updates signed by, as for BIND. */
  tsigKey?: string;
  key?: TestBind['key'];
}

export interface PdnsOptions {
  /**
   * RFC 2136 updates on (`dnsupdate=yes`, from loopback only), signed by a fresh key kept in its
   * database. Each zone names that key in its TSIG-ALLOW-DNSUPDATE metadata: without it PowerDNS
   * (4.7) takes unsigned updates from an allowed address too, and the key protects nothing.
   */
  dnsUpdate?: boolean;
  /** Records each zone holds at the start, as `pdnsutil add-record` takes them: [name, type, content]. */
  records?: Record<string, Array<[string, string, string]>>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Runs `command` until `ports` accept connections; close() stops it and removes `dir`. */
async function run(
  command: string,
  args: string[],
  dir: string,
  ports: number[],
  log: () => string,
  ready: RegExp | ((output: string) => boolean),
): Promise<Pick<TestPrimary, 'close'>> {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    const up = await Promise.all(ports.map(accepts));
    // Listening comes before the zones are loaded: the server says when it answers for them.
    if (up.every(Boolean) && (typeof ready === 'function' ? ready(output) : ready.test(output))) return { close };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await close();
  throw new Error(`${command} did not start: ${output}\n${log()}`);
}

const SOA = (zone: string) => `$TTL 300
@ IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 300
@ IN NS ns1.${zone}.
ns1 IN A 127.0.0.1
`;

/** BIND with `zones` (each with a SOA, an NS and any extra zone-file lines) that take updates of TXT records signed by a fresh key (as docs/cli.md shows), except those in `locked`. */
export async function startBind(
  zones: Record<string, string>,
  algorithm: 'hmac-sha256' | 'hmac-sha512' = 'hmac-sha256',
  locked: string[] = [],
  /** The ports of secondaries on 127.0.0.1 told of each change (NOTIFY) and allowed to transfer the zones. */
  notify: number[] = [],
  /** The zone's `update-policy { ... };` (or other update lines) instead of the key's `zonesub TXT` grant. */
  updatePolicy?: (zone: string, keyName: string) => string,
  /**
   * A port on 127.0.0.1 to forward every other name to (`forward only`, never the root servers):
   * BIND then also answers recursive queries from loopback, as a sender's resolver does, and
   * follows a CNAME out of its zones to that server (the delegation test's panel zone on PowerDNS).
   * Nothing is cached, so that a record published a moment ago is seen at once.
   */
  forwardTo: number | null = null,
): Promise<TestBind> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-bind-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const notifying =
    notify.length === 0 ? '' : `notify explicit; also-notify { ${notify.map((p) => `127.0.0.1 port ${p};`).join(' ')} }; allow-transfer { 127.0.0.1; };`;
  const key = { algorithm, name: 'mta-sts-update', secret: randomBytes(algorithm === 'hmac-sha256' ? 32 : 64) };
  const zoneBlocks = Object.entries(zones).map(([zone, extra]) => {
    writeFileSync(join(dir, `${zone}.db`), SOA(zone) + extra);
    return `zone "${zone}" { type primary; file "${dir}/${zone}.db"; ${notifying} ${locked.includes(zone) ? 'allow-update { none; };' : (updatePolicy?.(zone, key.name) ?? `update-policy { grant ${key.name} zonesub TXT; };`)} };`;
  });
  writeFileSync(
    join(dir, 'named.conf'),
    `key "${key.name}" { algorithm ${algorithm}; secret "${key.secret.toString('base64')}"; };
options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  ${forwardTo === null ? 'recursion no;' : `recursion yes; allow-recursion { 127.0.0.1; }; forward only; forwarders { 127.0.0.1 port ${forwardTo}; }; max-ncache-ttl 0; max-cache-ttl 0;`}
  dnssec-validation no;
  notify-delay 0;
};
controls { };
${zoneBlocks.join('\n')}
`,
  );
  const logFile = join(dir, 'named.log');
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const { close } = await run('/usr/sbin/named', ['-g', '-u', 'root', '-c', join(dir, 'named.conf')], dir, [port], log, /all zones loaded/);
  return { port, key, tsigKey: `${algorithm}:${key.name}:${key.secret.toString('base64')}`, log, close };
}

/** A BIND secondary on `port` for `zones` of the primary on `primaryPort`: transfers them at start and again on each NOTIFY. */
export async function startBindSecondary(port: number, primaryPort: number, zones: string[]): Promise<TestPrimary> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-bind2-'));
  chmodSync(dir, 0o777);
  writeFileSync(
    join(dir, 'named.conf'),
    `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
};
controls { };
${zones.map((zone) => `zone "${zone}" { type secondary; primaries { 127.0.0.1 port ${primaryPort}; }; file "${dir}/${zone}.db"; };`).join('\n')}
`,
  );
  const log = () => '';
  // Ready once every zone has come over: before that the secondary answers SERVFAIL for it.
  const { close } = await run(
    '/usr/sbin/named',
    ['-g', '-u', 'root', '-c', join(dir, 'named.conf')],
    dir,
    [port],
    log,
    (output) => (output.match(/Transfer completed/g) ?? []).length >= zones.length,
  );
  return { port, log, close };
}

/** PowerDNS with `zones` (SOA and NS made by pdnsutil), its API on loopback with a fresh key. */
export async function startPdns(zones: string[], options: PdnsOptions = {}): Promise<TestPdns> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-pdns-'));
  chmodSync(dir, 0o777);
  const [port, apiPort] = [await freePort(), await freePort()];
  const apiKey = randomBytes(24).toString('hex');
  const db = join(dir, 'pdns.sqlite3');
  const schema = ['/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql', '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql'].find((f) =>
    existsSync(f),
  );
  if (!schema) throw new Error('the PowerDNS SQLite schema is not installed (pdns-backend-sqlite3)');
  const sqlite = knexFactory({ client: 'better-sqlite3', connection: { filename: db }, useNullAsDefault: true });
  try {
    for (const statement of readFileSync(schema, 'utf8').split(/;\s*\n/)) if (statement.trim()) await sqlite.raw(statement);
  } finally {
    await sqlite.destroy();
  }
  chmodSync(db, 0o666);
  writeFileSync(
    join(dir, 'pdns.conf'),
    `launch=gsqlite3
gsqlite3-database=${db}
local-address=127.0.0.1
local-port=${port}
socket-dir=${dir}
api=yes
api-key=${apiKey}
webserver=yes
webserver-address=127.0.0.1
webserver-port=${apiPort}
webserver-allow-from=127.0.0.0/8
guardian=no
daemon=no
disable-syslog=yes
loglevel=4
${options.dnsUpdate === true ? 'dnsupdate=yes\nallow-dnsupdate-from=127.0.0.0/8\n' : ''}`,
  );
  const pdnsutil = (...args: string[]) => execFileSync('/usr/bin/pdnsutil', ['--config-dir', dir, ...args], { stdio: 'pipe' });
  const key = { algorithm: 'hmac-sha256' as const, name: 'mta-sts-update', secret: randomBytes(32) };
  if (options.dnsUpdate === true) pdnsutil('import-tsig-key', key.name, key.algorithm, key.secret.toString('base64'));
  for (const zone of zones) {
    pdnsutil('create-zone', zone, `ns1.${zone}`);
    for (const [name, type, content] of options.records?.[zone] ?? []) pdnsutil('add-record', zone, name, type, '300', content);
    if (options.dnsUpdate === true) pdnsutil('set-meta', zone, 'TSIG-ALLOW-DNSUPDATE', key.name);
  }
  const log = () => '';
  const { close } = await run(
    '/usr/sbin/pdns_server',
    [`--config-dir=${dir}`],
    dir,
    [port, apiPort],
    log,
    /Done launching threads|ready to distribute questions/i,
  );
  const tsig = options.dnsUpdate === true ? { key, tsigKey: `${key.algorithm}:${key.name}:${key.secret.toString('base64')}` } : {};
  return { port, apiPort, apiKey, log, close, ...tsig };
}

/** The TXT records at `name` as the server holds them, each as its character-strings: a direct query over TCP, no recursion. */
export function askTxt(port: number, name: string): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const query = dnsPacket.encode({ id: 4242, type: 'query', flags: 0, questions: [{ name, type: 'TXT', class: 'IN' }] });
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from([query.length >> 8, query.length & 0xff]), query])));
    let pending = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 2 || pending.length < 2 + pending.readUInt16BE(0)) return;
      socket.destroy();
      const answer = dnsPacket.decode(pending.subarray(2));
      resolve(
        (answer.answers ?? [])
          .filter((r): r is dnsPacket.TxtAnswer => r.type === 'TXT')
          .map((r) => (r.data as Buffer[]).map((part) => Buffer.from(part).toString('utf8')))
          .sort((a, b) => a.join('').localeCompare(b.join(''))),
      );
    });
  });
}

/** One raw exchange over TCP with the server on `port`: the answer's bytes as sent, for tests of the signature. */
export function exchangeTcp(port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message])));
    let pending = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 2 || pending.length < 2 + pending.readUInt16BE(0)) return;
      socket.destroy();
      resolve(pending.subarray(2, 2 + pending.readUInt16BE(0)));
    });
  });
}
