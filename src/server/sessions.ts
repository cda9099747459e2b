// The standalone server's login sessions: express-session with connect-session-knex 5, in the
// plugin-owned table `<prefix>sessions` (migration 20261201000200), so that a restart logs nobody
// out. Optionally a login header set by a trusted reverse proxy stands in for a session.
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
 * The store, with `touch` made safe: connect-session-knex's touch rejects when the database is
 * gone, and express-session does not catch it (an unhandled rejection would end the process).
 */
class SafeStore extends ConnectSessionKnexStore {
  constructor(
    options: ConstructorParameters<typeof ConnectSessionKnexStore>[0],
    private readonly logger: Logger,
  ) {
    super(options);
  }
  override async touch(sid: string, sess: session.SessionData, callback?: () => void): Promise<void> {
    try {
      await super.touch(sid, sess);
    } catch (err) {
      this.logger.warn('session touch failed (database unavailable?)', err instanceof Error ? err.message : err);
    }
    callback?.();
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
    this.middleware = (req, res, next) => (overTls(req, options.secure) ? tls : plain)(req, res, next);
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
    return req.session?.user ? req.sessionID : '';
  }

  /** A new session id for the login (no fixation), saved before the redirect. */
  start(req: Request, user: string): Promise<void> {
    return new Promise((resolve, reject) =>
      req.session.regenerate((err) => {
        if (err) return reject(err as Error);
        req.session.user = user;
        req.session.save((saveErr) => (saveErr ? reject(saveErr as Error) : resolve()));
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
