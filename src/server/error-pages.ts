// The end of the server's routes: its 404 page, then the outage page (503, ./outage.ts), then
// every other error: a form without a valid token (403), a request refused by a body parser (its
// 4xx status), and a bug (500, logged). Each as a page in the request's language.
import ejs from 'ejs';
import type { Express, Request, Response } from 'express';
import { format } from '../i18n';
import type { Logger } from '../logger';
import { demoLanguage, sayer } from './i18n';
import { outageHandler } from './outage';
import type { PageRenderer } from './pages';

interface ErrorPages {
  logger: Logger;
  page: PageRenderer;
  /** Paths whose clients are programs (the JSON API, the report intake): their outage answer is JSON. */
  jsonPaths: readonly string[];
}

/** A paragraph of text, escaped. */
const paragraph = (text: string) => `<p>${ejs.escapeXML(text)}</p>`;

export function addErrorPages(app: Express, { logger, page, jsonPaths }: ErrorPages): void {
  app.use((req, res) => {
    const say = sayer(demoLanguage(req));
    res.status(404).send(page(req, res, say('page.notFound.title'), paragraph(say('page.notFound.text'))));
  });
  app.use(outageHandler({ logger, page, jsonPaths }));
  app.use((err: unknown, req: Request, res: Response, _next: () => void) => {
    const say = sayer(demoLanguage(req));
    if ((err as { code?: string } | null)?.code === 'EBADCSRFTOKEN') {
      // The login or logout form without a valid token: another site's form, or an old page.
      const reload = `<a href="/login">${ejs.escapeXML(say('page.formExpired.reload'))}</a>`;
      // Escaped first, then the link put in: the placeholder's braces are not escaped.
      const text = format(ejs.escapeXML(say('page.formExpired.text', { reload: '{reload}' })), { reload });
      return res.status(403).send(page(req, res, say('page.formExpired.title'), `<p>${text}</p>`));
    }
    logger.error(`${req.method} ${req.path} failed`, err);
    const status = (err as { status?: number }).status ?? 500;
    res.status(status).send(page(req, res, say('page.error.title'), paragraph(say(status === 500 ? 'page.error.internal' : 'page.error.refused'))));
  });
}
