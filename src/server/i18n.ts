// The demo panel's own words (its page chrome: navigation, domain list, domain page), in English
// and German. The plugin's tab has its own catalogues (src/i18n); these belong to the host. The
// language is the one chosen with the switch (a cookie), else the browser's Accept-Language.
import type { Request, Response } from 'express';
import { negotiateLocale, supportedLocale, type Locale } from '../i18n';

const en = {
  brand: 'Demo mail panel',
  'nav.domains': 'Domains',
  'nav.logout': 'Log out',
  'nav.language': 'Language',
  'domains.title': 'Domains',
  'domains.overview': 'MTA-STS overview of all domains',
  'domains.domain': 'Domain',
  'domains.description': 'Description',
  'domains.active': 'Active',
  'domains.mtaSts': 'MTA-STS',
  'domains.actions': 'Actions',
  'domains.edit': 'Edit',
  'domains.check': 'DNS Check',
  'domains.caption': 'Domains of this panel, with their MTA-STS state',
  'state.off': 'off',
  'state.none': 'none (retiring)',
  'state.testing': 'testing',
  'state.enforce': 'enforce',
  'state.hostInactive': 'not served: domain inactive',
  'check.summary': 'DNS Check: {error} errors, {warning} warnings, {ok} OK, {info} notes.',
  'check.details': 'Details in the MTA-STS tab',
  'check.failed': 'The DNS Check could not be run.',
  yes: 'yes',
  no: 'no',
  'domain.title': 'Edit domain {domain}',
  'domain.tabs': 'Domain settings',
  'domain.general': 'General',
  'domain.mailboxes': 'Mailboxes',
} as const;

type Key = keyof typeof en;

const de: { readonly [K in Key]: string } = {
  brand: 'Demo-Mailpanel',
  'nav.domains': 'Domains',
  'nav.logout': 'Abmelden',
  'nav.language': 'Sprache',
  'domains.title': 'Domains',
  'domains.overview': 'MTA-STS-Übersicht aller Domains',
  'domains.domain': 'Domain',
  'domains.description': 'Beschreibung',
  'domains.active': 'Aktiv',
  'domains.mtaSts': 'MTA-STS',
  'domains.actions': 'Aktionen',
  'domains.edit': 'Bearbeiten',
  'domains.check': 'DNS-Prüfung',
  'domains.caption': 'Domains dieses Panels, mit ihrem MTA-STS-Zustand',
  'state.off': 'aus',
  'state.none': 'none (wird zurückgezogen)',
  'state.testing': 'testing',
  'state.enforce': 'enforce',
  'state.hostInactive': 'nicht ausgeliefert: Domain inaktiv',
  'check.summary': 'DNS-Prüfung: {error} Fehler, {warning} Warnungen, {ok} OK, {info} Hinweise.',
  'check.details': 'Einzelheiten im Reiter MTA-STS',
  'check.failed': 'Die DNS-Prüfung konnte nicht ausgeführt werden.',
  yes: 'ja',
  no: 'nein',
  'domain.title': 'Domain {domain} bearbeiten',
  'domain.tabs': 'Domain-Einstellungen',
  'domain.general': 'Allgemein',
  'domain.mailboxes': 'Postfächer',
};

export const LANGUAGE_COOKIE = 'panel.lang';

export type Say = (key: Key, params?: Record<string, string | number>) => string;

/** The language the person chose with the switch (cookie), or null. */
export function chosenLanguage(req: Request): Locale | null {
  const header = req.headers.cookie ?? '';
  const match = new RegExp(`(?:^|;\\s*)${LANGUAGE_COOKIE.replace('.', '\\.')}=([A-Za-z-]{2,8})`).exec(header);
  return match ? supportedLocale(match[1]) : null;
}

/** The demo's language for a request: the switch, else Accept-Language, else English. */
export function demoLanguage(req: Request): Locale {
  return chosenLanguage(req) ?? negotiateLocale(req.get('accept-language'));
}

export function sayer(locale: Locale): Say {
  const catalogue = locale === 'de' ? de : en;
  return (key, params = {}) => catalogue[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Sets the switch's cookie (a preference, not a secret: readable, a year long, Lax). */
export function setLanguage(res: Response, locale: Locale, secure: boolean): void {
  res.cookie(LANGUAGE_COOKIE, locale, { sameSite: 'lax', secure, path: '/', maxAge: 365 * 24 * 3600 * 1000 });
}
