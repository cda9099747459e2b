import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseReport, summarizeReport } from '../../src/reports';
import { googleSample, microsoftSample, rfcSample } from '../support/report-samples';

// Whatever a sender posts, the parser answers (never throws) with a result whose size is bounded
// by the input's, and a report it accepts always sums up.

/** A JSON path into a sample: the keys to walk. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

function mutate(sample: Record<string, unknown>, path: Array<string | number>, replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return replacement;
  let node = sample as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) delete node[last];
  else node[last] = replacement;
  return sample;
}

function check(input: unknown): void {
  const text = typeof input === 'string' ? input : (JSON.stringify(input) ?? '');
  const result = parseReport(input);
  const size = JSON.stringify(result).length;
  assert.ok(size <= 3 * text.length + 2000, `output ${size} for input ${text.length}`);
  if (result.ok) {
    const summary = summarizeReport(result.report);
    assert.ok(Number.isSafeInteger(summary.success) && summary.success >= 0);
    assert.ok(Number.isSafeInteger(summary.failure) && summary.failure >= 0);
  } else {
    assert.ok(result.problems.length >= 1 && result.problems.length <= 20);
  }
}

const samples = [rfcSample, googleSample, microsoftSample];

describe('fuzz: TLS report parsing', () => {
  it('never throws on random JSON values and texts', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (value) => check(value)),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => check(text)),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(fc.json({ maxDepth: 12 }), (text) => check(text)),
      { numRuns: 400 },
    );
  });

  it('never throws on real-shaped reports with one field replaced or removed', () => {
    const arbitrary = fc
      .tuple(fc.integer({ min: 0, max: samples.length - 1 }), fc.nat(), fc.jsonValue({ maxDepth: 4 }), fc.boolean())
      .map(([which, pick, replacement, remove]) => {
        const sample = samples[which]();
        const all = paths(sample);
        return mutate(sample, all[pick % all.length], replacement, remove);
      });
    fc.assert(
      fc.property(arbitrary, (value) => {
        check(value);
        check(JSON.stringify(value) ?? '');
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on report texts cut short or with bytes changed', () => {
    const text = JSON.stringify(rfcSample());
    fc.assert(
      fc.property(fc.nat({ max: text.length }), fc.nat({ max: text.length - 1 }), fc.string({ minLength: 1, maxLength: 3 }), (cut, at, insert) => {
        check(text.slice(0, cut));
        check(text.slice(0, at) + insert + text.slice(at + 1));
      }),
      { numRuns: 1000 },
    );
  });
});
