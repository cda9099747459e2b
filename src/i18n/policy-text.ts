// The policy module (src/policy) reports problems by machine code, with an English sentence for
// the JSON API. The tab and the DNS Check say the same code in the reader's language; this maps
// every code to its catalogue message (the map lives in src/text/problems.ts, beside Text).
import type { Problem, ProblemCode } from '../policy';
import { PROBLEM_KEYS as KEYS } from '../text/problems';
import { CATALOGUES, format, type Locale, type MessageKey } from './index';

/** @internal The catalogue message for a problem code (its test checks every code has one). */
export function problemKey(code: ProblemCode): MessageKey {
  return KEYS[code];
}

/** A problem in the given language, with its values filled in. */
export function sayProblem(locale: Locale, problem: Pick<Problem, 'code' | 'params'>): string {
  return format(CATALOGUES[locale][KEYS[problem.code]], problem.params);
}
