// A real IMAP server for tests: Debian's Dovecot (`dovecot-imapd`), started on loopback with a
// throwaway configuration in a temp dir (its own base, state, log and maildirs), one passwd-file
// user, and IMAPS with a certificate of the test CA (or, by `tls`, plain IMAP offering STARTTLS,
// or plain IMAP without any TLS). Stopped and removed by close().
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Issued } from './tls';

export const DOVECOT = '/usr/sbin/dovecot';

export interface TestDovecot {
  port: number;
  user: string;
  password: string;
  /** Dovecot's log, for failure messages. */
  log(): string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Dovecot runs its login and mail processes as `nobody` (it refuses root for them); the mail home is nobody's. */
const NOBODY = { uid: 65534, gid: 65534 };

/**
 * How the server speaks TLS on its one port: `implicit` is IMAPS; `starttls` is IMAP offering
 * STARTTLS; `none` is IMAP without TLS (ssl = no, so no STARTTLS in its capabilities), which
 * accepts a LOGIN in clear text.
 */
export type DovecotTls = 'implicit' | 'starttls' | 'none';

export async function startDovecot(certificate: Issued, options: { tls?: DovecotTls } = {}): Promise<TestDovecot> {
  const mode = options.tls ?? 'implicit';
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-dovecot-'));
  chmodSync(dir, 0o755);
  const mail = join(dir, 'mail');
  for (const sub of ['base', 'state', 'mail']) mkdirSync(join(dir, sub));
  chownSync(mail, NOBODY.uid, NOBODY.gid);
  const user = 'reports';
  const password = 'imap-test-secret';
  writeFileSync(join(dir, 'passwd'), `${user}:{PLAIN}${password}:${NOBODY.uid}:${NOBODY.gid}::${join(mail, user)}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'cert.pem'), certificate.cert);
  writeFileSync(join(dir, 'key.pem'), certificate.key, { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    join(dir, 'dovecot.conf'),
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/base
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
first_valid_uid = 1
ssl = ${mode === 'none' ? 'no' : mode === 'starttls' ? 'yes' : 'required'}
disable_plaintext_auth = ${mode === 'none' ? 'no' : 'yes'}
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${mode === 'implicit' ? 0 : port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${mode === 'implicit' ? port : 0}
    ssl = yes
  }
}
service anvil {
  chroot =
}
`,
  );
  const logFile = join(dir, 'dovecot.log');
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await accepts(port)) return { port, user, password, log, close };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const why = `${stderr}${log()}`;
  await close();
  throw new Error(`dovecot did not start on 127.0.0.1:${port}: ${why}`);
}
