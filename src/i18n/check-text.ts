// The DNS Check verdicts (src/check/verdicts) give a machine code, its facts and their texts as
// data; this says a verdict in one language, giving the check as results list it. Like
// ./policy-text.ts for the policy rules' problems.
import type { Check, Verdict } from '../check/verdicts/kit';
import type { Locale } from './locales';
import { sayText } from './text';

export function sayCheck(locale: Locale, verdict: Verdict): Check {
  const { expected, found, message, ...rest } = verdict;
  return { ...rest, expected: sayText(locale, expected), found: sayText(locale, found), message: sayText(locale, message) };
}
