// The standalone server's login sessions: express-session with connect-session-knex 5, in the
// server's own table `<prefix>sessions` (its migration chain, server-schema.ts), so that a restart
// logs nobody out. Optionally a login header set by a trusted reverse proxy stands in for a session.
import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import type { Knex } from 'knex';
import type { Logger } from '../logger';
import { USERNAME } from './accounts';
import { cookieName, overTls, type CookieSecurity } from './cookies';

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}

export const SESSION_LIFETIME_MS = 8 * 3600 * 1000;

/**
 * The longest a request waits on the session store. Its queries go through the host's pool with
 * no deadline of their own: on a black-holed network one would wait for TCP to give up (minutes).
 */
export const SESSION_STORE_DEADLINE_MS = 5000;

/**
 * The store, with every call made safe. connect-session-knex's get/set/destroy call back with the
 * error and then reject with it too, and its touch only rejects; express-session reads only the
 * callback, so each rejection was unhandled and ended the process while the database was away
 * (the policy file with it). Here each call is bounded by a deadline, never rejects, and calls
 * back once with a StoreFailure: Knex's error message holds the failing SQL with the session id
 * inlined, which must reach neither a log nor a page.
 */
class SafeStore extends ConnectSessionKnexStore {
  constructor(
    options: ConstructorParameters<typeof ConnectSessionKnexStore>[0],
    private readonly logger: Logger,
  ) {
    super(options);
  }

  override get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): Promise<session.SessionData | null> {
    return this.guard(
      'get',
      () => super.get(sid, () => undefined),
      null,
      (err, value) => callback(err, value),
    );
  }

  override set(sid: string, sess: session.SessionData, callback?: (err?: unknown) => void): Promise<void> {
    return this.guard(
      'set',
      () => super.set(sid, sess, () => undefined),
      undefined,
      (err) => callback?.(err ?? undefined),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): Promise<number> {
    return this.guard(
      'destroy',
      () => super.destroy(sid, () => undefined),
      0,
      (err) => callback?.(err ?? undefined),
    );
  }

  /** A failed touch only shortens a session's life: logged, never passed on (express-session ignores it). */
  override touch(sid: string, sess: session.SessionData, callback?: () => void): Promise<void> {
    return this.guard(
      'touch',
      () => super.touch(sid, sess),
      undefined,
      () => callback?.(),
    );
  }

  /** Until when calls fail at once, after the SQLite file was found locked (see `guard`). */
  private lockedUntil = 0;

  /** Runs one store call within the deadline; its outcome goes to `done` exactly once, outside the try. */
  private async guard<T>(operation: StoreOperation, call: () => Promise<T>, fallback: T, done: (err: StoreFailure | null, value: T) => void): Promise<T> {
    // better-sqlite3 waits for another process's lock synchronously (the busy timeout, 100 ms),
    // holding the event loop, the policy file's requests too: with every request asking, a locked
    // file held them for seconds. Once it was found locked, calls fail at once for a second.
    if (Date.now() < this.lockedUntil) {
      done(new StoreFailure(operation, { code: 'SQLITE_BUSY' }), fallback);
      return fallback;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new StoreFailure(operation, new DeadlineError())), SESSION_STORE_DEADLINE_MS);
    });
    const running = call();
    // After the deadline has answered, a late failure of the query has nobody waiting for it.
    running.catch(() => undefined);
    let outcome: { err: StoreFailure | null; value: T };
    try {
      outcome = { err: null, value: await Promise.race([running, deadline]) };
    } catch (err) {
      const failure = err instanceof StoreFailure ? err : new StoreFailure(operation, err);
      if (failure.driverCode.startsWith('SQLITE_BUSY') || failure.driverCode.startsWith('SQLITE_LOCKED')) this.lockedUntil = Date.now() + LOCKED_PAUSE_MS;
      this.logger.warn(`session store ${operation} failed`, { code: failure.code, driverCode: failure.driverCode });
      outcome = { err: failure, value: fallback };
    } finally {
      clearTimeout(timer);
    }
    try {
      done(outcome.err, outcome.value);
    } catch (err) {
      // express-session ignores the returned promise: a throw here would be an unhandled rejection.
      this.logger.error(`session store ${operation}: its callback threw`, {
        code: 'MTA_STS_SESSION_CALLBACK',
        errorName: err instanceof Error ? err.name : typeof err,
      });
    }
    return outcome.value;
  }
}

type StoreOperation = 'get' | 'set' | 'destroy' | 'touch';

/** How long store calls fail at once after the SQLite file was found locked. */
const LOCKED_PAUSE_MS = 1000;

/** The store did not answer in time: the same code as the plugin's own deadline, so an outage. */
class DeadlineError extends Error {
  readonly code = 'MTA_STS_DB_DEADLINE';
}

/**
 * A session store call that failed, told without the driver's message (it quotes the SQL, session
 * id included): the operation and the driver's error code only. It is always a database outage
 * for the request (503): the store's statements are fixed and its table is checked at start, so
 * when one fails the database failed, whatever words the driver chose (mysql2's "connection is in
 * closed state" has no code). The driver code in the log tells the operator which failure it was.
 */
export class StoreFailure extends Error {
  readonly code = 'MTA_STS_SESSION_STORE';
  readonly driverCode: string;

