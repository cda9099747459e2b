// No imports: the languages the plugin speaks, for the catalogues, for negotiation, and for every
// setting that names a language (the options, the command's settings, the server's switch).
export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** Exactly one of LOCALES (no region, no other case): what a setting naming a language must be. */
export function isLocale(value: unknown): value is Locale {
  return (LOCALES as readonly unknown[]).includes(value);
}
