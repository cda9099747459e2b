// The certificate manager's options, validated like the plugin's: a TypeError naming the option.
import { isIP } from 'node:net';
import type { Knex } from 'knex';
import type { Logger } from '../logger';
import { tablePrefixOption } from '../options/storage';
import type { MtaStsService } from '../service';
import { parseEncryptionKey } from './secret';

export interface CertificateManagerOptions {
  /** The plugin's service: certificate names, their policies' history, and its DNS resolver. */
  service: MtaStsService;
  /** The database the plugin uses; the tables come from migration 20261201000300. */
  knex: Knex;
  /** The prefix of the plugin's own tables (default `mta_sts_`), as given to the plugin. */
  tablePrefix?: string;
  /** The CA's ACME directory, e.g. https://acme-v02.api.letsencrypt.org/directory. */
  directoryUrl: string;
  /** The account's contact address; the CA writes there about expiring certificates and incidents. */
  email: string;
  /** Must be true: the CA's terms of service are accepted on the operator's behalf, explicitly. */
  termsAccepted: boolean;
  /** 32 bytes (64 hex digits or base64) that encrypt keys at rest (AES-256-GCM). Same on every instance. */
  encryptionKey: string;
  /**
   * This server's public addresses. A name whose A/AAAA records include none of them is skipped
   * (with the reason in the log and status), since its validation would fail. Empty: no check.
   */
  addresses: string[];
  /** Renew this many days before expiry (default 30). */
  renewBeforeDays?: number;
  /** How often names are checked and due orders placed (default 60 s: a new policy is ordered within a minute). */
  checkIntervalMs?: number;
  /** First wait after a failed order, doubled per failure up to `retryMaxMs` (defaults 5 min and 24 h). */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** How long the ordering lock holds without being renewed (default 10 min): a crashed instance frees it then. */
  lockTtlMs?: number;
  /**
   * How often acme-client itself retries a request the CA refused with 429/503 or a network error
   * (default 2; its own default is 5 with waits of 5, 10, 15... s). The manager's back-off does the rest.
   * Process-wide in acme-client, like `directoryCa`.
   */
  requestRetries?: number;
  /** PEM of extra CAs to trust for the directory's HTTPS (a test CA such as pebble's). Process-wide in acme-client. */
  directoryCa?: string;
  logger?: Logger;
  now?: () => Date;
  /** Names this instance in the lock row (default: random). */
  instanceId?: string;
}

export interface ResolvedManagerOptions extends Required<Omit<CertificateManagerOptions, 'directoryCa' | 'logger' | 'encryptionKey'>> {
  directoryCa: string | null;
  logger: Logger;
  key: Buffer;
}

const positive = (name: string, value: unknown, fallback: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
};

const retries = (value: unknown): number => {
  if (value === undefined) return 2;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 10)
    throw new TypeError('requestRetries must be a whole number from 0 to 10');
  return value;
};

export function resolveManagerOptions(options: CertificateManagerOptions, fallbackLogger: Logger, instanceId: string): ResolvedManagerOptions {
  if (options.termsAccepted !== true)
    throw new TypeError("termsAccepted must be true: read the CA's terms of service (linked from its directory) and accept them explicitly");
  let url: URL;
  try {
    url = new URL(options.directoryUrl);
  } catch {
    throw new TypeError('directoryUrl must be the URL of an ACME directory (https://...)');
  }
  if (url.protocol !== 'https:') throw new TypeError('directoryUrl must be an https:// URL (RFC 8555 requires HTTPS)');
  if (typeof options.email !== 'string' || !/^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/.test(options.email))
    throw new TypeError('email must be a mail address the CA can write to');
  if (!Array.isArray(options.addresses) || options.addresses.some((a) => typeof a !== 'string' || isIP(a) === 0))
    throw new TypeError("addresses must be a list of this server's IP addresses (may be empty: then names are not checked)");
  // The plugin's own rule: the manager reads the tables the plugin's migrations made under this prefix.
  const prefix = tablePrefixOption(options.tablePrefix, 'tablePrefix');
  return {
    service: options.service,
    knex: options.knex,
    tablePrefix: prefix,
    directoryUrl: url.toString(),
    email: options.email,
    termsAccepted: true,
    key: parseEncryptionKey(options.encryptionKey),
    // Compared in canonical form: "::1" and "0:0::1" are the same address.
    addresses: options.addresses.map((a) => canonicalIp(a)),
    renewBeforeDays: positive('renewBeforeDays', options.renewBeforeDays, 30),
    checkIntervalMs: positive('checkIntervalMs', options.checkIntervalMs, 60_000),
    retryInitialMs: positive('retryInitialMs', options.retryInitialMs, 5 * 60_000),
    retryMaxMs: positive('retryMaxMs', options.retryMaxMs, 24 * 3600_000),
    lockTtlMs: positive('lockTtlMs', options.lockTtlMs, 10 * 60_000),
    requestRetries: retries(options.requestRetries),
    directoryCa: options.directoryCa ?? null,
    logger: options.logger ?? fallbackLogger,
    now: options.now ?? (() => new Date()),
    instanceId: options.instanceId ?? instanceId,
  };
}

/** One spelling per address, so configured and resolved addresses compare equal. */
export function canonicalIp(address: string): string {
  if (isIP(address) !== 6) return address;
  const url = new URL(`http://[${address}]/`);
  return url.hostname.slice(1, -1);
}
