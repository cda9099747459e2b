// The DNS client: raw dns-packet queries over UDP and TCP (transport) behind the Resolver
// interface every other room asks. Knows nothing of MTA-STS.
export { createResolver, type LookupResult, type MxRecord, type RecordType, type Resolver, type TlsaRecord, type CaaRecord } from './resolver';
