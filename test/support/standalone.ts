// Helpers for the standalone server tests: the `mta-sts` command as a child process, a server
// started with `mta-sts serve` on a free loopback port, and a fresh database per test on the real
// MariaDB and PostgreSQL (the server's tables have fixed names, so a shared schema would collide).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';

export const ROOT = [join(__dirname, '../../..'), join(__dirname, '../..')].find((dir) => existsSync(join(dir, 'package.json'))) as string;
export const CLI = join(ROOT, 'dist/src/cli.js');
const MYSQL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mta-sts <args>` to its end, with `input` on stdin. The environment is cleared of our settings. */
export function cli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
    proc.stdin.end(options.input ?? '');
  });
}

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(DATABASE_URL|MTA_STS_|PORT$|HOST$|API_KEY|ADMIN_PASSWORD|DNS_|METRICS_PORT|LOG_LEVEL|DEMO_DOMAINS|MAIL_HOSTNAME)/.test(key)) env[key] = value;
  }
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

export interface Served {
  proc: ChildProcess;
  base: string;
  metricsUrl: string | null;
  output(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** `mta-sts serve <args>` on a free port; resolves once it prints its address. */
export function serve(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<Served> {
  const proc = spawn(process.execPath, [CLI, ...args, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    cwd,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /MTA-STS server: http:\/\/localhost:(\d+)\//.exec(output)?.[1];
      if (port && /^Metrics/m.test(output)) {
        resolve({
          proc,
          base: `http://127.0.0.1:${port}`,
          metricsUrl: /Metrics: (http:\S+)/.exec(output)?.[1]?.replace('localhost', '127.0.0.1') ?? null,
          output: () => output,
          async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`mta-sts serve exited (${code}): ${output}`)));
  });
}

/** Logs in through the form; the session cookie (`mta-sts.sid=...`). */
export async function logIn(base: string, username: string, password: string): Promise<string> {
  const form = await request(base).get('/login');
  const token = /name="_panel_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
  const csrfCookie = ([] as string[])
    .concat(form.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('panel.csrf='));
  const res = await request(base)
    .post('/login')
    .type('form')
    .set('Cookie', csrfCookie ?? '')
    .send({ username, password, _panel_csrf: token })
    .redirects(0);
  if (res.status !== 303) throw new Error(`login: ${res.status} ${res.text.slice(0, 300)}`);
  const session = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('mta-sts.sid='));
  if (!session) throw new Error('no session cookie');
  return session;
}

export interface PanelDb {
  kind: 'mariadb' | 'postgres';
  /** The URL `mta-sts --database` takes. */
  url: string;
  knex: Knex;
  drop(): Promise<void>;
}

/** A new database on the real server, with PostfixAdmin's `domain` and `alias_domain` tables and these domains. */
export async function postfixAdminDb(kind: 'mariadb' | 'postgres', domains: string[], port?: number): Promise<PanelDb> {
  const name = `mta_sts_srv_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory(kind === 'mariadb' ? { client: 'mysql2', connection: MYSQL } : { client: 'pg', connection: PG });
  await admin.raw(`CREATE DATABASE ${name}`);
  await admin.destroy();
  const server = new URL(kind === 'mariadb' ? MYSQL : PG);
  server.pathname = `/${name}`;
  const direct = server.href;
  if (port !== undefined) server.port = String(port);
  const knex = knexFactory(kind === 'mariadb' ? { client: 'mysql2', connection: direct } : { client: 'pg', connection: direct });
  // PostfixAdmin's schema (upgrade.php): flags TINYINT(1) on MariaDB, BOOLEAN on PostgreSQL.
  await knex.schema.createTable('domain', (t) => {
    t.string('domain', 255).primary();
    t.string('description', 255).notNullable().defaultTo('');
    t.integer('aliases').notNullable().defaultTo(0);
    t.integer('mailboxes').notNullable().defaultTo(0);
    t.bigInteger('maxquota').notNullable().defaultTo(0);
    t.bigInteger('quota').notNullable().defaultTo(0);
    t.string('transport', 255).nullable();
    t.boolean('backupmx').notNullable().defaultTo(false);
    t.timestamp('created').notNullable().defaultTo(knex.fn.now());
    t.timestamp('modified').notNullable().defaultTo(knex.fn.now());
    t.boolean('active').notNullable().defaultTo(true);
  });
  await knex.schema.createTable('alias_domain', (t) => {
    t.string('alias_domain', 255).primary();
    t.string('target_domain', 255).notNullable();
    t.timestamp('created').notNullable().defaultTo(knex.fn.now());
    t.timestamp('modified').notNullable().defaultTo(knex.fn.now());
    t.boolean('active').notNullable().defaultTo(true);
  });
  if (domains.length > 0) await knex('domain').insert(domains.map((domain) => ({ domain, description: `PostfixAdmin ${domain}` })));
  return {
    kind,
    url: server.href,
    knex,
    async drop() {
      await knex.destroy();
      const again = knexFactory(kind === 'mariadb' ? { client: 'mysql2', connection: MYSQL } : { client: 'pg', connection: PG });
      await again.raw(kind === 'mariadb' ? `DROP DATABASE IF EXISTS ${name}` : `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.destroy();
    },
  };
}
