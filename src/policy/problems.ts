import { format } from '../i18n/format';

/**
 * Every problem the policy rules can report, by machine code, with its English sentence. The
 * JSON API returns code, params and the English message; the tab and the DNS Check say the same
 * code in the reader's language (src/i18n maps each code to a catalogue message).
 */
export const PROBLEM_TEXTS = {
  'field.version.invalid': 'Version must be STSv1, the only version RFC 8461 defines',
  'field.mode.invalid': 'Mode must be one of none, testing or enforce',
  'field.maxAge.invalid': 'Maximum Age must be a whole number of seconds from 0 to {max} (one year, the RFC 8461 maximum)',
  'field.mx.notText': 'MX entries must be text',
  'field.mx.notList': 'MX entries must be a list of host names or a comma-separated string',
  'field.mx.badEntry':
    'MX entries have a problem: "{entry}" is not a valid MX entry: use a host name such as mail.example.org, or *. followed by a host name (a wildcard only as the whole leftmost label)',
  'field.mx.ipAddress': 'MX entries have a problem: "{entry}" is an IP address. IP addresses are not allowed: use the host name of the MX',
  'field.mx.url': 'MX entries have a problem: "{entry}" is not just a host name: enter only the host name, without scheme, path or port',
  'field.mx.emptyLabel': 'MX entries have a problem: "{entry}" has an empty label (two dots in a row, or a dot at the start)',
  'field.mx.wildcard':
    'MX entries have a problem: "{entry}" has a wildcard in the wrong place: one * only, as the whole leftmost label followed by a host name (*.example.org)',
  'field.mx.labelTooLong': 'MX entries have a problem: "{entry}" has a label longer than 63 characters',
  'field.mx.nameTooLong': 'MX entries have a problem: "{entry}" is longer than 253 characters',
  'field.mx.broadWildcard':
    'MX entries have a problem: "{entry}" would match every host under a top-level domain; RFC 8461 (section 10.4) warns against such broad patterns: name the MX hosts or their own domain',
  'field.mx.tooMany': 'MX entries have a problem: at most {max} entries are allowed',
  'field.mx.panelTooLong': "MX entries do not fit the panel's MTA-STS table: joined with commas they are {length} characters, and at most {max} are allowed",
  'field.id.panelDigits': 'Policy id "{id}" cannot be stored in the panel\'s MTA-STS table, which takes an id of digits only (at most 18)',
  'field.mx.required': 'MX entries: at least one entry is required in mode {mode}',
  'field.active.invalid': 'Active must be checked or unchecked',
  'field.active.notBoolean': 'Active must be true or false',
  'field.unknown': '{field} is not a known field (known: {known})',
  'field.retire.notTrue': 'Retire must be true (or left out)',
  'field.changes.empty': 'Name at least one change: {known}',
  'field.changes.retireAlone': 'Retire cannot be combined with other changes: it sets mode none, a small Maximum Age and a new id by itself',
  'stsRecord.prefix': 'does not begin with "v=STSv1;"',
  'stsRecord.field': 'field "{field}" is not name=value',
  'stsRecord.twoIds': 'has more than one id field',
  'stsRecord.badId': 'id "{id}" is not 1-32 letters and digits',
  'stsRecord.noId': 'has no id field',
  'policyText.line': 'line {line} is not "key: value"',
  'policyText.longLine': 'line {line} is longer than {max} characters',
  'policyText.mx': 'mx "{value}" is not a valid A-label pattern',
  'policyText.noVersion': 'version is missing',
  'policyText.version': 'version "{value}" is not STSv1',
  'policyText.noMode': 'mode is missing',
  'policyText.mode': 'mode "{value}" is not none, testing or enforce',
  'policyText.noMaxAge': 'max_age is missing',
  'policyText.maxAge': 'max_age "{value}" is not a number of seconds from 0 to {max}',
  'policyText.needsMx': 'mode {mode} needs at least one mx line',
} as const;

export type ProblemCode = keyof typeof PROBLEM_TEXTS;
export type ProblemParams = Readonly<Record<string, string | number>>;

/** A problem with a machine code, the values its sentence names, and that sentence in English. */
export interface Problem {
  code: ProblemCode;
  params: ProblemParams;
  message: string;
}

export function problem(code: ProblemCode, params: ProblemParams = {}): Problem {
  return { code, params, message: format(PROBLEM_TEXTS[code], params) };
}
