// The DNS Check's verdicts: pure functions, one a check, from lookup and probe results to a
// Check saying what DNS (or the server) should hold, what it holds, and what to do.
// Split into modules by subject so each reads in one sitting; this is the one to import.
export { CHECK_NAMES, EXPIRY_WARNING_DAYS, failedCheck, type Check, type CheckName, type CheckStatus } from './verdict-kit';
export { mxCheck, mxHosts, stsHostCheck, stsTxtCheck, type MxInput, type StsHostInput, type StsTxtInput } from './verdicts-dns';
export { daneCheck, parseTlsRptRecord, tlsrptCheck, type DaneInput, type TlsRptInput, type TlsRptParse } from './verdicts-related';
export { httpsCheck, mxTlsCheck, policyCheck, type HttpsInput, type MxTlsInput, type PolicyInput, type ServedPolicy } from './verdicts-served';
