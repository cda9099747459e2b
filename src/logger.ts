// The host's logger, or the console. Every message the plugin logs goes through one of these, so
// a host can route them (pino, winston...) with the `logger` option.
export interface Logger {
  error(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  info(message: string, detail?: unknown): void;
}

/** Prefixes each line so that the plugin's messages stand out in a host's console. */
export const consoleLogger: Logger = {
  error: (message, detail) => (detail === undefined ? console.error(`[mta-sts] ${message}`) : console.error(`[mta-sts] ${message}`, detail)),
  warn: (message, detail) => (detail === undefined ? console.warn(`[mta-sts] ${message}`) : console.warn(`[mta-sts] ${message}`, detail)),
  info: (message, detail) => (detail === undefined ? console.info(`[mta-sts] ${message}`) : console.info(`[mta-sts] ${message}`, detail)),
};

/**
 * Hooks a host gives to watch the plugin work (metrics): each is called after the fact, must not
 * throw, and is optional. The plugin never waits for them.
 */
export interface Observer {
  /** The served set was (re)loaded from the database: how long it took and how many names it holds. */
  servedSetLoaded?(event: { durationMs: number; names: number }): void;
  /** A reload of the served set failed (the previous set keeps being served). */
  servedSetFailed?(event: { durationMs: number }): void;
  /** A DNS Check finished: its domain, how long it took, and whether any check was an error. */
  dnsCheck?(event: { domain: string; durationMs: number; ok: boolean }): void;
}

/** Calls an observer hook, swallowing its errors: watching must never break the work watched. */
export function notify<K extends keyof Observer>(observer: Observer, hook: K, event: Parameters<NonNullable<Observer[K]>>[0]): void {
  try {
    (observer[hook] as ((e: typeof event) => void) | undefined)?.(event);
  } catch {
    // An observer's failure is the observer's: the policy is served regardless.
  }
}
