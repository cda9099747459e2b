// The DNS Check's two network probes: the policy fetch over HTTPS and STARTTLS on each MX host.
// Both resolve through the injected resolver (never node:dns), never throw, and return plain
// data that verdicts.ts turns into checks.
export { DEFAULT_PROBE_TIMEOUT_MS, type CaOption, type CertificateInfo, type ProbeFailure, type ProbeStage } from './probe-kit';
export { MAX_POLICY_BYTES, POLICY_URL_PATH, probeHttps, type HttpsProbeOptions, type HttpsProbeResult } from './https-probe';
export { probeMxTls, type MxTlsProbeOptions, type MxTlsProbeResult } from './smtp-probe';
