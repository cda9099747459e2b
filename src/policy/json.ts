import { toULabel } from './hostname';
import { servedPolicy, type DomainRecord } from './served';

/** The JSON shape of a domain's policy, the same for the API and the command's --json. */
export function policyJson(record: DomainRecord) {
  const { policy } = record;
  return {
    domain: record.domain,
    displayDomain: toULabel(record.domain),
    active: policy.active,
    version: policy.version,
    mode: policy.mode,
    maxAge: policy.maxAge,
    mx: policy.mx,
    id: policy.id,
    updatedAt: policy.updatedAt,
    revision: policy.revision,
    served: servedPolicy(record) !== null,
  };
}

/** Why a policy that is active is not served, for the API and the command (the tab says it in its language). */
export interface ServingWarning {
  code: 'host-inactive';
  message: string;
}

/**
 * What a save or a look at a domain must say beside the policy: the panel marks the domain
 * inactive, so the policy, active as it is, is not served until the domain is active again.
 */
export function servingWarnings(record: DomainRecord): ServingWarning[] {
  if (!record.policy.active || record.hostActive) return [];
  return [
    {
      code: 'host-inactive',
      message: `The panel marks ${toULabel(record.domain)} inactive, so nothing is served for it until the domain is active again.`,
    },
  ];
}
