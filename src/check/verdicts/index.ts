// The DNS Check's verdicts: pure functions, one a check, from lookup and probe results to a
// Check saying what DNS (or the server) should hold, what it holds, and what to do.
// Split into modules by subject so each reads in one sitting; this is the one to import.
// Each takes an optional Translator last: English by default, or the reader's language.
export { CHECK_NAMES, EXPIRY_WARNING_DAYS, failedCheck, lookupFailureText, type Check, type CheckName, type CheckStatus, type Translator } from './kit';
export { mxCheck, mxHosts, stsHostCheck, stsTxtCheck, type MxInput, type StsHostInput, type StsTxtInput } from './records';
export { daneCheck, tlsRptProblemText, tlsrptCheck, type DaneInput, type TlsRptInput } from './related';
export { httpsCheck, mxTlsCheck, policyCheck, type HttpsInput, type MxTlsInput, type PolicyInput, type ServedPolicy } from './delivery';
