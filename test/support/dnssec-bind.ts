// A DNSSEC-signed zone on loopback, and a validating resolver for it: two BIND processes. The
// authoritative one serves the zone signed by dnssec-signzone (fresh ECDSA keys); the resolver
// forwards the zone to it and validates with the zone's KSK as its trust anchor, so its answers
// carry the AD bit exactly when the signatures check out. Asked directly, the authoritative
// server answers with signatures but without AD: a resolver that does not validate.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './dns-primaries';

export interface SignedZone {
  /** `127.0.0.1:<port>` of the validating resolver (sets AD). */
  validating: string;
  /** `127.0.0.1:<port>` of the authoritative server (signatures, never AD). */
  authoritative: string;
  close(): Promise<void>;
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

/** Starts `named` and waits until it answers on `port` and says it is running. */
async function startNamed(dir: string, name: string, config: string, port: number): Promise<ChildProcess> {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, config);
  const child = spawn('/usr/sbin/named', ['-g', '-u', 'root', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 200; i++) {
    if (/\brunning\b/.test(output) && (await accepts(port))) return child;
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGTERM');
  throw new Error(`named (${name}) did not start: ${output}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

/** `zone` signed, with `records` (zone-file lines, names relative to the zone) beside its SOA and NS. */
export async function startSignedZone(zone: string, records: string): Promise<SignedZone> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-dnssec-'));
  chmodSync(dir, 0o777);
  const children: ChildProcess[] = [];
  const close = async () => {
    await Promise.all(children.map(stop));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    writeFileSync(
      join(dir, 'zone.db'),
      `$TTL 300\n@ IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\n${records}\n`,
    );
    const quiet = { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] as ['ignore', 'ignore', 'pipe'] };
    execFileSync('/usr/bin/dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', '-f', 'KSK', zone], quiet);
    execFileSync('/usr/bin/dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', zone], quiet);
    execFileSync('/usr/bin/dnssec-signzone', ['-q', '-S', '-K', dir, '-o', zone, '-f', join(dir, 'zone.signed'), join(dir, 'zone.db')], quiet);
    const ksk = readdirSync(dir)
      .filter((file) => file.endsWith('.key'))
      .map((file) => readFileSync(join(dir, file), 'utf8'))
      .map((text) => /DNSKEY\s+257\s+3\s+13\s+([A-Za-z0-9+/= ]+)/.exec(text)?.[1])
      .find((key) => key !== undefined);
    if (ksk === undefined) throw new Error('dnssec-keygen made no key-signing key');
    const [authPort, resolverPort] = [await freePort(), await freePort()];
    const common = (name: string, port: number) =>
      `directory "${dir}"; pid-file "${dir}/${name}.pid"; session-keyfile "${dir}/${name}.session"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };`;
    children.push(
      await startNamed(
        dir,
        'auth',
        `options { ${common('auth', authPort)} recursion no; dnssec-validation no; };
controls { };
zone "${zone}" { type primary; file "${dir}/zone.signed"; };
`,
        authPort,
      ),
    );
    children.push(
      await startNamed(
        dir,
        'resolver',
        `options { ${common('resolver', resolverPort)} recursion yes; allow-recursion { 127.0.0.1; }; dnssec-validation yes; max-cache-ttl 1; max-ncache-ttl 1; };
controls { };
trust-anchors { ${zone}. static-key 257 3 13 "${ksk.trim()}"; };
zone "${zone}" { type forward; forward only; forwarders { 127.0.0.1 port ${authPort}; }; };
`,
        resolverPort,
      ),
    );
    return { validating: `127.0.0.1:${resolverPort}`, authoritative: `127.0.0.1:${authPort}`, close };
  } catch (err) {
    await close();
    throw err;
  }
}
