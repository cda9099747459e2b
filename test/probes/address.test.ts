import assert from 'node:assert/strict';
import { AddressFilter, PUBLIC_ONLY, parseCidrs } from '../../src/probes';

// The probes' address filter (issue 14): a tenant's DNS must not aim the DNS Check into the
// panel's own network, so every special-purpose address is refused unless the admin allows it.
describe('probe address filter', () => {
  const SPECIAL = [
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.9.9.9',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.0.2.10',
    '192.168.1.1',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.7',
    '203.0.113.9',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '0:0:0:0:0:ffff:c0a8:101',
    '64:ff9b::a00:1',
    '64:ff9b::808:808',
    '2001:db8::1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'febf::1',
    'ff02::1',
    '100::1',
    '2002:7f00:1::1',
  ];
  const PUBLIC = [
    '1.1.1.1',
    '8.8.8.8',
    '93.184.215.14',
    '100.63.255.255',
    '100.128.0.0',
    '172.32.0.1',
    '198.20.0.1',
    '223.255.255.254',
    '2606:4700:4700::1111',
    '2a00:1450:4001::1',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
  ];

  for (const address of SPECIAL) {
    it(`refuses ${address}`, () => assert.equal(PUBLIC_ONLY.permits(address), false));
  }
  for (const address of PUBLIC) {
    it(`permits ${address}`, () => assert.equal(PUBLIC_ONLY.permits(address), true));
  }

  it('refuses anything that is not an IP address', () => {
    for (const text of ['', 'localhost', 'mail.example.org', '127.1', '1.2.3.4.5']) assert.equal(PUBLIC_ONLY.permits(text), false, text);
  });

  it('lets allowed ranges back in, and only those; an IPv4-mapped address by its IPv4 range', () => {
    const filter = new AddressFilter(['127.0.0.0/8', 'fd00::/8', '10.1.0.0/16']);
    for (const address of ['127.0.0.1', '::ffff:127.0.0.1', 'fd12::1', '10.1.2.3', '8.8.8.8']) assert.equal(filter.permits(address), true, address);
    for (const address of ['10.2.0.1', '::1', 'fe80::1', '192.168.0.1']) assert.equal(filter.permits(address), false, address);
  });

  it('reads CIDR lists and names the bad entry', () => {
    assert.deepEqual(parseCidrs(['10.0.0.0/8', '::1', ' fd00::/8 '], 'x'), [
      { network: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { network: '::1', prefix: 128, family: 'ipv6' },
      { network: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
    assert.throws(
      () => parseCidrs(['10.0.0.0/8', '10.0.0.0/40'], 'dnsCheck.allowAddresses'),
      /dnsCheck\.allowAddresses\[1\] must be an IPv4 or IPv6 CIDR range .*"10\.0\.0\.0\/40"/,
    );
    assert.throws(() => parseCidrs('10.0.0.0/8', 'dnsCheck.allowAddresses'), /dnsCheck\.allowAddresses must be an array/);
  });
});
