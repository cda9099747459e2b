// The policy module (src/policy) explains problems in English sentences: the validator's field
// errors, which the JSON API returns as they are, and the parsers' reasons. This maps each of
// those sentences to a catalogue message with its parameters, so the tab and the DNS Check can
// say them in the reader's language. A sentence it does not know is shown as it is (English),
// never dropped; the i18n tests make every sentence the policy module can produce known here, and
// check that the English catalogue reproduces it word for word.
import { CATALOGUES, format, type Locale, type MessageKey, type Param } from './index';

export interface Text { key: MessageKey; params?: Readonly<Record<string, Param>> }

type Rule = [RegExp, MessageKey, ...string[]];

/** Tries each pattern in turn; the capture groups fill the named parameters in order. */
function matcher(rules: readonly Rule[]): (message: string) => Text | null {
  return (message) => {
    for (const [pattern, key, ...names] of rules) {
      const match = pattern.exec(message);
      if (match) return { key, params: Object.fromEntries(names.map((name, i) => [name, match[i + 1]])) };
    }
    return null;
  };
}

/** The validator's FieldError messages (src/policy/validate.ts, src/policy/mx.ts). */
export const fieldErrorText = matcher([
  [/^Version must be STSv1, the only version RFC 8461 defines$/, 'field.version.invalid'],
  [/^Mode must be one of none, testing or enforce$/, 'field.mode.invalid'],
  [/^Maximum Age must be a whole number of seconds from 0 to (\d+) \(one year, the RFC 8461 maximum\)$/, 'field.maxAge.invalid', 'max'],
  [/^MX entries must be text$/, 'field.mx.notText'],
  [/^MX entries must be a list of host names or a comma-separated string$/, 'field.mx.notList'],
  [/^MX entries has a problem: "([\s\S]*)" is not a valid MX entry: use a host name such as mail\.example\.org, or \*\. followed by a host name \(a wildcard only as the whole leftmost label\)$/, 'field.mx.badEntry', 'entry'],
  [/^MX entries has a problem: at most (\d+) entries are allowed$/, 'field.mx.tooMany', 'max'],
  [/^MX entries: at least one entry is required in mode (\S+)$/, 'field.mx.required', 'mode'],
  [/^Active must be checked or unchecked$/, 'field.active.invalid'],
  [/^Active must be true or false$/, 'field.active.notBoolean'],
  [/^("[\s\S]*") is not a known field \(known: ([^)]*)\)$/, 'field.unknown', 'field', 'known'],
]);

/** parseStsRecord's reasons (src/policy/parse.ts), as a clause about the record. */
export const stsRecordProblemText = matcher([
  [/^does not begin with "v=STSv1;"$/, 'dns.stsRecord.prefix'],
  [/^field "([\s\S]*)" is not name=value$/, 'dns.stsRecord.field', 'field'],
  [/^has more than one id field$/, 'dns.stsRecord.twoIds'],
  [/^id "([\s\S]*)" is not 1-32 letters and digits$/, 'dns.stsRecord.badId', 'id'],
  [/^has no id field$/, 'dns.stsRecord.noId'],
]);

/** parsePolicy's errors (src/policy/parse.ts). */
export const policyProblemText = matcher([
  [/^line (\d+) is not "key: value"$/, 'dns.policyText.line', 'line'],
  [/^mx "([\s\S]*)" is not a valid A-label pattern$/, 'dns.policyText.mx', 'value'],
  [/^version is missing$/, 'dns.policyText.noVersion'],
  [/^version "([\s\S]*)" is not STSv1$/, 'dns.policyText.version', 'value'],
  [/^mode is missing$/, 'dns.policyText.noMode'],
  [/^mode "([\s\S]*)" is not none, testing or enforce$/, 'dns.policyText.mode', 'value'],
  [/^max_age is missing$/, 'dns.policyText.noMaxAge'],
  [/^max_age "([\s\S]*)" is not a number of seconds from 0 to (\d+)$/, 'dns.policyText.maxAge', 'value', 'max'],
  [/^mode (\S+) needs at least one mx line$/, 'dns.policyText.needsMx', 'mode'],
]);

/** A known sentence in the given language; an unknown one as it is. */
export function sayKnown(locale: Locale, message: string, known: (message: string) => Text | null): string {
  const text = known(message);
  return text ? format(CATALOGUES[locale][text.key], text.params) : message;
}
