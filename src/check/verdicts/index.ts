// The DNS Check's verdicts: pure functions, one a check, from lookup and probe results to a
// Check saying what DNS (or the server) should hold, what it holds, and what to do.
// Split into modules by subject so each reads in one sitting; this is the one to import.
// Each takes an optional Translator last: English by default, or the reader's language.
// The ones tagged internal are imported by their unit tests only (test/check/verdicts.test.ts):
// `npm run lint:unused` counts an export that only tests use as dead unless it is tagged so.

export { lookupFailureText, type Check, type CheckName, type CheckStatus } from './kit';
/** @internal */ export { CHECK_NAMES, failedCheck, type Translator } from './kit';
export { mxHosts } from './records';
/** @internal */ export { mxCheck, stsHostCheck, stsTxtCheck } from './records';
/** @internal */ export { daneCheck, tlsrptCheck } from './related';
/** @internal */ export { httpsCheck, mxTlsCheck, policyCheck } from './delivery';
