// A throwaway certificate authority made with the openssl CLI, so tests exercise real
// certificate verification (trust, names, expiry) without any network or fixed key files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Issued {
  key: string;
  cert: string;
}
export interface TestCa {
  /** The CA certificate (PEM), to pass as `ca`. */
  readonly cert: string;
  /** A leaf certificate for the given DNS names; `days` below 0 makes one that has expired. */
  issue(names: string[], options?: { days?: number }): Issued;
  dispose(): void;
}

// Our own config keeps the result independent of the machine's openssl.cnf.
const CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestCa(commonName = 'MTA-STS Test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-ca-'));
  writeFileSync(join(dir, 'openssl.cnf'), CONFIG);
  // EC keys: generating them takes milliseconds, RSA keys would slow the suite down.
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    dir,
    'req',
    '-x509',
    '-config',
    'openssl.cnf',
    '-extensions',
    'ca',
    ...newKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '30',
    '-subj',
    `/CN=${commonName}`,
  );
  const cert = readFileSync(join(dir, 'ca.crt'), 'utf8');
  let serial = 1;

  return {
    cert,
    issue(names, options = {}) {
      const n = serial++;
      writeFileSync(
        join(dir, `leaf${n}.ext`),
        [
          // An address (127.0.0.1) is an IP name, for servers reached by address (the test IMAP server).
          `subjectAltName = ${names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(', ')}`,
          'basicConstraints = CA:FALSE',
          'keyUsage = critical,digitalSignature',
          'extendedKeyUsage = serverAuth',
          'authorityKeyIdentifier = keyid',
        ].join('\n'),
      );
      openssl(dir, 'req', '-new', '-config', 'openssl.cnf', ...newKey, '-keyout', `leaf${n}.key`, '-out', `leaf${n}.csr`, '-subj', `/CN=${names[0]}`);
      openssl(
        dir,
        'x509',
        '-req',
        '-in',
        `leaf${n}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-set_serial',
        String(1000 + n),
        '-days',
        String(options.days ?? 30),
        '-extfile',
        `leaf${n}.ext`,
        '-out',
        `leaf${n}.crt`,
      );
      return { key: readFileSync(join(dir, `leaf${n}.key`), 'utf8'), cert: readFileSync(join(dir, `leaf${n}.crt`), 'utf8') };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
