import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, FieldError, InputKind, PolicySettings, applyChanges, changesServedPolicy } from '../../src/policy';

const ENFORCED: PolicySettings = { active: true, version: 'STSv1', mode: 'enforce', maxAge: 604800, mx: ['mail.example.org', '*.mx.example.net'] };

function accepted(current: PolicySettings, changes: Record<string, unknown>, kind: InputKind): PolicySettings {
  const result = applyChanges(current, changes, kind);
  assert.equal(result.ok, true, `expected ${JSON.stringify(changes)} (${kind}) to be accepted, got ${JSON.stringify(result)}`);
  return result.value;
}

/** Asserts a rejection with exactly these fields in error, each message naming its field. */
function rejected(current: PolicySettings, changes: Record<string, unknown>, kind: InputKind, fields: string[]): FieldError[] {
  const snapshot = structuredClone(current);
  const result = applyChanges(current, changes, kind);
  assert.equal(result.ok, false, `expected ${JSON.stringify(changes)} (${kind}) to be rejected`);
  const errors = result.errors;
  assert.deepEqual(errors.map((e) => e.field).sort(), [...fields].sort(), JSON.stringify(errors));
  assert.deepEqual(current, snapshot, 'the current settings must not be modified');
  return errors;
}

const LABELS: Record<string, RegExp> = { version: /Version/, mode: /Mode/, maxAge: /Maximum Age/, mx: /MX entries/, active: /Active/ };

