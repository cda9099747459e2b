// The policy module (src/policy) reports problems by machine code, with an English sentence for
// the JSON API. The tab and the DNS Check say the same code in the reader's language; this maps
// every code to its catalogue message, and the compiler makes sure none is left out.
import type { Problem, ProblemCode } from '../policy';
import { CATALOGUES, format, type Locale, type MessageKey } from './index';
import type { Text } from './text';

const KEYS: Record<ProblemCode, MessageKey> = {
  'field.version.invalid': 'field.version.invalid',
  'field.mode.invalid': 'field.mode.invalid',
  'field.maxAge.invalid': 'field.maxAge.invalid',
  'field.mx.notText': 'field.mx.notText',
  'field.mx.notList': 'field.mx.notList',
  'field.mx.badEntry': 'field.mx.badEntry',
  'field.mx.ipAddress': 'field.mx.ipAddress',
  'field.mx.url': 'field.mx.url',
  'field.mx.emptyLabel': 'field.mx.emptyLabel',
  'field.mx.wildcard': 'field.mx.wildcard',
  'field.mx.labelTooLong': 'field.mx.labelTooLong',
  'field.mx.nameTooLong': 'field.mx.nameTooLong',
  'field.mx.broadWildcard': 'field.mx.broadWildcard',
  'field.mx.tooMany': 'field.mx.tooMany',
  'field.mx.required': 'field.mx.required',
  'field.active.invalid': 'field.active.invalid',
  'field.active.notBoolean': 'field.active.notBoolean',
  'field.unknown': 'field.unknown',
  'field.retire.notTrue': 'field.retire.notTrue',
  'field.changes.empty': 'field.changes.empty',
  'field.changes.retireAlone': 'field.changes.retireAlone',
  // Said as a clause about the record ("it has no id field"), hence their own wording.
  'stsRecord.prefix': 'dns.stsRecord.prefix',
  'stsRecord.field': 'dns.stsRecord.field',
  'stsRecord.twoIds': 'dns.stsRecord.twoIds',
  'stsRecord.badId': 'dns.stsRecord.badId',
  'stsRecord.noId': 'dns.stsRecord.noId',
  'policyText.line': 'dns.policyText.line',
  'policyText.longLine': 'dns.policyText.longLine',
  'policyText.mx': 'dns.policyText.mx',
  'policyText.noVersion': 'dns.policyText.noVersion',
  'policyText.version': 'dns.policyText.version',
  'policyText.noMode': 'dns.policyText.noMode',
  'policyText.mode': 'dns.policyText.mode',
  'policyText.noMaxAge': 'dns.policyText.noMaxAge',
  'policyText.maxAge': 'dns.policyText.maxAge',
  'policyText.needsMx': 'dns.policyText.needsMx',
};

/** @internal The catalogue message for a problem code (its test checks every code has one). */
export function problemKey(code: ProblemCode): MessageKey {
  return KEYS[code];
}

/** A problem in the given language, with its values filled in. */
export function sayProblem(locale: Locale, problem: Pick<Problem, 'code' | 'params'>): string {
  return format(CATALOGUES[locale][KEYS[problem.code]], problem.params);
}

/** A problem as Text, to be said later in the reader's language (see ./text.ts). */
export function problemText(problem: Pick<Problem, 'code' | 'params'>): Text {
  return { key: KEYS[problem.code], params: problem.params };
}
