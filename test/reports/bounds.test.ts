import assert from 'node:assert/strict';
import { boundSummary, parseReport, summarizeReport, type ReportSummary } from '../../src/reports';
import { googleSample } from '../support/report-samples';

/** A generated report of `policies` distinct STS policies with `details` failure details each, every detail its own group. */
function wideReport(policies: number, details: number): Record<string, unknown> {
  const sample = googleSample();
  sample.policies = Array.from({ length: policies }, (_, p) => ({
    policy: {
      'policy-type': 'sts',
      'policy-string': ['version: STSv1', 'mode: testing', `mx: mx${p}.example.org`, 'max_age: 86400'],
      'policy-domain': 'example.org',
    },
    summary: { 'total-successful-session-count': 10, 'total-failure-session-count': details },
    'failure-details': Array.from({ length: details }, (_, d) => ({
      'result-type': 'certificate-expired',
      'receiving-ip': `10.${p % 256}.${Math.floor(d / 256)}.${d % 256}`,
      'failed-session-count': d + 1,
    })),
  }));
  return sample;
}

function summaryOf(sample: Record<string, unknown>): ReportSummary {
  const parsed = parseReport(JSON.stringify(sample));
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.problems));
  return summarizeReport(parsed.report);
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('TLS report storage bounds (boundSummary)', () => {
  it('keeps a report within its bounds as it is', () => {
    const summary = summaryOf(wideReport(3, 4));
    const bounded = boundSummary(summary, { policiesPerReport: 3, failuresPerReport: 12 });
    assert.equal(bounded.policies.length, 3);
    assert.equal(bounded.failures.length, 12);
    assert.deepEqual([bounded.foldedPolicies, bounded.foldedFailures], [0, 0]);
    assert.ok(bounded.policies.every((p) => p.folded === 0) && bounded.failures.every((f) => f.folded === 0));
  });

  it('stores a report of 150 policies x 200 failure details (30,000 groups) in at most 2 x 100 + 500 rows, every session still counted', () => {
    const summary = summaryOf(wideReport(150, 200));
    assert.equal(summary.failures.length, 30_000, 'the unbounded summary: one row per detail');
    const bounded = boundSummary(summary, { policiesPerReport: 100, failuresPerReport: 500 });
    assert.equal(bounded.policies.length, 100);
    assert.ok(bounded.failures.length <= 500 + 100, String(bounded.failures.length));
    assert.equal(bounded.foldedPolicies, 51, 'the largest 99 stay, 51 are summed into the 100th');
    assert.equal(bounded.foldedFailures, 30_000 - 500);
    const aggregate = bounded.policies[99];
    assert.deepEqual([aggregate.type, aggregate.folded, aggregate.fingerprint], ['folded', 51, null]);
    // Nothing is lost: the totals of the rows are those of the report.
    assert.equal(sum(bounded.policies.map((p) => p.success)), 150 * 10);
    assert.equal(sum(bounded.policies.map((p) => p.failure)), 150 * 200);
    assert.equal(sum(bounded.failures.map((f) => f.sessions)), sum(summary.failures.map((f) => f.sessions)));
    assert.equal(sum(bounded.failures.map((f) => f.folded)), 30_000 - 500);
    // The largest groups are kept exactly; every row names a stored policy.
    assert.equal(bounded.failures[0].sessions, 200);
    assert.ok(bounded.failures.every((f) => f.policy >= 0 && f.policy < bounded.policies.length));
    assert.ok(bounded.failures.filter((f) => f.folded > 0).every((f) => f.resultType === 'folded' && f.receivingIp === null));
  });

  it('merges identical policies into one row before counting them', () => {
    const sample = wideReport(1, 2);
    const policies = sample.policies as unknown[];
    sample.policies = Array.from({ length: 300 }, () => structuredClone(policies[0]));
    const bounded = boundSummary(summaryOf(sample), { policiesPerReport: 10, failuresPerReport: 10 });
    assert.equal(bounded.policies.length, 1);
    assert.deepEqual([bounded.policies[0].success, bounded.policies[0].failure, bounded.foldedPolicies], [3000, 600, 0]);
    assert.deepEqual(
      bounded.failures.map((f) => [f.sessions, f.folded]),
      [
        [600, 0],
        [300, 0],
      ],
    );
  });

  it('shortens what no TEXT column holds: a fingerprint over 64 KiB becomes its hash, the MX list what fits', () => {
    const sample = googleSample();
    const policy = (sample.policies as Array<Record<string, any>>)[0];
    // 200 lines of 254 four-byte characters: the fingerprint alone is about 200 KB of UTF-8.
    policy.policy['policy-string'] = [
      'mode: testing',
      'max_age: 86400',
      ...Array.from({ length: 198 }, (_, i) => `mx: ${String(i).padStart(3, '0')}${'𝔪'.repeat(125)}`),
    ];
    policy.policy['mx-host'] = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')}${'m'.repeat(250)}`);
    const summary = summaryOf(sample);
    assert.ok(Buffer.byteLength(summary.policies[0].fingerprint ?? '') > 65_535);
    const [stored] = boundSummary(summary, { policiesPerReport: 10, failuresPerReport: 10 }).policies;
    assert.match(stored.fingerprint ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.ok(Buffer.byteLength(stored.mx.join(',')) <= 65_535);
    assert.ok(stored.mx.length > 50 && stored.mx.length < 100, String(stored.mx.length));
  });
});
