import { PolicySettings } from './types';

/**
 * The policy file body as RFC 8461 section 3.2 defines it: `version` first (some senders expect
 * it there), then mode, one `mx:` line per pattern, and max_age, each line ending in CRLF.
 */
export function renderPolicy(policy: Pick<PolicySettings, 'version' | 'mode' | 'mx' | 'maxAge'>): string {
  const lines = [`version: ${policy.version}`, `mode: ${policy.mode}`];
  for (const pattern of policy.mx) lines.push(`mx: ${pattern}`);
  lines.push(`max_age: ${policy.maxAge}`);
  return lines.map((line) => `${line}\r\n`).join('');
}
