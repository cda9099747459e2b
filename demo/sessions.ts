import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';

const COOKIE = 'panel.sid';
const LIFETIME_MS = 8 * 3600 * 1000;

/**
 * The demo host's login sessions: an in-memory map from a random cookie token to the user. A real
 * panel has its own; the plugin only sees them through the `authorize` and `csrf.sessionId` hooks.
 */
export class Sessions {
  private readonly sessions = new Map<string, { user: string; expires: number }>();

  constructor(private readonly secure: boolean) {}

  start(res: Response, user: string): void {
    const token = randomBytes(24).toString('base64url');
    this.sessions.set(token, { user, expires: Date.now() + LIFETIME_MS });
    res.cookie(COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: '/', maxAge: LIFETIME_MS });
  }

  end(req: Request, res: Response): void {
    const token = this.token(req);
    if (token) this.sessions.delete(token);
    res.clearCookie(COOKIE, { path: '/' });
  }

  /** The logged-in user, or null. */
  user(req: Request): string | null {
    const token = this.token(req);
    const session = token ? this.sessions.get(token) : undefined;
    if (!session) return null;
    if (session.expires < Date.now()) {
      this.sessions.delete(token as string);
      return null;
    }
    return session.user;
  }

  /**
   * The token of a live session, which the plugin uses to bind its CSRF tokens to this login; ''
   * when the cookie names no live session (a client inventing cookies gets nothing from them).
   */
  id(req: Request): string {
    return this.user(req) === null ? '' : (this.token(req) as string);
  }

  private token(req: Request): string | null {
    const header = req.headers.cookie ?? '';
    for (const part of header.split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === COOKIE) return decodeURIComponent(value.join('='));
    }
    return null;
  }
}