  constructor(operation: StoreOperation, err: unknown) {
    const code = (err as { code?: unknown } | null)?.code;
    const driverCode = typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? code : 'unknown';
    super(`the session store's ${operation} failed (${driverCode})`);
    this.name = 'StoreFailure';
    this.driverCode = driverCode;
  }
}

export interface SessionOptions {
  knex: Knex;
  table: string;
  /** Signs the session cookie; kept in the database so that cookies outlive a restart. */
  secret: string;
  /** true: Secure always; 'auto': when the request came over TLS (req.secure: TLS, or a trusted proxy's X-Forwarded-Proto). */
  secure: CookieSecurity;
  logger: Logger;
  /** The header a trusted reverse proxy names the logged-in user in (e.g. X-Remote-User), or null. */
  authHeader: string | null;
}

export class Sessions {
  readonly middleware: RequestHandler;
  private readonly store: SafeStore;

  constructor(private readonly options: SessionOptions) {
    this.store = new SafeStore(
      {
        knex: options.knex,
        tableName: options.table,
        createTable: false,
        // Expired sessions are deleted hourly; unref'd, so it never holds the process.
        cleanupInterval: 3600_000,
        onDbCleanupError: (err) => options.logger.warn('expired sessions could not be deleted', err instanceof Error ? err.message : err),
      },
      options.logger,
    );
    // The table comes from the migration; this promise only fails when it is missing, which the start checks.
    this.store.ready.catch(() => undefined);
    // One session cookie per scheme over the same table (see ./cookies.ts): `__Host-mta-sts.sid`
    // over TLS, `mta-sts.sid` over plain HTTP, each read only on its own scheme. A store object
    // each, as express-session sets its cookie options on the store it is given (store.generate);
    // the TLS one has no clean-up timer (the first one's clears the whole table).
    const tlsStore = new SafeStore({ knex: options.knex, tableName: options.table, createTable: false, cleanupInterval: 0 }, options.logger);
    tlsStore.ready.catch(() => undefined);
    const make = (tls: boolean, sessionStore: SafeStore) =>
      session({
        name: cookieName('mta-sts.sid', tls),
        secret: options.secret,
        store: sessionStore,
        resave: false,
        saveUninitialized: false,
        rolling: false,
        unset: 'destroy',
        cookie: { httpOnly: true, sameSite: 'lax', secure: tls, path: '/', maxAge: SESSION_LIFETIME_MS },
      });
    const plain = make(false, this.store);
    const tls = make(true, tlsStore);
    this.middleware = (req, res, next) =>
      (overTls(req, options.secure) ? tls : plain)(req, res, (err?: unknown) => {
        // A session that could not be loaded is forgotten for this request: express-session would
        // otherwise destroy it when the response ends (unset 'destroy' with no req.session), and
        // that delete, queued while the database was away, logged the user out once it was back.
        if (err) Reflect.deleteProperty(req, 'sessionID');
        next(err);
      });
  }

  /** The logged-in user: the trusted proxy's header, else the session's, else null. */
  user(req: Request): string | null {
    const proxied = this.proxyUser(req);
    if (proxied) return proxied;
    return req.session?.user ?? null;
  }

  /** What the CSRF tokens are bound to: the session id of a login ('' without one). */
  id(req: Request): string {
    const proxied = this.proxyUser(req);
    if (proxied) return `proxy:${proxied}`;
    return req.session?.user && req.sessionID ? req.sessionID : '';
  }

  /** A new session id for the login (no fixation), saved before the redirect. */
  start(req: Request, user: string): Promise<void> {
    // A login the store could not keep is forgotten for this request: no cookie for a session
    // that is not stored, and no second attempt to save it when the response ends.
    const fail = (err: unknown, reject: (err: Error) => void) => {
      Reflect.deleteProperty(req, 'session');
      Reflect.deleteProperty(req, 'sessionID');
      reject(err as Error);
    };
    return new Promise((resolve, reject) =>
      req.session.regenerate((err) => {
        if (err) return fail(err, reject);
        req.session.user = user;
        req.session.save((saveErr) => (saveErr ? fail(saveErr, reject) : resolve()));
      }),
    );
  }

  end(req: Request, res: Response): Promise<void> {
    return new Promise((resolve) => {
      // A browser drops a __Host- cookie only by a Set-Cookie that is itself Secure.
      const tls = overTls(req, this.options.secure);
      res.clearCookie(cookieName('mta-sts.sid', tls), { path: '/', secure: tls, httpOnly: true, sameSite: 'lax' });
      if (!req.session) return resolve();
      req.session.destroy(() => resolve());
    });
  }

  /** Stops the hourly clean-up timer. */
  close(): void {
    if (this.store.nextDbCleanup) clearTimeout(this.store.nextDbCleanup);
  }

  /**
   * The proxy's header counts only on a connection from a trusted proxy address (the socket's,
   * not X-Forwarded-For, which anyone can send), and only as a plausible user name.
   */
  private proxyUser(req: Request): string | null {
    if (!this.options.authHeader) return null;
    const value = req.get(this.options.authHeader);
    if (value === undefined || !USERNAME.test(value)) return null;
    const trust = req.app.get('trust proxy fn') as ((address: string, hop: number) => boolean) | undefined;
    const peer = req.socket.remoteAddress ?? '';
    return trust && trust(peer, 0) ? value : null;
  }
}
