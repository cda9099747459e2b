// Private keys at rest: AES-256-GCM with the key from the configuration, so a database dump alone
// gives away no key. Stored as "v1.<iv>.<tag>.<ciphertext>", each part base64url.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const KEY_ERROR = 'MTA_STS_ACME_BAD_KEY';

/**
 * The 32-byte key from its configured text: 64 hex digits or base64/base64url of 32 bytes.
 * Throws a TypeError naming `encryptionKey` and the rule; the key itself is never quoted.
 */
export function parseEncryptionKey(value: unknown): Buffer {
  if (typeof value !== 'string') throw new TypeError('encryptionKey must be a string: 64 hex digits or the base64 of 32 random bytes');
  const trimmed = value.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== 32) throw new TypeError('encryptionKey must be 32 bytes: 64 hex digits or 44 characters of base64 (openssl rand -base64 32)');
  return key;
}

export function encrypt(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

/** The plain text, or an Error with code MTA_STS_ACME_BAD_KEY when the key is wrong or the value was altered. */
export function decrypt(key: Buffer, stored: string): string {
  const parts = stored.split('.');
  try {
    if (parts.length !== 4 || parts[0] !== 'v1') throw new Error('not an encrypted value');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[1], 'base64url'));
    decipher.setAuthTag(Buffer.from(parts[2], 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(parts[3], 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    // Never the value in the message: it is a secret, even encrypted.
    throw Object.assign(new Error('a stored ACME key could not be decrypted: is encryptionKey the one it was stored with?'), { code: KEY_ERROR });
  }
}
