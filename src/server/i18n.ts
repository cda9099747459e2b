// The standalone server's language: its own pages (chrome, login, domain list and page, errors)
// say their words from the server's catalogue (src/i18n/server-en.ts, server-de.ts), formatted as
// the plugin formats its own. The language is the one chosen with the switch (a cookie), else the
// browser's Accept-Language, else English; the plugin's tab is told the same choice (./plugin.ts).
import type { Request, RequestHandler, Response } from 'express';
import { format, isLocale, negotiateLocale, supportedLocale, type Locale, type Param, type Placeholders } from '../i18n';
import { SERVER_DE } from '../i18n/server-de';
import { SERVER_EN } from '../i18n/server-en';
import { overTls, type CookieSecurity } from './cookies';

export type ServerKey = keyof typeof SERVER_EN;
type ServerCatalogue = { readonly [K in ServerKey]: string };
/** Every language of the plugin has the server's words too (a missing one is a compile error). */
export const SERVER_CATALOGUES: { readonly [L in Locale]: ServerCatalogue } = { en: SERVER_EN, de: SERVER_DE };

/** The parameters a key needs: none, or an object naming each of its English placeholders. */
type ServerParams<K extends ServerKey> = [Placeholders<(typeof SERVER_EN)[K]>] extends [never]
  ? []
  : [params: { readonly [P in Placeholders<(typeof SERVER_EN)[K]>]: Param }];

/** One of the server's messages in the request's language (the views call it too). */
export type Say = <K extends ServerKey>(key: K, ...params: ServerParams<K>) => string;

export const LANGUAGE_COOKIE = 'panel.lang';

/** The language the person chose with the switch (cookie), or null. */
export function chosenLanguage(req: Request): Locale | null {
  const header = req.headers.cookie ?? '';
  const match = new RegExp(`(?:^|;\\s*)${LANGUAGE_COOKIE.replace('.', '\\.')}=([A-Za-z-]{2,8})`).exec(header);
  return match ? supportedLocale(match[1]) : null;
}

/** The server's language for a request: the switch, else Accept-Language, else English. */
export function demoLanguage(req: Request): Locale {
  return chosenLanguage(req) ?? negotiateLocale(req.get('accept-language'));
}

export function sayer(locale: Locale): Say {
  const catalogue = SERVER_CATALOGUES[locale];
  return (key, ...params) => format(catalogue[key], params[0]);
}

/**
 * The switch's form (POST /language): sets its cookie (a preference, not a secret: readable, a
 * year long, Lax) and goes back where it was pressed, a path on this site only.
 */
export function languageSwitch(secure: CookieSecurity): RequestHandler {
  return (req: Request, res: Response) => {
    const { lang, next } = (req.body ?? {}) as Record<string, unknown>;
    const locale = isLocale(lang) ? lang : null;
    if (locale) res.cookie(LANGUAGE_COOKIE, locale, { sameSite: 'lax', secure: overTls(req, secure), path: '/', maxAge: 365 * 24 * 3600 * 1000 });
    const back = typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/domains';
    res.redirect(303, back);
  };
}
