// The DNS Check: every lookup and probe of one domain at once, then one verdict per check
// (verdicts/), and many domains in one call (batch).
export * from './verdicts';
export { runDnsCheck, type DnsCheckResult } from './run';
/** @internal runDnsCheck's input: what its tests build. */
export type { DnsCheckInput } from './run';
export { checkEach, failedDnsCheck, type DnsChecksOptions, type DnsChecksProgress } from './batch';
