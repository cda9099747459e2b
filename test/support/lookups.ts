// Hand-built lookup and probe results for the verdict tests, shaped exactly like the resolver's.
import type { StoredPolicy } from '../../src/policy';
import type { HttpsProbeResult, MxTlsProbeResult } from '../../src/probes';
import type { LookupResult, RecordType } from '../../src/dns';
import type { RecordMap } from '../../src/dns/resolver';

export const SERVER = '192.0.2.53:53';

export function answer<T extends RecordType>(name: string, type: T, records: RecordMap[T], cnames: string[] = []): LookupResult<T> {
  return { ok: true, name, type, records, cnames, server: SERVER };
}

export function nxdomain<T extends RecordType>(name: string, type: T): LookupResult<T> {
  return { ok: false, name, type, failure: 'nxdomain', message: `${name} does not exist (NXDOMAIN)`, cnames: [], server: SERVER };
}

export function nodata<T extends RecordType>(name: string, type: T): LookupResult<T> {
  return { ok: false, name, type, failure: 'nodata', message: `${name} has no ${type} records`, cnames: [], server: SERVER };
}

export function timeout<T extends RecordType>(name: string, type: T): LookupResult<T> {
  return { ok: false, name, type, failure: 'timeout', message: `resolver ${SERVER} did not answer within 2 s`, cnames: [], server: SERVER };
}

export const ID = '20261128120000';

export function storedPolicy(changes: Partial<StoredPolicy> = {}): StoredPolicy {
  return {
    domain: 'example.org',
    id: ID,
    active: true,
    version: 'STSv1',
    mode: 'enforce',
    maxAge: 604800,
    mx: ['mail.example.org'],
    updatedAt: '2026-11-28T12:00:00.000Z',
    revision: 3,
    ...changes,
  };
}

export const NOW = new Date('2026-11-28T12:00:00Z');
const inDays = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString();

export function certificate(name: string, validForDays = 60) {
  return { subject: name, issuer: 'Test CA', names: [name], validFrom: inDays(-30), validTo: inDays(validForDays) };
}

export function fetched(body: string, changes: Partial<HttpsProbeResult> = {}): HttpsProbeResult {
  return {
    url: 'https://mta-sts.example.org/.well-known/mta-sts.txt',
    address: '192.0.2.10',
    tlsVersion: 'TLSv1.3',
    certificate: certificate('mta-sts.example.org'),
    status: 200,
    contentType: 'text/plain; charset=utf-8',
    body,
    ...changes,
  };
}

export function mxPassed(host: string, validForDays = 60): MxTlsProbeResult {
  return { host, address: '192.0.2.25', ok: true, starttls: true, tlsVersion: 'TLSv1.3', certificate: certificate(host, validForDays) };
}

export function mxFailed(host: string, message: string, changes: Partial<MxTlsProbeResult> = {}): MxTlsProbeResult {
  return { host, address: '192.0.2.25', ok: false, failure: { stage: 'protocol', message }, ...changes };
}
