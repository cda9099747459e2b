// The DNS Check: resolver, network probes, pure verdicts and the orchestration that runs them.
export { createResolver, parseResolvConf, parseServer, type LookupFailure, type LookupResult, type MxRecord, type RecordMap, type RecordType, type Resolver, type ResolverOptions, type TlsaRecord } from './resolver';
export * from './verdicts';
export * from './probes';
export { runDnsCheck, SERVED_POLICY_TIMEOUT_MS, type DnsCheckInput, type DnsCheckResult, type ProbeSettings, type SmtpProbeSettings } from './check';
export { runDnsChecks, checkEach, failedDnsCheck, DEFAULT_CHECKS_CONCURRENCY, type DnsChecksOptions, type DnsChecksProgress } from './many';
