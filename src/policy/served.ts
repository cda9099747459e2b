// What senders are served and how a policy is wound down: the rules the policy route, the tab,
// the API and the DNS Check share, so each is written once.
import { policyHostName } from './records';
import { DEFAULT_MAX_AGE, type Mode, type PolicySettings, type StoredPolicy } from './types';
import { applyChanges, type Validation } from './validate';

/** Where senders fetch the policy (RFC 8461 section 3.3), on the host `mta-sts.<domain>`. */
export const POLICY_PATH = '/.well-known/mta-sts.txt';

/** The URL senders fetch a domain's policy from. */
export function policyUrl(domain: string): string {
  return `https://${policyHostName(domain)}${POLICY_PATH}`;
}

/** A host's domain row with the plugin's policy decoded. */
export interface DomainRecord {
  /** The key exactly as the host table holds it (A-label or U-label). */
  key: string;
  /** The domain in A-label form. */
  domain: string;
  hostActive: boolean;
  policy: StoredPolicy;
  /** False when the policy columns hold values the plugin would never write (edited by hand). */
  valid: boolean;
}

/** The policy senders are served for a record: MTA-STS active, host domain active, values valid. */
export function servedPolicy(record: DomainRecord | null): StoredPolicy | null {
  return record && record.valid && record.hostActive && record.policy.active ? record.policy : null;
}

/**
 * What senders apply today: an inactive policy is not served, so senders without a cached copy
 * behave as for `none`.
 */
export function servedMode(policy: Pick<StoredPolicy, 'active' | 'mode'>): Mode {
  return policy.active ? policy.mode : 'none';
}

/**
 * A policy senders may have cached in testing or enforce: switching it off must go through
 * mode none (RFC 8461 section 8.3), or senders keep applying the cached copy until it expires.
 */
export function needsRetiring(stored: Pick<StoredPolicy, 'active' | 'mode' | 'id'>): boolean {
  return stored.active && stored.mode !== 'none' && stored.id !== null;
}

/** The Maximum Age a retired policy (mode none) is served with: RFC 8461's "small", one day at most. */
export function retiredMaxAge(current: number): number {
  return Math.min(current, DEFAULT_MAX_AGE);
}

/**
 * The change that retires a policy (RFC 8461 section 8.3): served on in mode none, with a small
 * max_age, so that senders replace their cached testing or enforce copy and then drop it. The
 * MX list is kept. The tab's "Retire" button, `mta-sts retire`, the API's and the overview's
 * bulk `retire` all make this one change; as a save, it gets a new id when it changes anything.
 */
export function retirePolicy(current: PolicySettings): Validation<PolicySettings> {
  return applyChanges(current, { mode: 'none', active: true, maxAge: retiredMaxAge(current.maxAge) }, 'json');
}

/** When senders have dropped every copy of the current policy: now plus its Maximum Age. */
export function expiresBy(now: Date, maxAgeSeconds: number): Date {
  return new Date(now.getTime() + maxAgeSeconds * 1000);
}
