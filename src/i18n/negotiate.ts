// Which language a request gets: the host's choice first, then the browser's Accept-Language.
import { isLocale, type Locale } from './locales';

/** 'de', 'DE', 'de-DE', 'de_AT' → 'de'; anything unsupported (or not a string) → null. */
export function supportedLocale(value: unknown): Locale | null {
  if (typeof value !== 'string') return null;
  const primary = /^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$/.exec(value)?.[1]?.toLowerCase();
  return isLocale(primary) ? primary : null;
}

/**
 * The language ranges of an Accept-Language header (RFC 9110 section 12.5.4), best first:
 * highest q first, and in header order among equal q. Ranges with q=0 ("not this") are dropped;
 * a malformed entry is skipped rather than spoiling the rest.
 */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (typeof header !== 'string' || header.length > 2000) return [];
  const ranges: Array<{ tag: string; q: number; index: number }> = [];
  header.split(',').forEach((part, index) => {
    // Trimmed first: a `\s*(?:;...)?\s*$` tail retries a run of blanks at every blank (quadratic).
    const match = /^([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)(?:\s*;\s*q\s*=\s*([01](?:\.\d{0,3})?))?$/.exec(part.trim());
    if (!match) return;
    const q = match[2] === undefined ? 1 : Number(match[2]);
    if (q > 0 && q <= 1) ranges.push({ tag: match[1].toLowerCase(), q, index });
  });
  return ranges.sort((a, b) => b.q - a.q || a.index - b.index).map((r) => r.tag);
}

/** The best supported language for an Accept-Language header; `fallback` when none fits. */
export function negotiateLocale(header: string | undefined, fallback: Locale = 'en'): Locale {
  for (const tag of parseAcceptLanguage(header)) {
    if (tag === '*') return fallback;
    const locale = supportedLocale(tag);
    if (locale) return locale;
  }
  return fallback;
}
