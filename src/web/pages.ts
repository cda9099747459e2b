import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import type { Request, Response } from 'express';
import type { ResolvedOptions } from '../options';
import { CATALOGUES, DEFAULT_LOCALE, format, translator } from '../i18n';
import type { HttpError } from './errors';
import { localeFor } from './locale';

/** The plugin's EJS views, at the package root: two levels up from `src/web`, three from `dist/src/web`. */
export const VIEWS_DIR =
  [join(__dirname, '../../views'), join(__dirname, '../../../views')].find((dir) => existsSync(join(dir, 'tab.ejs'))) ?? join(__dirname, '../../../views');

/**
 * Renders the plugin's fragments and hands them to the host's layout, so that every page the
 * plugin answers with (after a save, with errors, an error page) sits inside the host's page.
 */
export class PageRenderer {
  private readonly templates = new Map<string, ejs.TemplateFunction>();

  constructor(private readonly options: ResolvedOptions) {}

  /** An HTML fragment from `views/<name>.ejs`; `<%= %>` escapes everything it prints. */
  fragment(name: string, data: Record<string, unknown>): string {
    let template = this.templates.get(name);
    if (!template) {
      const filename = join(VIEWS_DIR, `${name}.ejs`);
      template = ejs.compile(readFileSync(filename, 'utf8'), { filename, strict: true, localsName: 'it' });
      this.templates.set(name, template);
    }
    return template(data);
  }

  async page(req: Request, res: Response, page: { title: string; domain: string | null; content: string; status: number }): Promise<void> {
    const html = this.options.layout ? await this.options.layout({ req, res, ...page }) : this.fragment('page', { title: page.title, content: page.content });
    if (res.headersSent) return;
    res.status(page.status).type('html').send(html);
  }

  /** An error page in the reader's language (the JSON API keeps the English message). */
  async error(req: Request, res: Response, error: HttpError): Promise<void> {
    const t = translator(await localeFor(this.options.locale, req, res).catch(() => DEFAULT_LOCALE));
    const title = t.t('error.title', { status: error.status });
    const message = error.text ? format(CATALOGUES[t.locale][`error.${error.text.key}`], error.text.values) : error.message;
    const content = this.fragment('error', { title, message, lang: t.locale });
    await this.page(req, res, { title, domain: null, content, status: error.status });
  }
}
