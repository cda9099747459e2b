// No imports: the languages the plugin speaks, for the catalogues and for negotiation.
export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';
