/**
 * Default of `options.database.timeoutMs`, the deadline of every plugin query: here, beside the
 * rule every wait follows, so that the options (which may import no store module) and the store
 * read the same number.
 */
export const DEFAULT_DB_TIMEOUT_MS = 5000;

/**
 * `work`'s result, or `onTimeout()`'s if `work` has not settled within `ms`. The timer is always
 * cleared, so nothing keeps the process alive after the answer; a rejection of `work` (or a throw
 * from `onTimeout`) is passed on. Every wait on something outside the process goes through here.
 */
export async function within<T, U>(work: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<U>((resolve, reject) => {
    timer = setTimeout(
      () => {
        try {
          resolve(onTimeout());
        } catch (err) {
          reject(err);
        }
      },
      Math.max(ms, 0),
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
