// The DNS client: raw dns-packet queries over UDP and TCP (transport) behind the Resolver
// interface every other room asks. Knows nothing of MTA-STS.
export { createResolver, parseResolvConf, parseServer, type LookupFailure, type LookupResult, type MxRecord, type RecordMap, type RecordType, type Resolver, type ResolverOptions, type TlsaRecord } from './resolver';
