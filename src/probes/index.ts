// The DNS Check's two network probes: the policy fetch over HTTPS and STARTTLS on each MX host.
// Both resolve through the injected resolver (never node:dns), never throw, and return plain
// data that the DNS Check's verdicts turn into checks.
export type { ProbeFailure, ProbeSettings, SmtpProbeSettings } from './kit';
export { probeHttps, type HttpsProbeResult } from './https';
export { probeMxTls, type MxTlsProbeResult } from './smtp';
