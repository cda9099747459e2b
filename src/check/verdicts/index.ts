// The DNS Check's verdicts: pure functions, one a check, from lookup and probe results to a
// Verdict: a machine code with its facts, and what DNS (or the server) should hold, what it holds
// and what to do as Text. `sayCheck(locale, verdict)` says it in a language.
// Split into modules by subject so each reads in one sitting; this is the one to import.
export {
  CHECK_CODES,
  CHECK_NAMES,
  EXPIRY_WARNING_DAYS,
  failedCheck,
  lookupFailureText,
  type Check,
  type CheckCode,
  type CheckName,
  type CheckParams,
  type CheckStatus,
  type Text,
  type Verdict,
} from './kit';
export { sayCheck } from '../../i18n/check-text';
export { sayText } from '../../i18n/text';
export { mxCheck, mxHosts, stsHostCheck, stsTxtCheck, type MxInput, type StsHostInput, type StsTxtInput } from './records';
export { daneCheck, tlsRptProblemText, tlsrptCheck, type DaneInput, type TlsRptInput } from './related';
export { caaCheck, type CaaInput } from './caa';
export { type AcmeOrderState, httpsCheck, mxTlsCheck, policyCheck, type HttpsInput, type MxTlsInput, type PolicyInput, type ServedPolicy } from './delivery';
