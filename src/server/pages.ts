// The server's page chrome: its EJS views (views/server) and the layout around every page it
// renders, its own and the plugin's, in the request's language with the language switch.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import type { Request, Response } from 'express';
import type { PanelCsrf } from './cookies';
import { demoLanguage, sayer } from './i18n';
import type { Sessions } from './sessions';

/** views/server, from src/ (ts-node) or from dist/src/. */
export const VIEWS = [join(__dirname, '../../views/server'), join(__dirname, '../../../views/server')].find((dir) =>
  existsSync(join(dir, 'layout.ejs')),
) as string;

const templates = new Map<string, ejs.TemplateFunction>();

/** One of the server's views, compiled once; `it` holds the data (strict: no `with`). */
export function view(name: string, data: Record<string, unknown>): string {
  let template = templates.get(name);
  if (!template) {
    const filename = join(VIEWS, `${name}.ejs`);
    template = ejs.compile(readFileSync(filename, 'utf8'), { filename, localsName: 'it', strict: true });
    templates.set(name, template);
  }
  return template(data);
}

/** `content` (HTML, escaped by whoever rendered it) inside the server's layout, titled `title`. */
export type PageRenderer = (req: Request, res: Response, title: string, content: string) => string;

export function pageRenderer(sessions: Sessions, panelCsrf: PanelCsrf): PageRenderer {
  return (req, res, title, content) => {
    const lang = demoLanguage(req);
    const user = sessions.user(req);
    // The words follow Accept-Language unless the switch was used; a shared cache must not mix them.
    if (!res.headersSent) res.vary('Accept-Language');
    // The logout form carries a token too: logging someone out is an action another site must not take.
    return view('layout', { title, content, user, csrfToken: user ? panelCsrf.token(req, res) : null, say: sayer(lang), lang, here: req.originalUrl });
  };
}
