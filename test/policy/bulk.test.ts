import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, applyBulk, parseBulkChanges, retirePolicy, type PolicySettings } from '../../src/policy';

const current: PolicySettings = { ...DEFAULT_SETTINGS, active: true, mode: 'enforce', maxAge: 604800, mx: ['mx1.example.org'] };

function changes(input: unknown) {
  const parsed = parseBulkChanges(input);
  assert.equal(parsed.ok, true, JSON.stringify(parsed));
  return parsed.value;
}

describe('bulk changes: one change checked once, applied to each policy', () => {
  it('refuses an empty change, an unknown field, and retire with anything else', () => {
    const codes = (input: unknown) => {
      const parsed = parseBulkChanges(input);
      return parsed.ok ? [] : parsed.errors.map((e) => `${e.field}:${e.code}`);
    };
    assert.deepEqual(codes({}), ['changes:field.changes.empty']);
    assert.deepEqual(codes(null), ['changes:field.changes.empty']);
    assert.deepEqual(codes({ colour: 'red' }), ['colour:field.unknown']);
    assert.deepEqual(codes({ retire: true, mode: 'testing' }), ['retire:field.changes.retireAlone']);
    assert.deepEqual(codes({ retire: 'maybe' }), ['retire:field.retire.notTrue']);
  });

  it('adds MX entries to the current ones, without duplicates, and names a bad added entry as addMx', () => {
    const added = applyBulk(current, changes({ addMx: ['mx2.example.org', 'mx1.example.org'] }), 'json');
    assert.deepEqual(added.ok && added.value.mx, ['mx1.example.org', 'mx2.example.org']);
    const bad = applyBulk(current, changes({ addMx: 'mx..example.org' }), 'form');
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.errors[0].field, 'addMx');
  });

  it('replaces MX entries and sets mode and Maximum Age with the single save rules', () => {
    const set = applyBulk(current, changes({ mode: 'testing', maxAge: '3600', mx: 'a.example.org, b.example.org' }), 'form');
    assert.deepEqual(set.ok && [set.value.mode, set.value.maxAge, set.value.mx], ['testing', 3600, ['a.example.org', 'b.example.org']]);
    const tooOld = applyBulk(current, changes({ maxAge: 99999999999 }), 'json');
    assert.equal(!tooOld.ok && tooOld.errors[0].code, 'field.maxAge.invalid');
    const noMx = applyBulk({ ...current, mx: [], mode: 'none' }, changes({ mode: 'enforce' }), 'json');
    assert.equal(!noMx.ok && noMx.errors[0].code, 'field.mx.required');
  });

  it('retires with the one retire change of src/policy/served.ts, the same the tab, the API and the command make', () => {
    for (const policy of [current, { ...current, maxAge: 3600, mode: 'testing' as const }, { ...current, active: false }]) {
      const retired = retirePolicy(policy);
      assert.deepEqual(applyBulk(policy, changes({ retire: true }), 'json'), retired);
      // A Maximum Age already below a day is kept; the MX list stays as it was.
      assert.deepEqual(retired.ok && retired.value, { ...policy, mode: 'none', active: true, maxAge: Math.min(policy.maxAge, 86400) });
    }
  });

  it('retires the RFC 8461 way: mode none, active, a Maximum Age of at most a day', () => {
    const retired = applyBulk(current, changes({ retire: true }), 'json');
    assert.deepEqual(retired.ok && [retired.value.mode, retired.value.active, retired.value.maxAge], ['none', true, 86400]);
  });
});
