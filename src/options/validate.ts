// The small checks every option group shares. Each throws a TypeError naming the option as the
// host wrote it (`options.<name>`), with the rule it broke.
import { isIdentifier, IDENTIFIER_RULE } from '../identifier';
import { isLocale, LOCALES, type Locale } from '../i18n';

/** An optional group of options: `{}` when absent, else it must be an object. */
export function object<T extends object>(value: T | undefined | null, name: string): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`options.${name} must be an object`);
  return value;
}

export function wholeNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`options.${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function optional<T>(value: T | undefined, name: string, type: 'function' | 'boolean'): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== type) throw new TypeError(`options.${name} must be a ${type}`);
  return value;
}

/** A table or column name the plugin puts into SQL (the rule of src/identifier.ts). */
export function identifier(value: unknown, name: string): string {
  if (typeof value !== 'string' || !isIdentifier(value)) throw new TypeError(`options.${name} must be a table or column name (${IDENTIFIER_RULE})`);
  return value;
}

/** One of the languages the plugin speaks (src/i18n/locales.ts); `also` adds to the error's wording. */
export function localeOption(value: unknown, name: string, also = ''): Locale {
  if (!isLocale(value)) throw new TypeError(`options.${name} must be ${LOCALES.map((l) => `'${l}'`).join(' or ')}${also}`);
  return value;
}
