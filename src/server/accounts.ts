// The standalone server's own admin accounts, in its own table `<prefix>users` (the server's
// migration chain, server-schema.ts). Passwords are hashed with scrypt (memory-hard); the stored string
// carries its parameters and salt, so that stronger parameters can come later without breaking
// the old hashes. The password itself is kept nowhere.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Knex } from 'knex';
import { BoundedDb } from '../service/database';

/** scrypt cost: N=2^15, r=8, p=1 (32 MiB; about 250 ms per hash on the shared 2-core CI machine): above OWASP's minimum. */
const PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
/** What scrypt may use at most: 128 * N * r bytes, with room. */
const maxmem = (N: number, r: number) => 256 * N * r;

export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const MIN_PASSWORD = 10;
export const MAX_PASSWORD = 1024;

/** A rule an account change broke: said in one sentence (the command's exit code 2). */
export class AccountError extends Error {
  constructor(
    message: string,
    readonly code: 'invalid-username' | 'invalid-password' | 'exists' | 'unknown-user',
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: maxmem(N, r) };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$hash`, salt and hash base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS.N, PARAMS.r, PARAMS.p);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** True when the password matches the stored hash; compared in constant time. A damaged hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  // Bounded, so that a tampered row cannot make one login allocate gigabytes.
  if (![N, r, p].every(Number.isInteger) || N < 2 || N > 1 << 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length !== KEY_LENGTH) return false;
  const key = await derive(password, Buffer.from(parts[4], 'base64url'), N, r, p);
  return timingSafeEqual(key, expected);
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD) throw new AccountError(`the password must have at least ${MIN_PASSWORD} characters`, 'invalid-password');
  if (password.length > MAX_PASSWORD) throw new AccountError(`the password must have at most ${MAX_PASSWORD} characters`, 'invalid-password');
}

function checkUsername(username: string): void {
  if (!USERNAME.test(username))
    throw new AccountError(
      `"${username}" is not a valid user name (letters, digits and . _ @ -, at most 64, starting with a letter or digit)`,
      'invalid-username',
    );
}

const text = (row: Record<string, unknown> | undefined, column: string): string | null => {
  const value = row?.[column];
  return typeof value === 'string' ? value : null;
};

/**
 * What an attempt with no account behind it is verified against: a hash of the current parameters
 * with a random salt and a random key, which no password matches. So every attempt runs one scrypt
 * of the same cost, whatever its name or password: unknown names cannot be told apart by time,
 * and a flood of them costs as much as one of wrong passwords (it skipped scrypt once, issue 18).
 */
const DUMMY_HASH = ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, randomBytes(16).toString('base64url'), randomBytes(KEY_LENGTH).toString('base64url')].join('$');

/**
 * Every statement runs under the plugin's database deadline (BoundedDb, `database.timeoutMs`): the
 * login form is public, and without one its account lookup waited for TCP to give up (minutes)
 * while the database's packets were dropped, holding a connection of the pool all along.
 */
export class Accounts {
  private readonly db: BoundedDb;

  constructor(
    private readonly knex: Knex,
    private readonly table: string,
    db?: BoundedDb,
  ) {
    this.db = db ?? new BoundedDb(knex);
  }

  /** One statement within the deadline; past it, its connection is destroyed and DatabaseDeadlineError thrown. */
  private query<T>(query: Knex.QueryBuilder): Promise<T> {
    return this.db.run(async (connection) => (await query.connection(connection)) as T);
  }

  async count(): Promise<number> {
    const [row] = await this.query<Array<Record<string, unknown>>>(this.knex(this.table).count({ count: '*' }));
    return Number(row?.count ?? 0);
  }

  async exists(username: string): Promise<boolean> {
    return (await this.query<unknown>(this.knex(this.table).where({ username }).first())) !== undefined;
  }

  async add(username: string, password: string): Promise<void> {
    checkUsername(username);
    checkPassword(password);
    if (await this.exists(username)) throw new AccountError(`the user "${username}" exists already; use \`mta-sts admin passwd ${username}\``, 'exists');
    const now = new Date().toISOString();
    // Hashed before the statement's deadline starts: scrypt is not the database's time.
    const hash = await hashPassword(password);
    await this.query(this.knex(this.table).insert({ username, password_hash: hash, created_at: now, updated_at: now }));
  }

  async setPassword(username: string, password: string): Promise<void> {
    checkPassword(password);
    const hash = await hashPassword(password);
    const updated = await this.query<number>(this.knex(this.table).where({ username }).update({ password_hash: hash, updated_at: new Date().toISOString() }));
    if (updated === 0) throw new AccountError(`there is no user "${username}"`, 'unknown-user');
  }

  async remove(username: string): Promise<void> {
    const removed = await this.query<number>(this.knex(this.table).where({ username }).delete());
    if (removed === 0) throw new AccountError(`there is no user "${username}"`, 'unknown-user');
  }

  /**
   * The user name when the password is right, else null. Every call runs one scrypt: an unknown or
   * malformed name, and a missing or too long password, take as long as a wrong password.
   */
  async verify(username: string, password: unknown): Promise<string | null> {
    const name = USERNAME.test(username) ? username : null;
    const given = typeof password === 'string' && password.length <= MAX_PASSWORD ? password : null;
    const row = name === null ? undefined : await this.query<Record<string, unknown> | undefined>(this.knex(this.table).where({ username: name }).first());
    const stored = text(row, 'password_hash');
    const matches = await verifyPassword(given ?? '', stored ?? DUMMY_HASH);
    return matches && name !== null && given !== null && stored !== null ? name : null;
  }
}
