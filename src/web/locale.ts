import type { Request, Response } from 'express';
import { negotiateLocale, supportedLocale, type Locale } from '../i18n';
import type { ResolvedOptions } from '../options';

/**
 * The language of one request: the host's fixed choice; else what the host's function returns,
 * when it names a supported language; else the browser's Accept-Language; else English.
 * A function that throws is a host bug and fails the request like a throwing `authorize`.
 */
export async function requestLocale(option: ResolvedOptions['locale'], req: Request): Promise<Locale> {
  if (typeof option === 'string') return option;
  if (typeof option === 'function') {
    const chosen = supportedLocale(await option(req));
    if (chosen) return chosen;
  }
  return negotiateLocale(req.get('accept-language'));
}

/**
 * `requestLocale`, decided once per response (the notices and the tab of one page must agree).
 * Unless the host fixed the language, the answer varies with Accept-Language, and says so.
 */
export async function localeFor(option: ResolvedOptions['locale'], req: Request, res: Response): Promise<Locale> {
  const known = res.locals.mtaStsLocale as Locale | undefined;
  if (known) return known;
  const locale = await requestLocale(option, req);
  res.locals.mtaStsLocale = locale;
  if (typeof option !== 'string' && !res.headersSent) res.vary('Accept-Language');
  return locale;
}
