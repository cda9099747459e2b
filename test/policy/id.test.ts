import assert from 'node:assert/strict';
import { POLICY_ID, nextPolicyId, timestampId } from '../../src/policy';

const at = (iso: string) => new Date(iso);

/** Ids compared as numbers: "strictly greater" is about their value, not their spelling. */
function assertGreater(id: string, previous: string, context: string): void {
  assert.match(id, POLICY_ID, `${context}: ${id} is not 1-32 letters and digits`);
  assert.match(id, /^[0-9]+$/, `${context}: ${id} is not numeric`);
  assert.ok(BigInt(id) > BigInt(previous), `${context}: ${id} is not greater than ${previous}`);
}

describe('policy ids', () => {
  describe('timestampId', () => {
    it('is the UTC time of change as YYYYMMDDHHMMSS', () => {
      assert.equal(timestampId(at('2026-11-28T12:34:56Z')), '20261128123456');
      assert.equal(timestampId(at('2026-11-28T12:34:56.999Z')), '20261128123456', 'milliseconds are dropped, not rounded');
      assert.equal(timestampId(at('2027-01-01T00:30:00+02:00')), '20261231223000', 'UTC, not the offset given');
      assert.equal(timestampId(at('2000-02-29T00:00:00Z')), '20000229000000');
    });

    it('is a valid TXT record id', () => {
      assert.match(timestampId(new Date()), POLICY_ID);
      assert.match(timestampId(new Date()), /^[0-9]{14}$/);
    });
  });

  describe('nextPolicyId', () => {
    it('is the time of change for a first policy', () => {
      assert.equal(nextPolicyId(null, at('2026-11-28T12:00:00Z')), '20261128120000');
    });

    it('is the time of change when that is later than the previous id', () => {
      assert.equal(nextPolicyId('20261128115959', at('2026-11-28T12:00:00Z')), '20261128120000');
      assert.equal(nextPolicyId('20250101000000', at('2026-11-28T12:00:00Z')), '20261128120000');
    });

    it('is greater than the previous id for two changes in the same second', () => {
      const now = at('2026-11-28T12:00:00.100Z');
      const first = nextPolicyId(null, now);
      const second = nextPolicyId(first, at('2026-11-28T12:00:00.900Z'));
      const third = nextPolicyId(second, at('2026-11-28T12:00:00.950Z'));
      assertGreater(second, first, 'second change');
      assertGreater(third, second, 'third change');
      assert.notEqual(second, first);
    });

    it('is greater than the previous id after the clock went back', () => {
      assertGreater(nextPolicyId('20261128120000', at('2026-11-28T11:00:00Z')), '20261128120000', 'one hour back');
      assertGreater(nextPolicyId('20261128120000', at('2020-01-01T00:00:00Z')), '20261128120000', 'years back');
      assertGreater(nextPolicyId('99991231235959', at('2026-11-28T12:00:00Z')), '99991231235959', 'an id far in the future');
    });

    it("replaces the guide's 10-digit id 2024090101 with a later time-based id", () => {
      const id = nextPolicyId('2024090101', at('2026-11-28T12:00:00Z'));
      assert.equal(id, '20261128120000');
      assertGreater(id, '2024090101', 'after the guide id');
    });

    it('starts over from the time of change after a non-numeric id', () => {
      for (const previous of ['abc', '20240101T000000', 'v1', 'Z'.repeat(32)]) {
        const id = nextPolicyId(previous, at('2026-11-28T12:00:00Z'));
        assert.equal(id, '20261128120000', previous);
        assert.notEqual(id, previous);
      }
    });

    it('never repeats or goes backwards over a long run with a wandering clock', () => {
      // Deterministic: the clock jumps forwards and backwards by up to an hour, often staying in the same second.
      let seed = 42;
      const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
      let time = Date.UTC(2026, 10, 28, 12, 0, 0);
      let previous: string | null = null;
      const seen = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const step = random(4) === 0 ? random(7200_000) - 3600_000 : random(3) * 400;
        time += step;
        const id = nextPolicyId(previous, new Date(time));
        if (previous !== null) assertGreater(id, previous, `change ${i}`);
        assert.ok(!seen.has(id), `id ${id} repeated`);
        seen.add(id);
        previous = id;
      }
    });
  });
});
