// `mta-sts serve` as an operator runs it, in a process of its own, for the figures that attack it:
// started on a free loopback port with the tests' helper, the bench policy set through its API,
// a session cookie from its login form, and a stop that also ends a process stuck in a stall.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { CLI, logIn, serve, type Served } from '../../test/support/standalone';
import { POLICY, POLICY_TEXT } from './data';
import { getPolicy, request } from './http';
import { nowMs, sleep } from './util';

export const SERVE_API_KEY = 'bench-api-key-0123456789abcdef';
export const SERVE_ADMIN_PASSWORD = 'bench-admin-password';

export interface ServeProcess {
  served: Served;
  base: string;
  /** Set when the process ended by itself: its exit code or signal, and the end of its output. */
  readonly exit: { code: number | null; signal: string | null; output: string } | null;
  stop(): Promise<void>;
}

/**
 * `mta-sts serve` on `database` with its own embedded domain table (example.org), the API key and
 * admin password above, no scheduled DNS Check (it would add its own work to every figure), and
 * DNS asked only of `dnsServer` (loopback). `env` adds settings (the IMAP mailbox, extra CAs).
 */
export async function startServe(database: string, dnsServer: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const served = await serve(['--database', database, '--dns-servers', dnsServer], {
    API_KEY: SERVE_API_KEY,
    ADMIN_PASSWORD: SERVE_ADMIN_PASSWORD,
    MTA_STS_EMBEDDED: 'yes',
    DEMO_DOMAINS: 'example.org',
    MTA_STS_CHECK_INTERVAL_MINUTES: '0',
    ...env,
  });
  let exit: ServeProcess['exit'] = null;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    served.proc.once('exit', (code, signal) => {
      if (!stopping) exit = { code, signal, output: served.output().slice(-3000) };
      resolve();
    });
  });
  if (served.proc.exitCode !== null) exit = { code: served.proc.exitCode, signal: null, output: served.output().slice(-3000) };
  return {
    served,
    base: served.base,
    get exit() {
      return exit;
    },
    async stop() {
      if (served.proc.exitCode !== null || served.proc.signalCode !== null) return;
      stopping = true;
      // SIGTERM drains; a process whose event loop is held never gets to it, so it is killed (by its id) after 3 s.
      served.proc.kill('SIGTERM');
      const timer = setTimeout(() => served.proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Saves the bench policy for `domain` through the API and waits until the policy file serves it. */
export async function setBenchPolicy(base: string, domain: string): Promise<void> {
  const saved = await request(`${base}/api/v1/mta-sts/${domain}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': SERVE_API_KEY },
    body: JSON.stringify({ mode: POLICY.mode, mx: [...POLICY.mx], maxAge: POLICY.maxAge, active: true }),
  });
  if (saved.status !== 200) throw new Error(`saving the policy of ${domain}: ${saved.status} ${saved.body.slice(0, 300)}`);
  const t0 = nowMs();
  for (;;) {
    const reply = await getPolicy(base, `mta-sts.${domain}`);
    if (reply.status === 200 && reply.body === POLICY_TEXT) return;
    if (nowMs() - t0 > 10_000) throw new Error(`the policy file of ${domain} is not served: ${reply.status} ${reply.body.slice(0, 200)}`);
    await sleep(50);
  }
}

/** The TLS report intake path of `domain` (its token from the API). */
export async function intakePath(base: string, domain: string): Promise<string> {
  const reply = await request(`${base}/api/v1/mta-sts/${domain}/reporting`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': SERVE_API_KEY },
    body: JSON.stringify({ rua: [`mailto:tlsrpt@${domain}`] }),
  });
  const uri = reply.status === 200 ? (JSON.parse(reply.body) as { reportingUri?: string }).reportingUri : undefined;
  if (!uri) throw new Error(`setting up TLS reporting for ${domain}: ${reply.status} ${reply.body.slice(0, 300)}`);
  return new URL(uri).pathname;
}

/** Logs in as admin through the form: the session cookie. */
export function sessionCookie(base: string): Promise<string> {
  return logIn(base, 'admin', SERVE_ADMIN_PASSWORD);
}

/** `mta-sts serve` whose stdout (its start-up lines and its JSON log) goes to a file, as under a supervisor. */
export interface LoggedServe {
  pid: number;
  base: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * `mta-sts serve` on `database` (SQLite, embedded, example.org) logging at `logLevel` into
 * `logFile`: the figures that count its log read the file, and nothing of the log passes through
 * the bench's own event loop. DNS only from `dnsServer`; no scheduled DNS Check.
 */
export async function startServeLogged(database: string, dnsServer: string, logFile: string, logLevel = 'info'): Promise<LoggedServe> {
  const env: NodeJS.ProcessEnv = {};
  // The bench's environment without any setting of the server's own: only those given here count.
  for (const [key, value] of Object.entries(process.env))
    if (!/^(MTA_STS_|DATABASE_URL|PORT|HOST|API_KEY|ADMIN_PASSWORD|DNS_|METRICS_|LOG_LEVEL|DEMO_DOMAINS)/.test(key)) env[key] = value;
  Object.assign(env, {
    API_KEY: SERVE_API_KEY,
    ADMIN_PASSWORD: SERVE_ADMIN_PASSWORD,
    MTA_STS_EMBEDDED: 'yes',
    DEMO_DOMAINS: 'example.org',
    MTA_STS_CHECK_INTERVAL_MINUTES: '0',
    LOG_LEVEL: logLevel,
  });
  const out = openSync(logFile, 'a');
  const proc = spawn(process.execPath, [CLI, '--database', database, '--dns-servers', dnsServer, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env,
    stdio: ['ignore', out, 'pipe'],
  });
  closeSync(out);
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-3000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const t0 = nowMs();
  for (;;) {
    const port = /MTA-STS server: http:\/\/localhost:(\d+)\//.exec(readFileSync(logFile, 'utf8'))?.[1];
    if (port && proc.pid !== undefined) {
      return {
        pid: proc.pid,
        base: `http://127.0.0.1:${port}`,
        logFile,
        async stop() {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        },
      };
    }
    if (proc.exitCode !== null || nowMs() - t0 > 60_000) {
      proc.kill('SIGKILL');
      throw new Error(`mta-sts serve did not start (${proc.exitCode ?? 'no answer in 60 s'}): ${stderr} ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    await sleep(100);
  }
}
