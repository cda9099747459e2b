// Many DNS Checks in one call, for hosts with thousands of domains: at most `concurrency` checks
// at once (each check already runs its own lookups in parallel, so a few dozen checks keep a
// resolver busy without flooding it), results in input order, and a progress callback after
// each domain. A domain whose check fails unexpectedly gets a result of errors; the call itself
// never rejects because of one domain.
import type { DnsCheckResult } from './run';
import { normalizeHost } from '../policy';
import { CHECK_NAMES, failedCheck, type Text } from './verdicts/kit';

/** What `onProgress` is told after each domain. */
export interface DnsChecksProgress<R = DnsCheckResult> {
  /** Domains finished so far, this one included (1 to `total`). */
  done: number;
  total: number;
  /** This domain's position in the input. */
  index: number;
  domain: string;
  result: R;
}

export interface DnsChecksOptions<R = DnsCheckResult> {
  /** How many domains are checked at once. Default 8; an integer from 1 to 1000. */
  concurrency?: number;
  /** Called once per domain, as each finishes (so not in input order). An exception in it is ignored. */
  onProgress?: (progress: DnsChecksProgress<R>) => void;
}

const DEFAULT_CHECKS_CONCURRENCY = 8;
const MAX_CHECKS_CONCURRENCY = 1000;

/**
 * The pool behind the service's `checkMany`: `check(item)` for every item, at
 * most `concurrency` at once, results in input order. A `check` that throws or rejects gives
 * `onError(item, err)` as that item's result.
 */
export async function checkEach<T, R>(
  items: Iterable<T>,
  check: (item: T, index: number) => Promise<R>,
  options: DnsChecksOptions<R> & { domainOf: (item: T) => string; onError: (item: T, err: unknown) => R },
): Promise<R[]> {
  const list = Array.from(items);
  const concurrency = options.concurrency ?? DEFAULT_CHECKS_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CHECKS_CONCURRENCY) {
    throw new TypeError(`concurrency: must be an integer from 1 to ${MAX_CHECKS_CONCURRENCY} (got ${JSON.stringify(concurrency) ?? String(concurrency)})`);
  }
  const { onProgress, domainOf, onError } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('onProgress: must be a function');

  const total = list.length;
  const results = new Array<R>(total);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < total; index = next++) {
      const item = list[index];
      let result: R;
      try {
        result = await check(item, index);
      } catch (err) {
        result = onError(item, err);
      }
      results[index] = result;
      done += 1;
      if (onProgress) {
        try {
          onProgress({ done, total, index, domain: safe(() => domainOf(item), ''), result });
        } catch {
          // A failing progress display must not lose the checks.
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return results;
}

/** A result for a domain whose check could not run at all: every check an error naming why. */
export function failedDnsCheck(domain: string, err: unknown, id: string | null = null): DnsCheckResult<Text> {
  return {
    domain: safe(() => normalizeHost(domain), String(domain)),
    id,
    checkedAt: new Date().toISOString(),
    checks: CHECK_NAMES.map((name) => failedCheck(name, err)),
  };
}

function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
