/**
 * Plugin options that keep a test server's DNS on loopback: the tab looks the domain's MX hosts up
 * on every render, and the DNS Check probes the network. A closed loopback port answers at once
 * (ICMP port unreachable), so pages render quickly and nothing leaves 127.0.0.1.
 */
export const LOOPBACK_ONLY = {
  dns: { servers: ['127.0.0.1:9'], timeoutMs: 300, retries: 0 },
  dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
};

/**
 * A guard for the whole suite (loaded by .mocharc.json before any test): any TCP or UDP traffic
 * to an address outside loopback throws at once, naming the address, instead of leaving the
 * machine. It catches a test server that falls back to /etc/resolv.conf, for instance.
 */
export function isLoopback(host: string | undefined): boolean {
  if (host === undefined || host === '' || host === 'localhost') return true;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  // ::ffff:127.0.0.1 may also be written in hex (::ffff:7f00:1).
  return h === '::1' || /^127\./.test(h) || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(h) || h === '0:0:0:0:0:0:0:1';
}
