import assert from 'node:assert/strict';
import { CATALOGUES } from '../../src/i18n';
import { problemKey, sayProblem } from '../../src/i18n/policy-text';
import {
  DEFAULT_SETTINGS,
  MAX_MX_ENTRIES,
  PROBLEM_TEXTS,
  applyChanges,
  parsePolicy,
  parseStsRecord,
  type FieldError,
  type ProblemCode,
} from '../../src/policy';

// The policy module reports problems by code, with an English sentence the JSON API returns. The
// tab and the DNS Check say the code in the reader's language. These tests produce every problem
// the policy module can report and check both languages say it, with the values filled in.

function fieldErrors(changes: Record<string, unknown>, kind: 'form' | 'json'): FieldError[] {
  const result = applyChanges(DEFAULT_SETTINGS, changes, kind);
  assert.equal(result.ok, false, JSON.stringify(changes));
  return result.ok ? [] : result.errors;
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("i18n: the policy module's problems in every language", () => {
  const errors: FieldError[] = [
    ...fieldErrors({ version: 'STSv2' }, 'form'),
    ...fieldErrors({ mode: 'strict' }, 'form'),
    ...fieldErrors({ maxAge: '1 day' }, 'form'),
    ...fieldErrors({ maxAge: 99999999999 }, 'json'),
    ...fieldErrors({ mx: 5 }, 'form'),
    ...fieldErrors({ mx: 5 }, 'json'),
    ...fieldErrors({ mx: 'mail.example.org, mail..example.org, mx_1.example.org, 192.0.2.1, mx.example.org:25, *.*.example.org, *.com' }, 'form'),
    ...fieldErrors({ mx: 'a "quoted" <b>.example' }, 'form'),
    ...fieldErrors({ mx: Array.from({ length: MAX_MX_ENTRIES + 1 }, (_, i) => `mx${i}.example.org`).join(',') }, 'form'),
    ...fieldErrors({ mode: 'testing', mx: '' }, 'form'),
    ...fieldErrors({ mode: 'enforce' }, 'json'),
    ...fieldErrors({ active: 'maybe' }, 'form'),
    ...fieldErrors({ active: 'yes' }, 'json'),
    ...fieldErrors({ colour: 'blue' }, 'json'),
  ];

  it('maps every problem code to a message with the same placeholders in both languages', () => {
    for (const code of Object.keys(PROBLEM_TEXTS) as ProblemCode[]) {
      const key = problemKey(code);
      assert.deepEqual(placeholders(CATALOGUES.en[key]), placeholders(PROBLEM_TEXTS[code]), `${code} in English`);
      assert.deepEqual(placeholders(CATALOGUES.de[key]), placeholders(PROBLEM_TEXTS[code]), `${code} in German`);
    }
  });

  it('says every field error in English exactly as the API does', () => {
    assert.ok(new Set(errors.map((e) => e.code)).size >= 11, 'every field code was produced');
    for (const error of errors) assert.equal(sayProblem('en', error), error.message);
  });

  it('says every field error in German, quoting what was typed', () => {
    const german = errors.map((error) => sayProblem('de', error));
    for (const [i, text] of german.entries()) {
      assert.notEqual(text, errors[i].message);
      assert.doesNotMatch(text, /\{[a-z]+\}/i);
    }
    assert.ok(
      german.includes(
        'MX-Einträge: "mx_1.example.org" ist kein gültiger MX-Eintrag. Verwenden Sie einen Hostnamen wie mail.example.org oder *. gefolgt von einem Hostnamen (ein Platzhalter nur als ganzes, am weitesten links stehendes Label).',
      ),
    );
    assert.ok(german.includes('MX-Einträge: "mail..example.org" hat ein leeres Label (zwei Punkte hintereinander oder ein Punkt am Anfang).'));
    assert.ok(german.includes('MX-Einträge: "192.0.2.1" ist eine IP-Adresse. IP-Adressen sind nicht erlaubt: Verwenden Sie den Hostnamen des MX.'));
    assert.ok(german.some((text) => text.startsWith('MX-Einträge: "*.com" passt auf jeden Host unter einer Top-Level-Domain')));
    assert.ok(german.includes('MX-Einträge: Im Modus testing ist mindestens ein Eintrag nötig.'));
    assert.ok(german.includes('Maximales Alter muss eine ganze Zahl von Sekunden von 0 bis 31557600 sein (ein Jahr, das Maximum nach RFC 8461).'));
  });

  it('says every reason parseStsRecord gives in German', () => {
    const seen = new Set<string>();
    for (const record of ['v=STSv2; id=1', 'v=STSv1; id=1; bad field', 'v=STSv1; id=1; id=2', 'v=STSv1; id=2026-11-28', 'v=STSv1; x=1']) {
      const parsed = parseStsRecord(record);
      assert.equal(parsed.ok, false, record);
      if (parsed.ok) continue;
      seen.add(parsed.code);
      const german = sayProblem('de', parsed);
      assert.notEqual(german, sayProblem('en', parsed));
      assert.doesNotMatch(german, /\{[a-z]+\}/i);
    }
    assert.deepEqual(
      [...seen].sort(),
      Object.keys(PROBLEM_TEXTS)
        .filter((k) => k.startsWith('stsRecord.'))
        .sort(),
    );
  });

  it('says every error parsePolicy gives, in English as the parser does', () => {
    const bodies = [
      'garbage line\n',
      'version: STSv2\nmode: enforce\nmx: MAIL..x\nmax_age: 1\n',
      'mode: bogus\nmax_age: x\n',
      'version: STSv1\nmode: testing\nmax_age: 86400\n',
      '',
      `x: ${'a'.repeat(2000)}\n`,
    ];
    const seen = new Set<string>();
    for (const body of bodies) {
      const parsed = parsePolicy(body);
      assert.equal(parsed.ok, false, body);
      if (parsed.ok) continue;
      for (const error of parsed.errors) {
        assert.equal(sayProblem('en', error), error.message);
        assert.notEqual(sayProblem('de', error), error.message);
        seen.add(error.code);
      }
    }
    assert.deepEqual(
      [...seen].sort(),
      Object.keys(PROBLEM_TEXTS)
        .filter((k) => k.startsWith('policyText.'))
        .sort(),
      'every parsePolicy error was produced',
    );
  });
});
