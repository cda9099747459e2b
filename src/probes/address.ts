// Which addresses the probes may connect to. DNS answers come from whoever runs a domain's zone,
// so a tenant could point its `mta-sts.` or MX name at 127.0.0.1, 10.0.0.5 or 169.254.169.254
// and read from the check's result whether a port is open inside the panel's network and what
// answers there. By default the probes refuse every special-purpose address (the IANA IPv4 and
// IPv6 special-purpose registries, plus multicast and reserved space); `dnsCheck.allowAddresses`
// opts ranges back in for a panel that really checks internal hosts (and for tests on loopback).
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Not reachable from the public internet, or not a unicast host address at all. */
const SPECIAL_V4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, CGNAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, where cloud metadata services listen
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];

const SPECIAL_V6: ReadonlyArray<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // deprecated IPv4-compatible addresses
  ['64:ff9b::', 96], // NAT64: embeds an IPv4 address the gateway would reach for us
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing SIDs
  ['fc00::', 7], // unique local (ULA)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
];

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

const special = new BlockList();
for (const [network, prefix] of SPECIAL_V4) special.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of SPECIAL_V6) special.addSubnet(network, prefix, 'ipv6');

/** One allowed range, already checked. */
export interface Cidr {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * Reads a list of CIDRs (`10.0.0.0/8`, `::1/128`; a bare address means that address alone).
 * Throws a TypeError naming `name` and the bad entry.
 */
export function parseCidrs(value: unknown, name: string): Cidr[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array of CIDR ranges such as '10.0.0.0/8' or 'fd00::/8'`);
  return value.map((entry, i) => {
    const cidr = typeof entry === 'string' ? parseCidr(entry) : null;
    if (cidr === null) {
      throw new TypeError(
        `${name}[${i}] must be an IPv4 or IPv6 CIDR range such as '10.0.0.0/8' or 'fd00::/8' (got ${JSON.stringify(entry) ?? String(entry)})`,
      );
    }
    return cidr;
  });
}

function parseCidr(text: string): Cidr | null {
  if (text.length > 60) return null;
  const slash = text.indexOf('/');
  const network = (slash < 0 ? text : text.slice(0, slash)).trim();
  const family = isIPv4(network) ? 'ipv4' : isIPv6(network) ? 'ipv6' : null;
  if (family === null) return null;
  const max = family === 'ipv4' ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return null;
  return { network, prefix: Number(prefixText), family };
}

/** Decides whether a probe may connect to an address; built once per allow list. */
export class AddressFilter {
  private readonly allowed = new BlockList();
  readonly ranges: readonly Cidr[];

  constructor(allow: readonly Cidr[] | readonly string[] = []) {
    this.ranges = allow.every((entry) => typeof entry === 'string') ? parseCidrs(allow, 'allowAddresses') : allow;
    for (const range of this.ranges) this.allowed.addSubnet(range.network, range.prefix, range.family);
  }

  /** True when the address is public unicast, or special but inside an allowed range. */
  permits(address: string): boolean {
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
    if (family === null) return false;
    // An IPv4-mapped IPv6 address reaches the IPv4 address inside it, so that one is judged.
    const mapped = family === 'ipv6' ? MAPPED_V4.exec(expandMapped(address)) : null;
    if (mapped) return this.permits(mapped[1]);
    if (this.allowed.check(address, family)) return true;
    return !special.check(address, family);
  }
}

/** `::ffff:7f00:1` (how Node prints it) and `::ffff:127.0.0.1` both as the dotted form. */
function expandMapped(address: string): string {
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex === null) return address;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** The filter that refuses every special-purpose address. */
export const PUBLIC_ONLY = new AddressFilter();
