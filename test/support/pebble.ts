// Debian's pebble (the ACME test CA of Let's Encrypt) on loopback for end-to-end tests: its own
// TLS certificate from a throwaway CA, HTTP-01 validation on the port the test's responder uses,
// names resolved through the test's DNS server. `.ci/run` installs it (apt-get install pebble).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa } from './tls';

export const PEBBLE = '/usr/bin/pebble';

export interface Pebble {
  /** https://127.0.0.1:<port>/dir */
  readonly directoryUrl: string;
  /** The CA of pebble's own HTTPS listener (for the ACME client). */
  readonly listenerCa: string;
  /** The root pebble issues under (from its management API): what a client trusts for issued certificates. */
  root(): Promise<string>;
  readonly output: string[];
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function fetchText(url: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    }).on('error', reject);
  });
}

export async function startPebble(options: { httpPort: number; dnsServer: string }): Promise<Pebble> {
  if (!existsSync(PEBBLE)) throw new Error(`${PEBBLE} is missing: apt-get install -y pebble (.ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-pebble-'));
  const ca = createTestCa('Pebble listener test CA');
  const leaf = ca.issue(['127.0.0.1', 'localhost']);
  writeFileSync(join(dir, 'cert.pem'), leaf.cert);
  writeFileSync(join(dir, 'key.pem'), leaf.key);
  const [port, managementPort, tlsPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort: options.httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const output: string[] = [];
  const child: ChildProcess = spawn(PEBBLE, ['-config', join(dir, 'config.json'), '-dnsserver', options.dnsServer], {
    // No sleeping before validations, no random nonce rejections: fast and deterministic.
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    ca.dispose();
    rmSync(dir, { recursive: true, force: true });
  };
  const directoryUrl = `https://127.0.0.1:${port}/dir`;
  const started = Date.now();
  for (;;) {
    try {
      if ((await fetchText(directoryUrl, ca.cert)).status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null || Date.now() - started > 20_000) {
      await close();
      throw new Error(`pebble did not start:\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    directoryUrl,
    listenerCa: ca.cert,
    output,
    async root() {
      const res = await fetchText(`https://127.0.0.1:${managementPort}/roots/0`, ca.cert);
      if (res.status !== 200) throw new Error(`pebble's root: HTTP ${res.status}`);
      return res.text;
    },
    close,
  };
}
