// The database a command or the standalone server attaches to, from one URL: what users type in
// DATABASE_URL or --database. The library itself never reads this: a host passes its own Knex.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { ConfigError } from './errors';

export interface DatabaseTarget {
  client: 'better-sqlite3' | 'mysql2' | 'pg';
  /** What logs and messages may show: the URL without its password. */
  display: string;
}

const SCHEMES = 'sqlite:<file>, mysql://, mariadb://, postgres:// or postgresql://';

/** Names the database a URL points to, or throws a ConfigError naming the setting. */
export function parseDatabaseUrl(url: string, setting = 'database'): DatabaseTarget & { connection: Knex.Config['connection'] } {
  if (typeof url !== 'string' || url.trim() === '') throw new ConfigError(setting, `must be a database URL (${SCHEMES})`);
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new ConfigError(setting, 'sqlite: needs a file name, e.g. sqlite:data/panel.sqlite');
    const filename = file === ':memory:' ? file : resolve(file);
    return { client: 'better-sqlite3', connection: { filename }, display: `sqlite:${filename}` };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(setting, `is not a valid URL; use ${SCHEMES}`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const client = scheme === 'mysql' || scheme === 'mariadb' ? 'mysql2' : scheme === 'postgres' || scheme === 'postgresql' ? 'pg' : null;
  if (client === null) throw new ConfigError(setting, `has the unknown scheme "${scheme}:"; use ${SCHEMES}`);
  if (parsed.hostname === '') throw new ConfigError(setting, 'names no host, e.g. mysql://user:password@127.0.0.1:3306/vmail');
  if (parsed.pathname.replace(/^\//, '') === '') throw new ConfigError(setting, 'names no database, e.g. postgres://user@127.0.0.1:5432/postfix');
  const safe = new URL(parsed.href);
  if (safe.password) safe.password = '***';
  const connection = client === 'mysql2' ? parsed.href.replace(/^mariadb:/, 'mysql:') : parsed.href;
  return { client, connection, display: safe.href };
}

/**
 * A Knex instance for a database URL. A missing SQLite file (and its folder) is created only with
 * `createSqlite` (the embedded server's own database); otherwise it is refused, so that a mistyped
 * path is one sentence rather than a new empty database. `sqliteBusyMs`:
 * how long a SQLite statement waits for another process's lock (better-sqlite3 waits
 * synchronously, holding the whole process; its default is 5 s).
 */
export function openDatabase(
  url: string,
  setting = 'database',
  options: { sqliteBusyMs?: number; log?: Knex.Config['log']; createSqlite?: boolean } = {},
): { knex: Knex; target: DatabaseTarget } {
  const log = options.log ? { log: options.log } : {};
  const { client, connection, display } = parseDatabaseUrl(url, setting);
  if (client === 'better-sqlite3') {
    const filename = (connection as { filename: string }).filename;
    if (filename !== ':memory:' && !existsSync(filename)) {
      if (options.createSqlite !== true)
        throw new ConfigError(
          setting,
          `names the SQLite file ${filename}, which does not exist: check the path given with --database (DATABASE_URL); only \`mta-sts serve\` with its embedded database creates one`,
        );
      mkdirSync(dirname(filename), { recursive: true });
    }
    const busyMs = options.sqliteBusyMs;
    const pool: Knex.PoolConfig | undefined =
      busyMs === undefined
        ? undefined
        : {
            afterCreate(raw: { pragma(source: string): unknown }, done: (err: Error | null, raw: unknown) => void) {
              raw.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyMs))}`);
              done(null, raw);
            },
          };
    return { knex: knexFactory({ client, connection, useNullAsDefault: true, ...(pool ? { pool } : {}), ...log }), target: { client, display } };
  }
  return { knex: knexFactory({ client, connection, pool: { min: 0, max: 10 }, ...log }), target: { client, display } };
}

/**
 * Proves the database answers before anything else runs, so that a refused connection is one
 * clear sentence rather than the first query's stack trace.
 */
export async function checkConnection(knex: Knex, target: DatabaseTarget): Promise<void> {
  try {
    await knex.raw('select 1');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const detail = code ? `${code}: ${(err as Error).message}` : (err as Error).message;
    throw new ConfigError('database', `could not be reached at ${target.display} (${detail.split('\n')[0]})`, 'connection');
  }
}
