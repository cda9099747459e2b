// The DNS Check's two network probes: the policy fetch over HTTPS and STARTTLS on each MX host.
// Both resolve through the injected resolver (never node:dns), never throw, and return plain
// data that the DNS Check's verdicts turn into checks.
export { type ProbeFailure, type ProbeNetwork, type ProbeSettings, type SmtpProbeSettings } from './kit';
export { probeHttps, type HttpsProbeResult } from './https';
/** @internal The policy file's size limit, which the probe's test serves one byte over. */
export { MAX_POLICY_BYTES } from './https';
export { probeMxTls, type MxTlsProbeResult } from './smtp';
export { AddressFilter, PUBLIC_ONLY, parseCidrs, type Cidr } from './address';
