// The DNS Check's verdicts: pure functions, one a check, from lookup and probe results to a
// Verdict: a machine code with its facts, and what DNS (or the server) should hold, what it holds
// and what to do as Text. src/render/check.ts says it in a language.
// Split into modules by subject so each reads in one sitting; this is the one to import.
export { CHECK_CODES, lookupFailureText, type Check, type CheckCode, type CheckName, type CheckParams, type CheckStatus, type Verdict } from './kit';
export { worst } from './status';
export { mxHosts } from './records';
/** @internal Each check's verdict on its own, and its wording: units their tests drive directly (run.ts imports the modules). */
export { CHECK_NAMES, failedCheck } from './kit';
/** @internal */
export { mxCheck, stsHostCheck, stsTxtCheck } from './records';
/** @internal */
export { tlsrptCheck } from './related';
/** @internal */
export { daneCheck } from './dane';
/** @internal */
export { httpsCheck, mxTlsCheck, policyCheck } from './delivery';
/** @internal */
export { caaCheck } from './caa';
export type { AcmeOrderState, ServedPolicy } from './delivery';
