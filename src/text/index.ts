// Text as data: what a sentence says (a catalogue key and its values, a plural, a list, sentences
// joined), without saying it in any language yet. The DNS Check verdicts build these, so they stay
// pure and need no language; src/i18n/text.ts `sayText` says one in a language. A plain string is
// technical text (a record value, a host name, a URL) that reads the same in every language.
// A room of its own so that the check (which builds Text) and i18n (which says it) need not import
// each other. The only import is type-only: the English catalogue's keys and placeholders, so the
// compiler checks every key a verdict names; nothing of it exists at run time.
import type { MessageKey, Placeholders, PluralKey } from '../i18n';
import type { EnglishCatalogue } from '../i18n/en';

export type Text = string | Message | Plural | List | Joined | Original;
/** A placeholder's value: a number, or text (said in the same language as the sentence around it). */
export type TextParam = number | Text;
export type TextParams = Readonly<Record<string, TextParam>>;

export interface Message {
  readonly key: MessageKey;
  readonly params?: TextParams;
}
/** `<plural>.one` for a count of 1, else `<plural>.other`, with `{count}` set. */
export interface Plural {
  readonly plural: PluralKey;
  readonly count: number;
  readonly params?: TextParams;
}
/** "a", "a and b", "a, b and c" in the language's words. */
export interface List {
  readonly list: readonly Text[];
}
export interface Joined {
  readonly join: readonly Text[];
  readonly separator: string;
}
/**
 * A technical message that exists in English only (the resolver's or a probe's own words, which
 * name the exact timeout or TLS error): English shows it as it is, other languages say
 * `translated`, built from the same facts.
 */
export interface Original {
  readonly english: string;
  readonly translated: Text;
}

/** The values a key needs, checked when compiling as for `Translator.t`. */
export type TextParamsOf<K extends MessageKey> = [Placeholders<EnglishCatalogue[K]>] extends [never]
  ? []
  : [params: { readonly [P in Placeholders<EnglishCatalogue[K]>]: TextParam }];

export function msg<K extends MessageKey>(key: K, ...params: TextParamsOf<K>): Message {
  return params[0] === undefined ? { key } : { key, params: params[0] };
}

export function plural(base: PluralKey, count: number, params?: TextParams): Plural {
  return params === undefined ? { plural: base, count } : { plural: base, count, params };
}

export function list(items: readonly Text[]): List {
  return { list: items };
}

export function joined(parts: readonly Text[], separator: string): Joined {
  return { join: parts, separator };
}

/** Sentences joined by a space; `false`, null and undefined (notes that do not apply) are left out. */
export function sentences(...parts: Array<Text | false | null | undefined>): Joined {
  return joined(
    parts.filter((part): part is Text => part !== false && part !== null && part !== undefined && part !== ''),
    ' ',
  );
}

export function original(english: string, translated: Text): Original {
  return { english, translated };
}
