import assert from 'node:assert/strict';
import { CATALOGUES, format } from '../../src/i18n';
import { fieldErrorText, policyProblemText, sayKnown, stsRecordProblemText } from '../../src/i18n/policy-text';
import { DEFAULT_SETTINGS, MAX_MX_ENTRIES, applyChanges, parsePolicy, parseStsRecord, type FieldError } from '../../src/policy';

// The policy module's messages are English sentences the JSON API returns. The tab and the DNS
// Check say them in the reader's language by recognising each sentence; these tests produce every
// sentence the policy module can say, so a change of its wording shows up here, not as English in
// a German page.

function fieldErrors(changes: Record<string, unknown>, kind: 'form' | 'json'): FieldError[] {
  const result = applyChanges(DEFAULT_SETTINGS, changes, kind);
  assert.equal(result.ok, false, JSON.stringify(changes));
  return result.ok ? [] : result.errors;
}

describe('i18n: the policy module\'s messages in every language', () => {
  const errors: FieldError[] = [
    ...fieldErrors({ version: 'STSv2' }, 'form'),
    ...fieldErrors({ mode: 'strict' }, 'form'),
    ...fieldErrors({ maxAge: '1 day' }, 'form'),
    ...fieldErrors({ maxAge: 99999999999 }, 'json'),
    ...fieldErrors({ mx: 5 }, 'form'),
    ...fieldErrors({ mx: 5 }, 'json'),
    ...fieldErrors({ mx: 'mail.example.org, mail..example.org' }, 'form'),
    ...fieldErrors({ mx: 'a "quoted" <b>.example' }, 'form'),
    ...fieldErrors({ mx: Array.from({ length: MAX_MX_ENTRIES + 1 }, (_, i) => `mx${i}.example.org`).join(',') }, 'form'),
    ...fieldErrors({ mode: 'testing', mx: '' }, 'form'),
    ...fieldErrors({ mode: 'enforce' }, 'json'),
    ...fieldErrors({ active: 'maybe' }, 'form'),
    ...fieldErrors({ active: 'yes' }, 'json'),
    ...fieldErrors({ colour: 'blue' }, 'json'),
  ];

  it('knows every field error the validator gives, and English says it word for word', () => {
    assert.ok(errors.length >= 14);
    for (const error of errors) {
      const text = fieldErrorText(error.message);
      assert.ok(text, `unknown validator message: ${error.message}`);
      assert.equal(format(CATALOGUES.en[text.key], text.params), error.message);
      assert.equal(sayKnown('en', error.message, fieldErrorText), error.message);
    }
  });

  it('says every field error in German, quoting what was typed', () => {
    const german = errors.map((error) => sayKnown('de', error.message, fieldErrorText));
    for (const [i, text] of german.entries()) {
      assert.notEqual(text, errors[i].message);
      assert.doesNotMatch(text, /\{[a-z]+\}/i);
    }
    assert.ok(german.includes('MX-Einträge: "mail..example.org" ist kein gültiger MX-Eintrag. Verwenden Sie einen Hostnamen wie mail.example.org oder *. gefolgt von einem Hostnamen (ein Platzhalter nur als ganzes, am weitesten links stehendes Label).'));
    assert.ok(german.includes('MX-Einträge: Im Modus testing ist mindestens ein Eintrag nötig.'));
    assert.ok(german.includes('Maximales Alter muss eine ganze Zahl von Sekunden von 0 bis 31557600 sein (ein Jahr, das Maximum nach RFC 8461).'));
  });

  it('shows a sentence it does not know as it is, rather than losing it', () => {
    assert.equal(sayKnown('de', 'Something new went wrong', fieldErrorText), 'Something new went wrong');
  });

  it('knows every reason parseStsRecord gives', () => {
    for (const record of ['v=STSv2; id=1', 'v=STSv1; id=1; bad field', 'v=STSv1; id=1; id=2', 'v=STSv1; id=2026-11-28', 'v=STSv1; x=1']) {
      const parsed = parseStsRecord(record);
      assert.equal(parsed.ok, false, record);
      if (parsed.ok) continue;
      assert.ok(stsRecordProblemText(parsed.message), `unknown parseStsRecord reason: ${parsed.message}`);
      assert.notEqual(sayKnown('de', parsed.message, stsRecordProblemText), parsed.message);
    }
  });

  it('knows every error parsePolicy gives', () => {
    const bodies = ['garbage line\n', 'version: STSv2\nmode: enforce\nmx: MAIL..x\nmax_age: 1\n', 'mode: bogus\nmax_age: x\n', 'version: STSv1\nmode: testing\nmax_age: 86400\n', ''];
    const seen = new Set<string>();
    for (const body of bodies) {
      const parsed = parsePolicy(body);
      assert.equal(parsed.ok, false, body);
      if (parsed.ok) continue;
      for (const error of parsed.errors) {
        const text = policyProblemText(error);
        assert.ok(text, `unknown parsePolicy error: ${error}`);
        assert.equal(format(CATALOGUES.en[text.key], text.params), error);
        seen.add(text.key);
      }
    }
    assert.deepEqual([...seen].sort(), Object.keys(CATALOGUES.en).filter((k) => k.startsWith('dns.policyText.')).sort(), 'every parsePolicy error was produced');
  });
});
