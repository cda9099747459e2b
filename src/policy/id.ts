/** RFC 8461 section 3.1: an id is 1 to 32 letters and digits. */
export const POLICY_ID = /^[A-Za-z0-9]{1,32}$/;

/** UTC `YYYYMMDDHHMMSS`, the "date of change" form the user guide describes. */
export function timestampId(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The id for a policy that just changed. Time-based, so people can read when it changed, and
 * strictly greater than the previous numeric id even for two changes within one second or after
 * the clock went back: then it is the previous id plus one. Senders only compare ids for
 * equality, but an id that never repeats or goes backwards is what admins and tools expect.
 */
export function nextPolicyId(previous: string | null, now: Date): string {
  const stamp = timestampId(now);
  if (previous !== null && /^[0-9]{1,32}$/.test(previous) && BigInt(stamp) <= BigInt(previous)) {
    const bumped = (BigInt(previous) + 1n).toString();
    if (bumped.length <= 32) return bumped;
  }
  return stamp;
}
