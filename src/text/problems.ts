// The policy module (src/policy) reports problems by machine code; this maps every code to its
// catalogue message (the compiler makes sure none is left out), as data: src/i18n/policy-text.ts
// says a problem in a language, and the DNS Check builds Text from it without knowing languages.
import type { MessageKey } from '../i18n';
import type { Problem, ProblemCode } from '../policy';
import type { Text } from './index';

export const PROBLEM_KEYS: Record<ProblemCode, MessageKey> = {
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
  'field.mx.panelTooLong': 'field.mx.panelTooLong',
  'field.id.panelDigits': 'field.id.panelDigits',
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

/** A problem as Text, to be said later in the reader's language (see ./index.ts). */
export function problemText(problem: Pick<Problem, 'code' | 'params'>): Text {
  return { key: PROBLEM_KEYS[problem.code], params: problem.params };
}
