// The standalone server's login sessions: express-session with connect-session-knex 5, in the
// plugin-owned table `<prefix>sessions` (migration 20261201000200), so that a restart logs nobody
// out. Optionally a login header set by a trusted reverse proxy stands in for a session.
import type { Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { ConnectSessionKnexStore } from 'connect-session-knex';
import type { Knex } from 'knex';
import type { Logger } from '../logger';
import { USERNAME } from './accounts';

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
  /** true: Secure always; 'auto': when the request came over TLS (req.secure, which a trusted proxy's X-Forwarded-Proto sets). */
  secure: boolean | 'auto';
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
    const secure = options.secure === true;
    this.middleware = session({
      name: secure ? '__Host-mta-sts.sid' : 'mta-sts.sid',
      secret: options.secret,
      store: this.store,
      resave: false,
      saveUninitialized: false,
      rolling: false,
      unset: 'destroy',
      cookie: { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/', maxAge: SESSION_LIFETIME_MS },
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
      res.clearCookie(this.options.secure === true ? '__Host-mta-sts.sid' : 'mta-sts.sid', { path: '/' });
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
