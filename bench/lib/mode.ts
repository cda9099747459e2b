// The bench's quick mode (`npm run bench -- --quick`, or BENCH_QUICK=1): every figure runs with
// small sizes and short rounds, so that test/bench/quick.test.ts can check in a minute that each
// figure still runs and produces its numbers. Its numbers mean nothing; only a full run's do.

export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

/** The full run's value, or the quick run's. */
export function sized<T>(full: T, quick: T): T {
  return QUICK ? quick : full;
}
