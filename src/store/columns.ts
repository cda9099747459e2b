/**
 * The columns the plugin adds to the host's domain table. Shared by the migration and the store
 * so that the two can never disagree on a name.
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

export const ALL_COLUMNS: readonly string[] = Object.values(COLUMNS);
