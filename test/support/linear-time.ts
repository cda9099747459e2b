// Timing for the linear-time tests (test/security/redos*.test.ts): a worst-case input is held to a
// budget measured against a linear control in the same run, so the bound follows the machine's
// speed of the moment instead of a fixed number of milliseconds.
import { performance } from 'node:perf_hooks';

export const KIB64 = 64 * 1024;

/** `prefix`, then `fill` repeated, then `suffix`: `size` characters at most, as close as `fill` allows. */
export function pad(prefix: string, fill: string, suffix: string, size = KIB64): string {
  return prefix + fill.repeat(Math.floor((size - prefix.length - suffix.length) / fill.length)) + suffix;
}

/**
 * What a worst case may cost: 20 times the control, plus a constant for timer granularity and a
 * stray garbage collection. A linear parser stays within a few times its control; a quadratic one
 * on 64 KiB costs hundreds of times more (and seconds), so the margin makes the test stable on a
 * busy, shared machine without letting a super-linear shape through.
 */
export function budget(controlMs: number, constantMs = 10): number {
  return 20 * controlMs + constantMs;
}

/** One run in ms: by the wall clock or the process's CPU time, whichever is smaller. */
function once(run: () => unknown): number {
  const cpu = process.cpuUsage();
  const started = performance.now();
  run();
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return Math.min(wall, (used.user + used.system) / 1000);
}

/**
 * The fastest of up to `runs` runs after warm-ups, in ms. Wall or CPU time, the smaller: other
 * load on this shared machine only ever adds wall time, and a super-linear parser is slow by both
 * clocks. After three warm-ups it stops once a run is within `enough` (the budget: more runs
 * could only lower the figure); a first run ten times over `enough` gets one more run, not seven
 * (a quadratic parser on 64 KiB takes seconds a run).
 */
export function fastest(run: () => unknown, enough = 0, runs = 5): number {
  const warmUp = once(run);
  if (enough > 0 && warmUp > 10 * enough) return Math.min(warmUp, once(run));
  // Two more warm-ups: the optimizing compiler takes a linear parser from about 3 ms to 0.7 ms
  // on 64 KiB over its first runs, and the control is measured the same way.
  once(run);
  once(run);
  let best = Infinity;
  for (let i = 0; i < runs && best > enough; i++) best = Math.min(best, once(run));
  return best;
}

/** The same for asynchronous work (sockets, streams, DNS): wall-clock time only. */
export async function fastestAsync(run: () => Promise<unknown>, enough = 0, runs = 5): Promise<number> {
  const time = async () => {
    const started = performance.now();
    await run();
    return performance.now() - started;
  };
  const warmUp = await time();
  if (enough > 0 && warmUp > 10 * enough) return Math.min(warmUp, await time());
  let best = Infinity;
  for (let i = 0; i < runs && best > enough; i++) best = Math.min(best, await time());
  return best;
}
