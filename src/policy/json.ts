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
