// The DNS Check's verdicts in a language. The check (src/check) gives each verdict as a code with
// its facts and its texts as Text (src/text); i18n says Text. Neither imports the other: this is
// the one place that joins them, for every edge that shows a check (the tab, the JSON API, the
// factory's dnsCheck/checkMany, the CLI, the scheduled checks' alerts).
import type { Check, DnsCheckResult, Verdict } from '../check';
import type { Locale } from '../i18n';
import type { Text } from '../text';
import { sayText } from '../i18n/text';

/** One verdict said in `locale`: code, status and facts as they are, the three texts in words. */
export function sayCheck(locale: Locale, verdict: Verdict): Check {
  const { expected, found, message, ...rest } = verdict;
  return { ...rest, expected: sayText(locale, expected), found: sayText(locale, found), message: sayText(locale, message) };
}

/** A whole DNS Check said in `locale`. */
export function sayDnsCheck(locale: Locale, result: DnsCheckResult<Text>): DnsCheckResult {
  return { ...result, checks: result.checks.map((verdict) => sayCheck(locale, verdict)) };
}
