// Logging in and out of the server's own pages: the login form (limited per account and address,
// ./login-limit.ts), the logout button's form, and the end of a removed account's sessions.
import type { Express, Request, RequestHandler, Response } from 'express';
import type { Accounts } from './accounts';
import type { PanelCsrf } from './cookies';
import { demoLanguage, sayer, type Say } from './i18n';
import type { LoginLimit, LoginRefusal } from './login-limit';
import type { Metrics } from './metrics';
import { view, type PageRenderer } from './pages';
import type { Sessions } from './sessions';

interface LoginRoutes {
  accounts: Accounts;
  sessions: Sessions;
  logins: LoginLimit;
  metrics: Metrics;
  panelCsrf: PanelCsrf;
  page: PageRenderer;
}

/** @internal Why a login must wait, in the reader's language: "15 minutes", "2 hours", rounded up. */
export function refusalText(say: Say, refusal: LoginRefusal): string {
  if (refusal.reason === 'checking') return say('login.checking');
  const minutes = Math.ceil(refusal.retryAfter / 60);
  if (minutes >= 120) return say('login.blocked.hours', { count: Math.ceil(minutes / 60) });
  return minutes === 1 ? say('login.blocked.minutes.one', { count: minutes }) : say('login.blocked.minutes.other', { count: minutes });
}

export function addLoginRoutes(app: Express, { accounts, sessions, logins, metrics, panelCsrf, page }: LoginRoutes): void {
  const loginPage = (req: Request, res: Response, status: number, error: string | null) => {
    const say = sayer(demoLanguage(req));
    res.status(status).send(page(req, res, say('login.title'), view('login', { error, say, csrfToken: panelCsrf.token(req, res) })));
  };

  app.get('/login', (req, res) => {
    loginPage(req, res, 200, null);
  });
  app.post('/login', ...panelCsrf.protect, async (req, res) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    const name = typeof username === 'string' ? username.slice(0, 200) : '';
    const address = req.ip ?? req.socket.remoteAddress ?? '';
    const say = sayer(demoLanguage(req));
    // Checked before the password: once blocked, not even the right password gets in, so guessing stops.
    const refusal = await logins.refusal(address, name);
    if (refusal) {
      metrics.login('blocked');
      res.setHeader('Retry-After', String(refusal.retryAfter));
      return loginPage(req, res, 429, refusalText(say, refusal));
    }
    const user = await accounts.verify(name, password);
    if (user !== null) {
      await logins.succeeded(address, name);
      metrics.login('ok');
      await sessions.start(req, user);
      const next = typeof req.query.next === 'string' && /^\/[a-z]/.test(req.query.next) ? req.query.next : '/domains';
      return res.redirect(303, next);
    }
    await logins.failed(address, name);
    metrics.login('failed');
    loginPage(req, res, 401, say('login.wrong'));
  });
  app.post('/logout', ...panelCsrf.protect, async (req, res) => {
    await sessions.end(req, res);
    res.redirect(303, '/login');
  });
}

/** A removed account's sessions end at their next request. */
export function endRemovedAccounts(accounts: Accounts): RequestHandler {
  return (req, _res, next) => {
    const user = req.session?.user;
    if (!user) return next();
    accounts.exists(user).then(
      (exists) => (exists ? next() : req.session.destroy(() => next())),
      (err: unknown) => next(err),
    );
  };
}
