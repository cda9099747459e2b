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
