import knexFactory, { Knex } from 'knex';

/** Where the test MariaDB listens, and its credentials (127.0.0.1:3306 root, or TEST_MYSQL_URL). */
export function mariadbTarget(): { host: string; port: number; user: string; password: string; database: string } {
  const url = process.env.TEST_MYSQL_URL;
  if (!url) return { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1) || 'test',
  };
}

/** A Knex on MariaDB through `port` (a proxy), giving up on a connection after `acquireMs`. */
export function knexVia(port: number, options: { acquireMs?: number; pool?: Knex.PoolConfig } = {}): Knex {
  const target = mariadbTarget();
  return knexFactory({
    client: 'mysql2',
    connection: { host: '127.0.0.1', port, user: target.user, password: target.password, database: target.database, connectTimeout: 5000 },
    pool: { min: 0, max: 4, ...options.pool },
    acquireConnectionTimeout: options.acquireMs ?? 2000,
    // Knex prints every failed connection attempt; during an outage test that is expected noise.
    log: { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined },
  });
}
