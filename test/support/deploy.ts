// Helpers for the deploy tests: the checkout packed as a user gets it, installs that run npm as a
// user would (registry dependencies from the registry or npm's cache), and `mta-sts serve` started
// from what an install put on disk, asked for a policy by Host.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';

const execFileAsync = promisify(execFile);
export const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'package.json'))) as string;
/** What every install in these tests adds: npm's cache first, no audit or funding requests. */
export const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];

/** Runs a command to its end; rejects with its output when it exits non-zero. */
export async function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd: options.cwd, env: options.env, maxBuffer: 50_000_000 });
    return stdout;
  } catch (err) {
    const failed = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${options.cwd}: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`, { cause: err });
  }
}

/** `npm pack` of the checkout (its built dist/, as `npm ci` leaves it), into `dest`; the tarball's path. */
export async function packCheckout(dest: string, cwd = ROOT): Promise<string> {
  const out = await run('npm', ['pack', '--json', '--pack-destination', dest, '--ignore-scripts'], { cwd });
  return join(dest, JSON.parse(out)[0].filename as string);
}

/**
 * better-sqlite3's install step downloads a prebuilt binary from GitHub, which this machine cannot
 * reach, then compiles from source (minutes on two cores). Its own mirror setting
 * (npm_config_better_sqlite3_binary_host) points it here instead, at the binary this checkout's
 * install already built: the install line itself runs unchanged. (npm 11 warns that it does not know
 * the setting; it passes it on to the install script all the same.) prebuild-install keeps what it
 * downloads in npm's cache under a name made from the URL, new with every port: removed on close.
 */
export async function prebuiltMirror(dir: string): Promise<{ env: NodeJS.ProcessEnv; close(): Promise<void> }> {
  const archive = join(dir, 'better-sqlite3-prebuilt.tar.gz');
  await run('tar', ['-czf', archive, '-C', join(ROOT, 'node_modules/better-sqlite3'), 'build/Release/better_sqlite3.node'], { cwd: dir });
  const body = readFileSync(archive);
  const asked = new Set<string>();
  const server: Server = createServer((req, res) => {
    asked.add(req.url ?? '/');
    res.writeHead(200, { 'content-type': 'application/gzip' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: { npm_config_better_sqlite3_binary_host: host },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const cache = join(process.env.npm_config_cache ?? join(homedir(), '.npm'), '_prebuilds');
      for (const path of asked) {
        const digest = createHash('sha512')
          .update(host + path)
          .digest('hex')
          .slice(0, 6);
        rmSync(join(cache, `${digest}-${basename(path).replace(/[^a-zA-Z0-9.]+/g, '-')}`), { force: true });
      }
    },
  };
}

/** The environment without this project's settings (a user's shell has none), plus `extra`. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(DATABASE_URL|MTA_STS_|PORT$|HOST$|API_KEY|ADMIN_PASSWORD|DNS_|METRICS_PORT|LOG_LEVEL|DEMO_DOMAINS|MAIL_HOSTNAME)/.test(key)) env[key] = value;
  }
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

/** A loopback port free right now. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** How to run the installed `mta-sts`: a program and the arguments before the command's own. */
export interface Installed {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface Started {
  base: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts `mta-sts ... serve`; resolves once it prints its address. */
export function start(installed: Installed, serveArgs: string[], cwd: string): Promise<Started> {
  const proc = spawn(installed.command, [...installed.args, ...serveArgs], { cwd, env: installed.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /MTA-STS server: http:\/\/localhost:(\d+)\//.exec(output)?.[1];
      if (port && /^Metrics/m.test(output)) {
        resolve({
          base: `http://127.0.0.1:${port}`,
          output: () => output,
          stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`mta-sts serve exited (${code}): ${output}`)));
  });
}

export interface Served {
  health: number;
  status: number;
  text: string;
}

/**
 * What a user does first with an install: start the server on its embedded SQLite file in `cwd`
 * (created with the demo domains), save a policy with the CLI, start again, ask for the policy
 * file as a sending server does (by Host) and for /healthz; `whileServing` runs before it stops.
 */
export async function servesASavedPolicy(
  installed: Installed,
  serveArgs: string[],
  cwd: string,
  whileServing: (base: string) => Promise<void> = async () => {},
): Promise<Served> {
  const first = await start(installed, serveArgs, cwd);
  const code = await first.stop();
  if (code !== 0) throw new Error(`the first start exited ${code}: ${first.output()}`);
  await run(installed.command, [...installed.args, 'set', 'example.org', '--mode', 'testing', '--mx', 'mail.example.org', '--active', 'yes'], {
    cwd,
    env: installed.env,
  });
  const server = await start(installed, serveArgs, cwd);
  try {
    const health = await request(server.base).get('/healthz');
    const policy = await request(server.base).get('/.well-known/mta-sts.txt').set('Host', 'mta-sts.example.org');
    await whileServing(server.base);
    return { health: health.status, status: policy.status, text: policy.text };
  } finally {
    await server.stop();
  }
}
