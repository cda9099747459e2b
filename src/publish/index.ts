// Publishing the records to DNS: the contract providers implement, the two shipped providers, the
// plan and its application. The command and the server reach it here.
import type { DnsPublisher } from './contract';
import { powerDnsPublisher } from './powerdns';
import { rfc2136Publisher } from './rfc2136';
import type { TsigKey } from './tsig';

export { type DnsPublisher } from './contract';
export { verifyRecords, type Verification } from './verify';
export { applyPlan, readPlan, type Outcome } from './apply';
export { brake, managedRecords, type DomainWants, type PlannedRecord } from './plan';
export { recordStates } from './state';

/** Where updates go, as the settings validated it (src/config/publish-settings.ts). */
export type PublisherTarget =
  { kind: 'rfc2136'; host: string; port: number; key: TsigKey; zones: string[] } | { kind: 'pdns'; baseUrl: string; apiKey: string; zones: string[] };

/** The shipped provider for a validated target. */
export function publisherFor(t: PublisherTarget): DnsPublisher {
  return t.kind === 'rfc2136'
    ? rfc2136Publisher({ host: t.host, port: t.port, key: t.key, zones: t.zones })
    : powerDnsPublisher({ baseUrl: t.baseUrl, apiKey: t.apiKey, zones: t.zones });
}
