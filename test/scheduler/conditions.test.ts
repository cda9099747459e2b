// The pure parts of the scheduled checks: which codes make which condition, "rising" failures,
// and when an alert is due.
import assert from 'node:assert/strict';
import type { DnsCheckResult } from '../../src';
import { conditionsOf, DEFAULT_BASELINE_RULE, DNS_DEADLINE_MS, dnsNotPublished, failuresAboveBaseline, failuresRising } from '../../src/scheduler/conditions';
import { ALERT_GAP_MS, decide } from '../../src/scheduler/decide';

function result(checks: Array<[string, string]>): DnsCheckResult {
  return {
    domain: 'example.org',
    id: null,
    checkedAt: '2026-12-01T00:00:00.000Z',
    checks: checks.map(([code, status]) => ({ name: code.split('.')[0], code, status, expected: '', found: '', message: code })),
  } as DnsCheckResult;
}

describe('scheduled checks: conditions and decisions', () => {
  it('maps the check codes to conditions, errors only for an unreachable policy', () => {
    const found = conditionsOf(
      result([
        ['https.failed', 'error'],
        ['policy.ok', 'ok'],
        ['sts-txt.other-id', 'error'],
        ['mx.uncovered', 'error'],
        ['mx-tls.expiring', 'warning'],
        ['https.expiring', 'warning'],
      ]),
    );
    assert.deepEqual([...found.keys()].sort(), ['certificate-expiring', 'id-mismatch', 'mx-uncovered', 'policy-unreachable']);
    assert.deepEqual(found.get('certificate-expiring')?.codes, ['mx-tls.expiring', 'https.expiring']);
    assert.deepEqual(
      [
        ...conditionsOf(
          result([
            ['https.disabled', 'info'],
            ['sts-txt.ok', 'ok'],
          ]),
        ).keys(),
      ],
      [],
    );
  });

  it('calls TLS failures rising when the last day beats every day of the week before', () => {
    const days = new Map([
      ['2026-11-24', 3],
      ['2026-11-30', 2],
    ]);
    assert.equal(failuresRising(days, '2026-11-30'), null, 'fewer than a day of the week before');
    days.set('2026-11-30', 4);
    assert.deepEqual(failuresRising(days, '2026-11-30'), { day: '2026-11-30', count: 4, baseline: 3 });
    assert.equal(failuresRising(undefined, '2026-11-30'), null);
  });

  it('calls TLS failures above baseline at 3 times the median of the 14 days before and at least 10', () => {
    const day = '2026-12-15';
    const before = (values: number[]) =>
      new Map(values.map((v, i) => [new Date(Date.parse(`${day}T00:00:00Z`) - (i + 1) * 86_400_000).toISOString().slice(0, 10), v]));
    // Median of 14 days: the mean of the 7th and 8th; days without reports count 0.
    const fours = before([4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 100]);
    fours.set(day, 11);
    assert.equal(failuresAboveBaseline(fours, day, DEFAULT_BASELINE_RULE), null, 'under 3 x 4');
    fours.set(day, 12);
    assert.deepEqual(failuresAboveBaseline(fours, day, DEFAULT_BASELINE_RULE), { day, count: 12, median: 4, factor: 3, minimum: 10 });
    const quiet = before([5, 5, 5, 5, 5, 5]);
    quiet.set(day, 9);
    assert.equal(failuresAboveBaseline(quiet, day, DEFAULT_BASELINE_RULE), null, 'median 0, but fewer than 10');
    quiet.set(day, 10);
    assert.deepEqual(failuresAboveBaseline(quiet, day, DEFAULT_BASELINE_RULE), { day, count: 10, median: 0, factor: 3, minimum: 10 });
    const odd = before([1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2]);
    odd.set(day, 10);
    assert.deepEqual(failuresAboveBaseline(odd, day, { factor: 6, minimum: 5 }), { day, count: 10, median: 1.5, factor: 6, minimum: 5 });
    assert.equal(failuresAboveBaseline(odd, day, { factor: 7, minimum: 5 }), null);
    assert.equal(failuresAboveBaseline(undefined, day, DEFAULT_BASELINE_RULE), null);
  });

  it('sends at most one alert a day per domain and condition, and the settled state after it', () => {
    const t0 = new Date('2026-12-01T00:00:00Z');
    const raised = new Map([['mx-uncovered' as const, { codes: ['mx.uncovered' as const] }]]);
    const first = decide('example.org', raised, [], t0);
    assert.deepEqual(
      first.due.map((a) => a.state),
      ['raised'],
    );
    const later = new Date(t0.getTime() + 3_600_000);
    const quiet = decide('example.org', new Map(), first.next, later);
    assert.deepEqual(quiet.due, [], 'the recovery within the day waits');
    assert.equal(quiet.next[0].raised, false);
    const nextDay = new Date(t0.getTime() + ALERT_GAP_MS);
    const recovered = decide('example.org', new Map(), quiet.next, nextDay);
    assert.deepEqual(
      recovered.due.map((a) => a.state),
      ['recovered'],
    );
    assert.deepEqual(decide('example.org', new Map(), recovered.next, new Date(nextDay.getTime() + 2 * ALERT_GAP_MS)).due, []);
  });

  it('raises dns-not-published for a stored record pending or different past the deadline, never for a published one', () => {
    const now = new Date('2026-12-01T12:00:00.000Z');
    const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
    const states = [
      { name: '_mta-sts.example.org', state: 'published', since: ago(DNS_DEADLINE_MS * 10) },
      { name: '_smtp._tls.example.org', state: 'pending', since: ago(DNS_DEADLINE_MS - 1000) },
    ];
    assert.equal(dnsNotPublished(states, now), null, 'pending within the deadline: the next read may see it');
    assert.deepEqual(dnsNotPublished([...states, { name: '_smtp._tls.example.org', state: 'differs', since: ago(DNS_DEADLINE_MS) }], now), [
      { name: '_smtp._tls.example.org', state: 'differs', since: ago(DNS_DEADLINE_MS) },
    ]);
    assert.equal(dnsNotPublished([], now), null, 'nothing published by this product: nothing to say');
  });
});
