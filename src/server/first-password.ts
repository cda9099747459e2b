// The admin password generated on the embedded default's first start. It goes to a file only the
// service user can read, never to stdout, which systemd's journal or a container log keeps and
// shows to whoever may read those; a person at a terminal may see it there once.
import { chmodSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../config/errors';
import type { DatabaseTarget } from '../config/database';

const PASSWORD_FILE = 'initial-admin-password';

/** Beside the SQLite database (the server's data directory), else in the working directory (the service's state directory). */
export function passwordFilePath(target: DatabaseTarget): string {
  const sqlite = target.client === 'better-sqlite3' && target.display !== 'sqlite::memory:' ? target.display.slice('sqlite:'.length) : null;
  return join(sqlite ? dirname(sqlite) : resolve('.'), PASSWORD_FILE);
}

/**
 * Writes the password with mode 0600, as a new file (O_EXCL: never through a link someone placed
 * there); an old one from an earlier first start is replaced. A failure stops the start with one
 * sentence, as the account then exists with a password nobody knows.
 */
export function writePasswordFile(path: string, password: string): void {
  const write = () => writeFileSync(path, `${password}\n`, { mode: 0o600, flag: 'wx' });
  try {
    try {
      write();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      unlinkSync(path);
      write();
    }
    // The mode given to open() is narrowed by the umask, never widened; this makes it exactly 0600.
    chmodSync(path, 0o600);
  } catch (err) {
    throw new ConfigError(
      'adminPassword',
      `(generated) could not be written to ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): set one with \`mta-sts admin passwd admin\`, or start with ADMIN_PASSWORD on a new database`,
    );
  }
}
