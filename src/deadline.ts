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
