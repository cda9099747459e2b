// The plugin's languages: every string a person reads in the tab and the DNS Check comes from a
// catalogue here. English (`en.ts`) is the source: its keys and `{placeholders}` define the
// message set, and the German catalogue (`de.ts`) must have exactly the same keys (a missing or
// extra key is a compile error; the i18n tests check the placeholders too).
import { de } from './de';
import { en, type EnglishCatalogue } from './en';
import { format, type Param } from './format';
import type { Locale } from './locales';

export { ERROR_TEXTS, type ErrorTextKey } from './error-texts';
export { negotiateLocale, supportedLocale } from './negotiate';

export { LOCALES, DEFAULT_LOCALE, isLocale, type Locale } from './locales';
export { format, type Param } from './format';

export type MessageKey = keyof EnglishCatalogue;
/** What a translation must provide: a string for every key of the English catalogue. */
export type Catalogue = { readonly [K in MessageKey]: string };

export const CATALOGUES: { readonly [L in Locale]: Catalogue } = { en, de };

/** The `{name}` placeholders of an English message, as a union of names. */
export type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;
/** The parameters a key needs: none, or an object naming each of its placeholders. */
export type ParamsOf<K extends MessageKey> = [Placeholders<EnglishCatalogue[K]>] extends [never]
  ? []
  : [params: { readonly [P in Placeholders<EnglishCatalogue[K]>]: Param }];

/** Keys that come as a `.one`/`.other` pair; `{count}` is filled in by `plural`. */
export type PluralKey = {
  [K in MessageKey]: K extends `${infer Base}.one` ? (`${Base}.other` extends MessageKey ? Base : never) : never;
}[MessageKey];

/** One message in one language. */
export function translate<K extends MessageKey>(locale: Locale, key: K, ...params: ParamsOf<K>): string {
  const catalogue = CATALOGUES[locale] ?? en;
  return format(catalogue[key] ?? en[key], params[0]);
}

/** Everything that says something in one language: messages, plurals, lists and durations. */
export interface Translator {
  readonly locale: Locale;
  t<K extends MessageKey>(key: K, ...params: ParamsOf<K>): string;
  /** Like `t`, for a key chosen at run time: its parameters are not checked when compiling. */
  say(key: MessageKey, params?: Readonly<Record<string, Param>>): string;
  /** `<base>.one` for a count of 1, else `<base>.other`, with `{count}` set. */
  plural(base: PluralKey, count: number, params?: Readonly<Record<string, Param>>): string;
  /** "a", "a and b", "a, b and c" (in German "und"). */
  list(items: readonly string[]): string;
  /** 90000 → "1 day 1 hour": the two largest whole units. */
  duration(seconds: number): string;
}

const DURATION_UNITS = [
  [604800, 'duration.week'],
  [86400, 'duration.day'],
  [3600, 'duration.hour'],
  [60, 'duration.minute'],
  [1, 'duration.second'],
] as const satisfies ReadonlyArray<readonly [number, PluralKey]>;

class CatalogueTranslator implements Translator {
  constructor(readonly locale: Locale) {}

  t<K extends MessageKey>(key: K, ...params: ParamsOf<K>): string {
    return translate(this.locale, key, ...params);
  }

  say(key: MessageKey, params?: Readonly<Record<string, Param>>): string {
    return format(CATALOGUES[this.locale][key] ?? en[key], params);
  }

  plural(base: PluralKey, count: number, params: Readonly<Record<string, Param>> = {}): string {
    const key = `${base}.${count === 1 ? 'one' : 'other'}` as MessageKey;
    return format(CATALOGUES[this.locale][key], { ...params, count });
  }

  list(items: readonly string[]): string {
    if (items.length <= 1) return items.join('');
    return format(CATALOGUES[this.locale]['list.last'], { first: items.slice(0, -1).join(', '), last: items[items.length - 1] });
  }

  duration(seconds: number): string {
    if (!Number.isFinite(seconds) || seconds < 0) return '';
    if (seconds === 0) return this.plural('duration.second', 0);
    const parts: string[] = [];
    let rest = Math.floor(seconds);
    for (const [size, unit] of DURATION_UNITS) {
      const count = Math.floor(rest / size);
      if (count > 0 && parts.length < 2) {
        parts.push(this.plural(unit, count));
        rest -= count * size;
      }
    }
    return parts.join(' ');
  }
}

const TRANSLATORS: { readonly [L in Locale]: Translator } = { en: new CatalogueTranslator('en'), de: new CatalogueTranslator('de') };

export function translator(locale: Locale): Translator {
  return TRANSLATORS[locale] ?? TRANSLATORS.en;
}
