// No imports: the policy rules (src/policy/problems.ts) and the error texts fill their sentences
// with this too, so that there is one placeholder syntax and one formatter.
export type Param = string | number;

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** @internal The placeholder names of a message text, sorted; the i18n tests compare them across languages. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))].sort();
}

/** Fills `{name}` placeholders; one without a value stays as it is, visibly. */
export function format(template: string, params: Readonly<Record<string, Param>> = {}): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole));
}
