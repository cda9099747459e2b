// Safe defaults of `mta-sts serve`: the metrics port (no authentication) listens on loopback
// unless --metrics-host opens it, and the generated admin password is shown on a terminal once,
// never written to a pipe (a journal, a container log), but to a file only this user can read.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from '../support/standalone';

/** `mta-sts serve` with these arguments (no --host: every address, as by default); resolves once it has printed `until`. */
function start(args: string[], dir: string, until: RegExp, command: (args: string[]) => [string, string[]] = (a) => [process.execPath, a]) {
  const [file, argv] = command([CLI, '--database', `sqlite:${join(dir, 'panel.sqlite')}`, 'serve', '--embedded', '--port', '0', ...args]);
  // Its own process group, so that the test stops exactly what it started (script(1) and its child).
  const proc = spawn(file, argv, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', DNS_SERVERS: '127.0.0.1:9' }, detached: true });
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (until.test(output)) resolve(output);
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`mta-sts serve exited (${code}): ${output}`)));
  });
  return { proc, ready, output: () => output };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  process.kill(-proc.pid, 'SIGTERM');
  await exited;
}

function status(host: string, port: number): Promise<number | string> {
  return new Promise((resolve) => {
    get({ host, port, path: '/metrics', timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('mta-sts serve: safe defaults', function () {
  this.timeout(60_000);
  let dir: string;
  const started: ChildProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-defaults-'));
  });
  afterEach(async () => {
    for (const proc of started.splice(0)) await stop(proc);
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens for /metrics on loopback only by default, and on every address with --metrics-host 0.0.0.0', async () => {
    const closed = start(['--metrics-port', '0'], dir, /^Metrics: /m);
    started.push(closed.proc);
    const url = new URL(/^Metrics: (\S+)/m.exec(await closed.ready)?.[1] ?? '');
    assert.equal(url.hostname, '127.0.0.1', 'the address it prints is the one it listens on');
    const port = Number(url.port);
    assert.equal(await status('127.0.0.1', port), 200);
    // Another address of this machine (127.0.0.2 is one on every Linux): nobody listens there.
    assert.equal(await status('127.0.0.2', port), 'ECONNREFUSED');
    await stop(closed.proc);

    const open = start(['--metrics-port', '0', '--metrics-host', '0.0.0.0'], dir, /^Metrics: /m);
    started.push(open.proc);
    const openPort = Number(new URL(/^Metrics: (\S+)/m.exec(await open.ready)?.[1] ?? '').port);
    assert.equal(await status('127.0.0.2', openPort), 200);
  });

  it('writes the generated password to a file of mode 0600 and prints only its path to a pipe', async () => {
    const server = start([], dir, /^Policy file: /m);
    started.push(server.proc);
    const output = await server.ready;
    const file = join(dir, 'initial-admin-password');
    assert.match(output, new RegExp(`^Log in as admin with the generated password in ${file} \\(readable only by this user`, 'm'));
    // Started from this clone, where `mta-sts` is not on PATH: the line says the command that works here.
    assert.match(output, /change it with `npx mta-sts admin passwd admin`/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const password = readFileSync(file, 'utf8').trim();
    assert.match(password, /^[A-Za-z0-9_-]{16}$/);
    assert.ok(!output.includes(password), 'not on stdout or stderr');
  });

  it('shows it once on a terminal (a pseudo-terminal by script(1)), besides the file', async () => {
    const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
    const server = start([], dir, /^Policy file: /m, (args) => ['script', ['-qefc', [process.execPath, ...args].map(quote).join(' '), '/dev/null']]);
    started.push(server.proc);
    const output = await server.ready;
    const password = readFileSync(join(dir, 'initial-admin-password'), 'utf8').trim();
    assert.ok(output.includes(`The generated password, shown once on this terminal: ${password}`), output);
  });
});
