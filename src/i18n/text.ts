// Says Text (src/text: what a sentence says, as data naming catalogue keys) in one language. The
// DNS Check's verdicts are built as Text so that the check needs no language; the edge that shows
// them (tab, API, CLI, alerts) says them through this.
import type { Text, TextParams } from '../text';
import { CATALOGUES, translator, type Locale } from './index';
import { format, type Param } from './format';

/** The text in one language. */
export function sayText(locale: Locale, text: Text): string {
  if (typeof text === 'string') return text;
  const t = translator(locale);
  if ('key' in text) return format(CATALOGUES[t.locale][text.key], sayParams(locale, text.params));
  if ('plural' in text) return t.plural(text.plural, text.count, sayParams(locale, text.params));
  if ('list' in text) return t.list(text.list.map((item) => sayText(locale, item)));
  if ('join' in text) return text.join.map((part) => sayText(locale, part)).join(text.separator);
  return t.locale === 'en' ? text.english : sayText(locale, text.translated);
}

function sayParams(locale: Locale, params: TextParams | undefined): Record<string, Param> {
  const out: Record<string, Param> = {};
  for (const [name, value] of Object.entries(params ?? {})) out[name] = typeof value === 'number' ? value : sayText(locale, value);
  return out;
}
