// While `mta-sts serve` serves, no dependency's rejected promise or throwing callback may end the
// process: the policy file of every domain goes down with it, which is the one thing the server
// must never let happen. Node's default for both is to exit; these handlers log the failure and
// keep serving. SIGTERM/SIGINT are untouched: a stop still drains and exits 0.

/** The log lines' machine codes. */
const PROCESS_GUARD_CODES = {
  unhandledRejection: 'MTA_STS_UNHANDLED_REJECTION',
  uncaughtException: 'MTA_STS_UNCAUGHT_EXCEPTION',
} as const;

/**
 * How many distinct failures (kind, class, code) are logged; each once, with a count of repeats
 * logged at most once a minute, so that one failing every request cannot flood the log.
 */
const MAX_SIGNATURES = 100;
const REPEAT_LOG_MS = 60_000;

interface GuardLog {
  error(object: Record<string, unknown>, message: string): void;
}

/**
 * What may be logged of a failure: its class name and error code, never its message or stack
 * (Knex's messages quote the failing SQL with its values: a session id, a user name, a token).
 */
function describe(value: unknown): { name: string; code: string | null } {
  const e = (value ?? {}) as { name?: unknown; code?: unknown; constructor?: { name?: unknown } };
  const pick = (v: unknown) => (typeof v === 'string' && /^[\w.-]{1,64}$/.test(v) ? v : null);
  return { name: pick(e.name) ?? pick(e.constructor?.name) ?? typeof value, code: pick(e.code) };
}

/** Installs the handlers; returns their removal (after the server has stopped). */
export function installProcessGuard(log: GuardLog): () => void {
  const seen = new Map<string, { count: number; loggedAt: number; logged: number }>();
  let overflow = false;
  const handle = (kind: keyof typeof PROCESS_GUARD_CODES) => (value: unknown) => {
    try {
      const { name, code } = describe(value);
      const key = `${kind}:${name}:${code ?? ''}`;
      const now = Date.now();
      const entry = seen.get(key);
      const fields = { code: PROCESS_GUARD_CODES[kind], errorName: name, errorCode: code };
      if (!entry) {
        if (seen.size >= MAX_SIGNATURES) {
          if (!overflow) log.error(fields, `${kind}: more distinct failures than ${MAX_SIGNATURES}; the rest are not logged; the server keeps serving`);
          overflow = true;
          return;
        }
        seen.set(key, { count: 1, loggedAt: now, logged: 1 });
        log.error(fields, `${kind} from a dependency; the server keeps serving`);
        return;
      }
      entry.count += 1;
      if (now - entry.loggedAt >= REPEAT_LOG_MS) {
        log.error({ ...fields, repeats: entry.count - entry.logged }, `${kind} again; the server keeps serving`);
        entry.loggedAt = now;
        entry.logged = entry.count;
      }
    } catch {
      // The guard itself must never throw: that would end the process it protects.
    }
  };
  const onRejection = handle('unhandledRejection');
  const onException = handle('uncaughtException');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
