/**
 * The columns the plugin's migrations add to the host's domain table, as the store reads them.
 * The migrations spell the same names out themselves (they are frozen once run); a test checks
 * that the two agree.
 */
export const COLUMNS = {
  active: 'mta_sts_active',
  version: 'mta_sts_version',
  mode: 'mta_sts_mode',
  maxAge: 'mta_sts_max_age',
  mx: 'mta_sts_mx',
  id: 'mta_sts_id',
  updatedAt: 'mta_sts_updated_at',
  revision: 'mta_sts_revision',
} as const;
