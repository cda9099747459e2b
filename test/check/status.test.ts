import assert from 'node:assert/strict';
import { worst, type Check, type CheckStatus, type DnsCheckResult } from '../../src/check';
import { CHECK_STATUSES } from '../../src/check/verdicts/status';
import { recordOf } from '../../src/service/overview';

const result = (...statuses: CheckStatus[]): DnsCheckResult => ({
  domain: 'example.org',
  id: '1',
  checkedAt: '2026-12-07T12:00:00.000Z',
  checks: statuses.map((status): Check => ({ name: 'mx', status, code: 'mx.ok', expected: '', found: '', message: '' })),
});

describe('the status rank (src/check/verdicts/status.ts)', () => {
  it('ranks ok < info < warning < error, whatever the order given; ok for nothing', () => {
    assert.deepEqual(CHECK_STATUSES, ['ok', 'info', 'warning', 'error']);
    assert.equal(worst(), 'ok');
    for (const [i, a] of CHECK_STATUSES.entries()) {
      for (const [j, b] of CHECK_STATUSES.entries()) {
        assert.equal(worst(a, b), CHECK_STATUSES[Math.max(i, j)], `${a}, ${b}`);
        assert.equal(worst(b, 'ok', a), worst(a, b));
      }
    }
  });

  it("gives the overview's verdict of a check: its worst status, info counted as ok", () => {
    assert.equal(recordOf(result()).verdict, 'ok');
    assert.equal(recordOf(result('info', 'ok')).verdict, 'ok');
    assert.deepEqual([recordOf(result('info', 'ok')).worst, recordOf(result('info', 'warning', 'ok')).verdict], ['info', 'warning']);
    const { verdict, errors, warnings, worst: status } = recordOf(result('warning', 'error', 'warning', 'info'));
    assert.deepEqual({ verdict, errors, warnings, status }, { verdict: 'error', errors: 1, warnings: 2, status: 'error' });
  });
});
