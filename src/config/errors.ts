/**
 * A setting of the command or the standalone server that cannot be used, or a database that
 * cannot be reached: one sentence for the person at the terminal, never a stack trace.
 */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly rule: string,
    readonly kind: 'setting' | 'connection' = 'setting',
  ) {
    super(`${setting} ${rule}`);
    this.name = 'ConfigError';
  }
}
