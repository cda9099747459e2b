// The DNS Check's two network probes: the policy fetch over HTTPS and STARTTLS on each MX host.
// Both resolve through the injected resolver (never node:dns), never throw, and return plain
// data that the DNS Check's verdicts turn into checks.
export {
  DEFAULT_PROBE_TIMEOUT_MS,
  type CaOption,
  type CertificateInfo,
  type ProbeFailure,
  type ProbeFailureCode,
  type ProbeNetwork,
  type ProbeSettings,
  type ProbeStage,
  type SmtpProbeSettings,
} from './kit';
export { MAX_HTTPS_BYTES, MAX_POLICY_BYTES, probeHttps, type HttpsProbeOptions, type HttpsProbeResult } from './https';
export { MAX_REPLY_LINES, MAX_SMTP_BYTES, probeMxTls, type MxTlsProbeOptions, type MxTlsProbeResult } from './smtp';
export { AddressFilter, PUBLIC_ONLY, parseCidrs, type Cidr } from './address';
