// How bad a check's status is, written once: the verdicts, the stored last result of a scheduled
// check and the overview's verdict all rank statuses by it.

/** The statuses of a check, from the least to the most severe: what `worst` ranks by. */
export const CHECK_STATUSES = ['ok', 'info', 'warning', 'error'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** The most severe of several statuses; `ok` when there are none. */
export function worst(...statuses: CheckStatus[]): CheckStatus {
  const rank = (status: CheckStatus) => CHECK_STATUSES.indexOf(status);
  return statuses.reduce<CheckStatus>((a, b) => (rank(b) > rank(a) ? b : a), 'ok');
}
