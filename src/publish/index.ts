// Publishing the records to DNS: the contract providers implement, the two shipped providers, the
// plan and its application. The command and, later, the server reach it here.
export { type DnsPublisher } from './contract';
export { verifyRecords, type Verification } from './verify';
export { applyPlan, readPlan, type Outcome } from './apply';
export { brake, managedRecords, type DomainWants, type PlannedRecord } from './plan';
export { powerDnsPublisher } from './powerdns';
export { rfc2136Publisher } from './rfc2136';
export { recordStates } from './state';
