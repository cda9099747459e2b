// TSIG (RFC 8945): signing a DNS message with a shared secret and verifying the signed answer,
// with HMAC-SHA256 or HMAC-SHA512 from node:crypto. Works on wire bytes, because the MAC covers
// the message exactly as sent; dns-packet builds and reads everything else.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512'] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

export interface TsigKey {
  algorithm: TsigAlgorithm;
  /** The key's name, as the server's configuration spells it (`key "update-key" { ... }`). */
  name: string;
  secret: Buffer;
}

const TYPE_TSIG = 250;
const CLASS_ANY = 255;
/** Seconds of clock difference the server accepts (RFC 8945 recommends 300). */
const FUDGE = 300;
/** TSIG error codes (RFC 8945 section 5.3): what a refusal means, in words. */
export const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

/** A name in canonical wire form: lower case, uncompressed (RFC 8945 section 4.3.3). */
function wireName(name: string): Buffer {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')])), Buffer.from([0])]);
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

function u48(value: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(value, 0, 6);
  return b;
}

/** The TSIG variables the MAC covers after the message (section 4.3.3). */
function variables(key: TsigKey, time: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([
    wireName(key.name),
    u16(CLASS_ANY),
    Buffer.alloc(4),
    wireName(key.algorithm),
    u48(time),
    u16(FUDGE),
    u16(error),
    u16(other.length),
    other,
  ]);
}

function hmac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const mac = createHmac(key.algorithm === 'hmac-sha256' ? 'sha256' : 'sha512', key.secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** The message with a TSIG record appended (ARCOUNT + 1), and its MAC, which the answer's MAC covers. */
export function signMessage(message: Buffer, key: TsigKey, now = Math.floor(Date.now() / 1000)): { signed: Buffer; mac: Buffer } {
  const mac = hmac(key, message, variables(key, now, 0, Buffer.alloc(0)));
  const rdata = Buffer.concat([wireName(key.algorithm), u48(now), u16(FUDGE), u16(mac.length), mac, message.subarray(0, 2), u16(0), u16(0)]);
  const record = Buffer.concat([wireName(key.name), u16(TYPE_TSIG), u16(CLASS_ANY), Buffer.alloc(4), u16(rdata.length), rdata]);
  const signed = Buffer.concat([message, record]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { signed, mac };
}

/** Reads a possibly compressed name at `offset`; returns the offset after it (a pointer ends it). */
function skipName(buf: Buffer, offset: number): number {
  for (let i = offset; i < buf.length;) {
    const len = buf[i];
    if ((len & 0xc0) === 0xc0) return i + 2;
    if (len === 0) return i + 1;
    i += len + 1;
  }
  throw new Error('name runs past the end');
}

function readName(buf: Buffer, offset: number): string {
  const labels: string[] = [];
  for (let i = offset, jumps = 0; i < buf.length && jumps < 20;) {
    const len = buf[i];
    if ((len & 0xc0) === 0xc0) {
      i = buf.readUInt16BE(i) & 0x3fff;
      jumps += 1;
    } else if (len === 0) {
      return labels.join('.').toLowerCase();
    } else {
      labels.push(buf.toString('ascii', i + 1, i + 1 + len));
      i += len + 1;
    }
  }
  throw new Error('bad name');
}

/**
 * Verifies the TSIG of an answer to a request signed with `requestMac` (section 5.3.2). Returns
 * null when it is signed by the key and fresh; else why not: the TSIG error the server gave
 * (BADSIG, BADKEY, BADTIME: the request was not accepted), or that the answer is unsigned or forged.
 */
export function verifyResponse(response: Buffer, key: TsigKey, requestMac: Buffer, now = Math.floor(Date.now() / 1000)): string | null {
  try {
    const counts = [4, 6, 8, 10].map((at) => response.readUInt16BE(at));
    if (counts[3] === 0) return 'the answer is not signed';
    let offset = 12;
    for (let q = 0; q < counts[0]; q++) offset = skipName(response, offset) + 4;
    const records = counts[1] + counts[2] + counts[3];
    let last = offset;
    for (let r = 0; r < records; r++) {
      last = offset;
      offset = skipName(response, offset);
      offset += 10 + response.readUInt16BE(offset + 8);
    }
    const rrStart = last;
    const typeAt = skipName(response, rrStart);
    if (response.readUInt16BE(typeAt) !== TYPE_TSIG) return 'the answer is not signed';
    if (readName(response, rrStart) !== key.name.toLowerCase().replace(/\.$/, '')) return 'the answer is signed by another key';
    let at = typeAt + 10;
    const algorithm = readName(response, at);
    at = skipName(response, at);
    const time = response.readUIntBE(at, 6);
    const fudge = response.readUInt16BE(at + 6);
    const macSize = response.readUInt16BE(at + 8);
    const mac = response.subarray(at + 10, at + 10 + macSize);
    at += 10 + macSize;
    const originalId = response.readUInt16BE(at);
    const error = response.readUInt16BE(at + 2);
    const otherLen = response.readUInt16BE(at + 4);
    const other = response.subarray(at + 6, at + 6 + otherLen);
    if (error !== 0) return TSIG_ERRORS[error] ?? `TSIG error ${error}`;
    if (algorithm !== key.algorithm) return 'the answer is signed with another algorithm';
    const unsigned = Buffer.from(response.subarray(0, rrStart));
    unsigned.writeUInt16BE(originalId, 0);
    unsigned.writeUInt16BE(counts[3] - 1, 10);
    const expected = hmac(key, u16(requestMac.length), requestMac, unsigned, variables(key, time, error, other));
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return 'the signature of the answer does not match the key';
    if (Math.abs(now - time) > fudge) return 'the answer was signed at another time (BADTIME)';
    return null;
  } catch {
    return 'the answer is malformed';
  }
}