describe('applyChanges', () => {
  for (const kind of ['form', 'json'] as const) {
    describe(`${kind} input`, () => {
      it('applies a complete valid change', () => {
        const mx = kind === 'json' ? ['mx1.example.org', 'mx2.example.org'] : 'mx1.example.org, mx2.example.org';
        const active = kind === 'json' ? true : '1';
        const maxAge = kind === 'json' ? 604800 : '604800';
        assert.deepEqual(accepted(DEFAULT_SETTINGS, { version: 'STSv1', mode: 'enforce', maxAge, mx, active }, kind), {
          active: true,
          version: 'STSv1',
          mode: 'enforce',
          maxAge: 604800,
          mx: ['mx1.example.org', 'mx2.example.org'],
        });
      });

      it('keeps fields that are not part of the change', () => {
        assert.deepEqual(accepted(ENFORCED, { mode: 'testing' }, kind), { ...ENFORCED, mode: 'testing' });
        assert.deepEqual(accepted(ENFORCED, {}, kind), ENFORCED);
      });

      it('accepts version STSv1 only', () => {
        accepted(DEFAULT_SETTINGS, { version: 'STSv1' }, kind);
        for (const version of ['STSv2', 'stsv1', 'STSv1 ', '', 'v1', 1, null]) {
          const [error] = rejected(DEFAULT_SETTINGS, { version }, kind, ['version']);
          assert.match(error.message, LABELS.version);
          assert.match(error.message, /STSv1/);
        }
      });

      it('accepts the modes none, testing and enforce only', () => {
        for (const mode of ['none', 'testing', 'enforce'] as const) assert.equal(accepted(ENFORCED, { mode }, kind).mode, mode);
        for (const mode of ['Enforce', 'ENFORCE', 'strict', 'off', '', ' enforce', 2, null, ['enforce']]) {
          const [error] = rejected(ENFORCED, { mode }, kind, ['mode']);
          assert.match(error.message, LABELS.mode);
          assert.match(error.message, /none.*testing.*enforce/);
        }
      });

      it('accepts a max age of 0 to 31557600 whole seconds', () => {
        const value = (n: number) => (kind === 'json' ? n : String(n));
        for (const seconds of [0, 1, 86400, 31557600]) assert.equal(accepted(ENFORCED, { maxAge: value(seconds) }, kind).maxAge, seconds);
        for (const bad of [31557601, -1, 86400.5, 1e12]) {
          const [error] = rejected(ENFORCED, { maxAge: value(bad) }, kind, ['maxAge']);
          assert.match(error.message, LABELS.maxAge);
          assert.match(error.message, /31557600/);
        }
        for (const bad of ['', 'abc', '1e5', '0x10', '86 400', '+86400', null, true, [86400], Number.NaN, Infinity]) {
          rejected(ENFORCED, { maxAge: bad }, kind, ['maxAge']);
        }
      });

      it('normalises MX entries: A-labels, lower case, no trailing dot, no duplicates', () => {
        const mx = 'MX1.Example.org., mx.bücher.example  mx1.example.org\n*.MX.example.net.';
        assert.deepEqual(accepted(ENFORCED, { mx: kind === 'json' ? [mx] : mx }, kind).mx, ['mx1.example.org', 'mx.xn--bcher-kva.example', '*.mx.example.net']);
      });

      it('rejects an invalid MX entry, naming the field and the entry', () => {
        for (const bad of ['*foo.example.org', 'a.*.example.org', '*', 'localhost', '192.0.2.25', `${'a'.repeat(64)}.example.org`]) {
          const [error] = rejected(ENFORCED, { mx: `mail.example.org, ${bad}` }, kind, ['mx']);
          assert.match(error.message, LABELS.mx);
          assert.ok(error.message.includes(bad), `the message names ${bad}: ${error.message}`);
        }
      });

      it('requires at least one MX entry in testing and enforce, not in none', () => {
        for (const mode of ['testing', 'enforce']) {
          const [error] = rejected(DEFAULT_SETTINGS, { mode, mx: '' }, kind, ['mx']);
          assert.match(error.message, LABELS.mx);
          assert.ok(error.message.includes(mode), error.message);
          rejected(ENFORCED, { mode, mx: ' , ' }, kind, ['mx']);
          rejected(DEFAULT_SETTINGS, { mode }, kind, ['mx']);
        }
        assert.deepEqual(accepted(ENFORCED, { mode: 'none', mx: '' }, kind).mx, []);
      });

      it('rejects unknown fields by name', () => {
        const [error] = rejected(ENFORCED, { mode: 'testing', maxage: 5 }, kind, ['maxage']);
        assert.match(error.message, /"maxage"/);
        assert.match(error.message, /not a known field/);
        rejected(ENFORCED, JSON.parse('{"__proto__": {"mode": "none"}, "id": "1"}'), kind, ['__proto__', 'id']);
      });

      it('reports every bad field at once and applies none of the good ones', () => {
        const errors = rejected(ENFORCED, { version: 'STSv2', mode: 'testing', maxAge: -5, mx: '*', active: 'maybe' }, kind, [
          'version',
          'maxAge',
          'mx',
          'active',
        ]);
        for (const error of errors) assert.match(error.message, LABELS[error.field]);
      });

      it('does not share the MX list with the current settings', () => {
        const current = structuredClone(ENFORCED);
        const next = accepted(current, { mode: 'testing' }, kind);
        next.mx.push('changed.example.org');
        assert.deepEqual(current.mx, ENFORCED.mx);
      });
    });
  }

  describe('JSON types', () => {
    it('rejects numbers and booleans sent as strings', () => {
      const [maxAge] = rejected(ENFORCED, { maxAge: '86400' }, 'json', ['maxAge']);
      assert.match(maxAge.message, LABELS.maxAge);
      for (const active of ['yes', 'true', '1', 1, 0, null]) {
        const [error] = rejected(ENFORCED, { active }, 'json', ['active']);
        assert.match(error.message, LABELS.active);
      }
    });

    it('accepts true and false for active', () => {
      assert.equal(accepted(ENFORCED, { active: false }, 'json').active, false);
      assert.equal(accepted(DEFAULT_SETTINGS, { active: true }, 'json').active, true);
    });

    it('rejects MX entries that are neither a string nor a list of strings', () => {
      for (const mx of [42, null, { a: 'mx.example.org' }, ['mx.example.org', 7]]) {
        const [error] = rejected(ENFORCED, { mx }, 'json', ['mx']);
        assert.match(error.message, LABELS.mx);
      }
    });
  });

  describe('form values', () => {
    it('reads a checkbox: checked, unchecked, and the hidden "0" sent with it', () => {
      for (const on of ['1', 'on', 'true', ['0', '1'], ['0', 'on']])
        assert.equal(accepted(DEFAULT_SETTINGS, { active: on }, 'form').active, true, JSON.stringify(on));
      for (const off of ['0', '', 'false', ['0']]) assert.equal(accepted(ENFORCED, { active: off }, 'form').active, false, JSON.stringify(off));
      rejected(ENFORCED, { active: 'yes' }, 'form', ['active']);
    });

    it('reads a max age with surrounding blanks', () => {
      assert.equal(accepted(ENFORCED, { maxAge: ' 86400 ' }, 'form').maxAge, 86400);
    });
  });
});

describe('changesServedPolicy', () => {
  it('is false for the same settings', () => {
    assert.equal(changesServedPolicy(ENFORCED, structuredClone(ENFORCED)), false);
  });

  it('is true when mode, MX, max age or activation change', () => {
    for (const change of [
      { mode: 'testing' as const },
      { maxAge: 86400 },
      { active: false },
      { mx: ['mail.example.org'] },
      { mx: [...ENFORCED.mx, 'mx3.example.org'] },
    ]) {
      assert.equal(changesServedPolicy(ENFORCED, { ...ENFORCED, ...change }), true, JSON.stringify(change));
    }
  });

  it('is false after a change that only re-spells the same values', () => {
    const next = accepted(ENFORCED, { mx: 'MAIL.example.org. *.MX.Example.Net mail.example.org', mode: 'enforce', maxAge: '604800', active: 'on' }, 'form');
    assert.equal(changesServedPolicy(ENFORCED, next), false);
  });
});
