import assert from 'node:assert/strict';
import { cacheWindow, servedSpans, uncoveredByCached, type PastChange, type PastPolicy } from '../../src/policy';

const DAY = 86400;
const p = (mode: PastPolicy['mode'], maxAge: number, mx: string[], id: string, active = true): PastPolicy => ({ active, mode, maxAge, mx, id });
const at = (day: number) => new Date(Date.UTC(2026, 0, day)).toISOString();
const d = (iso: string) => new Date(iso);

describe('the history of a policy: what senders may still hold', () => {
  // testing 7 days from Jan 1, enforce 30 days from Jan 10, retired (none, 1 day) on Feb 1.
  const retirement: PastChange[] = [
    { changedAt: at(32), before: p('enforce', 30 * DAY, ['mx1.example.org'], 'b'), after: p('none', DAY, ['mx1.example.org'], 'c') },
    { changedAt: at(10), before: p('testing', 7 * DAY, ['mx1.example.org'], 'a'), after: p('enforce', 30 * DAY, ['mx1.example.org'], 'b') },
    { changedAt: at(1), before: null, after: p('testing', 7 * DAY, ['mx1.example.org'], 'a') },
  ];

  it('orders changes into served spans, whatever order they come in', () => {
    const spans = servedSpans(retirement);
    assert.deepEqual(
      spans.map((s) => [s.policy.id, s.from?.toISOString() ?? null, s.until?.toISOString() ?? null]),
      [
        ['a', at(1), at(10)],
        ['b', at(10), at(32)],
        ['c', at(32), null],
      ],
    );
  });

  it('finds the largest max_age of each mode and when it stopped being served', () => {
    const window = cacheWindow(retirement, d(at(33)));
    assert.deepEqual(window.largest.enforce, { maxAge: 30 * DAY, stoppedAt: d(at(32)) });
    assert.deepEqual(window.largest.testing, { maxAge: 7 * DAY, stoppedAt: d(at(10)) });
    assert.deepEqual(window.largest.none, { maxAge: DAY, stoppedAt: null });
  });

  it('dates the end of a retirement by the largest cache of any testing or enforce policy', () => {
    const window = cacheWindow(retirement, d(at(33)));
    assert.equal(window.retiring, true);
    // enforce stopped on Feb 1 with 30 days: senders may hold it until Mar 3.
    assert.equal(window.completeAt?.toISOString(), at(62));
  });

  it('is not retiring while testing or enforce is served, nor when it never was', () => {
    assert.equal(cacheWindow(retirement.slice(1), d(at(11))).retiring, false);
    assert.equal(cacheWindow(retirement.slice(1), d(at(11))).completeAt, null);
    const onlyNone: PastChange[] = [{ changedAt: at(1), before: null, after: p('none', DAY, [], 'a') }];
    assert.equal(cacheWindow(onlyNone, d(at(2))).retiring, false);
  });

  it('counts a deactivated policy as stopped when it was switched off', () => {
    const off: PastChange[] = [
      { changedAt: at(1), before: null, after: p('enforce', 10 * DAY, ['mx1.example.org'], 'a') },
      { changedAt: at(5), before: p('enforce', 10 * DAY, ['mx1.example.org'], 'a'), after: p('enforce', 10 * DAY, ['mx1.example.org'], 'b', false) },
    ];
    const window = cacheWindow(off, d(at(6)));
    assert.equal(window.retiring, true);
    assert.equal(window.completeAt?.toISOString(), at(15));
  });

  it('tells until when senders may hold an old MX list, and which', () => {
    const moved: PastChange[] = [
      { changedAt: at(1), before: null, after: p('enforce', 20 * DAY, ['old.example.org'], 'a') },
      { changedAt: at(5), before: p('enforce', 20 * DAY, ['old.example.org'], 'a'), after: p('enforce', 20 * DAY, ['new.example.org'], 'b') },
    ];
    const window = cacheWindow(moved, d(at(6)));
    assert.equal(window.oldMxUntil?.toISOString(), at(25));
    assert.deepEqual(window.oldMx, [['old.example.org']]);
    assert.deepEqual(cacheWindow(moved, d(at(26))).oldMx, [], 'expired lists are no longer held');
    // The new MX host is not covered by the old cached policy until then.
    assert.deepEqual(uncoveredByCached(moved, ['new.example.org'], d(at(6))), { hosts: ['new.example.org'], until: d(at(25)) });
    assert.equal(uncoveredByCached(moved, ['new.example.org'], d(at(26))), null);
  });

  it('warns before an MX change that the policy served now stays cached for its max_age', () => {
    const now = d(at(3));
    const serving: PastChange[] = [{ changedAt: at(1), before: null, after: p('enforce', 7 * DAY, ['*.example.org'], 'a') }];
    assert.equal(uncoveredByCached(serving, ['mx.example.org'], now, true), null, 'a host the wildcard covers');
    assert.deepEqual(uncoveredByCached(serving, ['mx.example.net'], now, true), { hosts: ['mx.example.net'], until: d(at(10)) });
    assert.equal(uncoveredByCached(serving, ['mx.example.net'], now, false), null, 'nothing old is cached yet');
  });

  it('continues a policy through an import that keeps its id', () => {
    const kept: PastChange[] = [
      { changedAt: at(1), before: null, after: p('testing', DAY, ['mx.example.org'], 'a') },
      { changedAt: at(2), before: p('testing', DAY, ['mx.example.org'], 'a'), after: p('testing', 2 * DAY, ['mx.example.org'], 'a') },
    ];
    assert.equal(servedSpans(kept).length, 1);
  });
});
