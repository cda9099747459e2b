import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { createResolver, parseResolvConf, parseServer, type LookupResult, type RecordType, type ResolverOptions } from '../../src/dns/resolver';
import { startDnsServer, type TestDnsServer, type ZoneRecord } from '../support/dns-server';

const TIMEOUT_MS = 200;

const ZONE: ZoneRecord[] = [
  { name: 'example.org', type: 'A', data: '192.0.2.10' },
  { name: 'example.org', type: 'A', data: '192.0.2.11' },
  { name: 'example.org', type: 'AAAA', data: '2001:db8::10' },
  { name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'MX1.Example.ORG.' } },
  { name: 'example.org', type: 'MX', data: { preference: 20, exchange: 'mx2.example.org' } },
  { name: '_mta-sts.example.org', type: 'TXT', data: ['v=STSv1; ', 'id=20240101T000000'] },
  { name: 'two.example.org', type: 'TXT', data: 'first' },
  { name: 'two.example.org', type: 'TXT', data: 'second' },
  { name: 'utf8.example.org', type: 'TXT', data: 'café' },
  { name: '_25._tcp.mx1.example.org', type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from('ABCDEF0123', 'hex') } },
  { name: 'www.example.org', type: 'CNAME', data: 'example.org' },
  { name: 'hop1.example.org', type: 'CNAME', data: 'hop2.example.org' },
  { name: 'hop2.example.org', type: 'CNAME', data: 'hop3.example.org' },
  { name: 'hop3.example.org', type: 'CNAME', data: 'example.org' },
  { name: 'dangling.example.org', type: 'CNAME', data: 'gone.example.org' },
  { name: 'loop-a.example.org', type: 'CNAME', data: 'loop-b.example.org' },
  { name: 'loop-b.example.org', type: 'CNAME', data: 'loop-a.example.org' },
];

function deadPort(): Promise<number> {
  // A port that was just free and is closed again: queries to it are refused.
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function failure<T extends RecordType>(result: LookupResult<T>): Extract<LookupResult<T>, { ok: false }> {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

function success<T extends RecordType>(result: LookupResult<T>): Extract<LookupResult<T>, { ok: true }> {
  assert.equal(result.ok, true, `expected success, got ${JSON.stringify(result)}`);
  return result;
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  const value = await work;
  return { value, ms: Date.now() - start };
}

describe('DNS resolver', () => {
  let server: TestDnsServer;
  const resolver = (options: ResolverOptions = {}) => createResolver({ servers: [server.address], timeoutMs: TIMEOUT_MS, retries: 0, ...options });

  before(async () => {
    server = await startDnsServer();
  });
  after(() => server.close());
  beforeEach(() => {
    server.setZone(ZONE);
    server.setFault(null);
    server.setDelay(0);
    server.queries.splice(0);
  });

  describe('answers', () => {
    it('returns A and AAAA addresses and names the resolver that answered', async () => {
      const a = success(await resolver().lookup('example.org', 'A'));
      assert.deepEqual(a.records, ['192.0.2.10', '192.0.2.11']);
      assert.equal(a.server, server.address);
      assert.deepEqual(success(await resolver().lookup('example.org', 'AAAA')).records, ['2001:db8::10']);
    });

    it('returns MX hosts lower-cased without the trailing dot', async () => {
      const mx = success(await resolver().lookup('example.org', 'MX'));
      assert.deepEqual(mx.records, [
        { preference: 10, exchange: 'mx1.example.org' },
        { preference: 20, exchange: 'mx2.example.org' },
      ]);
    });

    it('joins the strings of one TXT record without a separator, keeping records apart', async () => {
      const sts = success(await resolver().lookup('_mta-sts.example.org', 'TXT'));
      assert.deepEqual(sts.records, ['v=STSv1; id=20240101T000000']);
      const two = success(await resolver().lookup('two.example.org', 'TXT'));
      assert.deepEqual(two.records, ['first', 'second']);
    });

    it('decodes TXT records as UTF-8', async () => {
      assert.deepEqual(success(await resolver().lookup('utf8.example.org', 'TXT')).records, ['café']);
    });

    it('returns TLSA association data as lower-case hex', async () => {
      const tlsa = success(await resolver().lookup('_25._tcp.mx1.example.org', 'TLSA'));
      assert.deepEqual(tlsa.records, [{ usage: 3, selector: 1, matchingType: 1, data: 'abcdef0123' }]);
    });

    it('treats names case-insensitively and reports them lower-cased without the trailing dot', async () => {
      const a = success(await resolver().lookup('Example.ORG.', 'A'));
      assert.equal(a.name, 'example.org');
      assert.equal(a.records.length, 2);
    });

    it('sends the query with recursion desired over UDP', async () => {
      await resolver().lookup('example.org', 'A');
      assert.deepEqual(server.queries, [{ name: 'example.org', type: 'A', transport: 'udp' }]);
    });
  });

  describe('CNAMEs', () => {
    it('returns the target itself when asked for the CNAME', async () => {
      const cname = success(await resolver().lookup('www.example.org', 'CNAME'));
      assert.deepEqual(cname.records, ['example.org']);
      assert.deepEqual(cname.cnames, []);
    });

    it('follows a CNAME whose target records came in the same answer', async () => {
      const a = success(await resolver().lookup('www.example.org', 'A'));
      assert.deepEqual(a.records, ['192.0.2.10', '192.0.2.11']);
      assert.deepEqual(a.cnames, ['example.org']);
      assert.equal(a.name, 'www.example.org');
      assert.equal(server.queries.length, 1);
    });

    it('asks again for a target the answer did not cover, along the whole chain', async () => {
      const mx = success(await resolver().lookup('hop1.example.org', 'MX'));
      assert.deepEqual(mx.cnames, ['hop2.example.org', 'hop3.example.org', 'example.org']);
      assert.equal(mx.records.length, 2);
      assert.deepEqual(
        server.queries.map((q) => q.name),
        ['hop1.example.org', 'hop2.example.org', 'hop3.example.org'],
      );
    });

    it('stops a CNAME loop with an error instead of querying forever', async () => {
      const loop = failure(await resolver().lookup('loop-a.example.org', 'A'));
      assert.equal(loop.failure, 'error');
      assert.match(loop.message, /CNAME loop/);
      assert.ok(server.queries.length <= 3, `made ${server.queries.length} queries`);
    });

    it('gives up on a chain longer than maxCnameDepth', async () => {
      const long = failure(await resolver({ maxCnameDepth: 2 }).lookup('hop1.example.org', 'A'));
      assert.equal(long.failure, 'error');
      assert.match(long.message, /longer than 2/);
    });

    it('reports NXDOMAIN for the end of the chain when the target does not exist', async () => {
      const gone = failure(await resolver().lookup('dangling.example.org', 'A'));
      assert.equal(gone.failure, 'nxdomain');
      assert.deepEqual(gone.cnames, ['gone.example.org']);
      assert.match(gone.message, /gone\.example\.org .*does not exist \(NXDOMAIN\)/);
    });
  });

  describe('negative answers', () => {
    it('says a name that does not exist is NXDOMAIN', async () => {
      const nx = failure(await resolver().lookup('_mta-sts.nowhere.example.org', 'TXT'));
      assert.equal(nx.failure, 'nxdomain');
      assert.equal(nx.message, '_mta-sts.nowhere.example.org does not exist (NXDOMAIN)');
      assert.equal(nx.server, server.address);
    });

    it('tells an existing name without that record type apart as nodata', async () => {
      const none = failure(await resolver().lookup('_mta-sts.example.org', 'MX'));
      assert.equal(none.failure, 'nodata');
      assert.equal(none.message, '_mta-sts.example.org has no MX records');
    });
  });

  describe('misbehaving resolvers', () => {
    it('reports SERVFAIL naming the resolver and the question', async () => {
      server.setFault('servfail');
      const sf = failure(await resolver().lookup('_mta-sts.example.org', 'TXT'));
      assert.equal(sf.failure, 'servfail');
      assert.equal(sf.message, `resolver ${server.address} answered SERVFAIL for _mta-sts.example.org TXT`);
    });

    it('reports REFUSED naming the resolver', async () => {
      server.setFault('refused');
      const refused = failure(await resolver().lookup('example.org', 'MX'));
      assert.equal(refused.failure, 'refused');
      assert.match(refused.message, new RegExp(`resolver ${server.address} answered REFUSED`));
    });

    it('applies a fault only to the matching question', async () => {
      server.setFault('servfail', { name: '_MTA-STS.example.org', type: 'TXT' });
      assert.equal(failure(await resolver().lookup('_mta-sts.example.org', 'TXT')).failure, 'servfail');
      success(await resolver().lookup('example.org', 'MX'));
    });

    it('times out a silent resolver within timeoutMs x (retries + 1)', async () => {
      server.setFault('drop');
      const { value, ms } = await timed(resolver({ retries: 1 }).lookup('example.org', 'A'));
      const result = failure(value);
      assert.equal(result.failure, 'timeout');
      assert.equal(result.message, `resolver ${server.address} did not answer within 200 ms`);
      assert.equal(server.queries.length, 2, 'one retry');
      assert.ok(ms >= 2 * TIMEOUT_MS - 20, `gave up after only ${ms} ms`);
      assert.ok(ms < 3 * 2 * TIMEOUT_MS, `took ${ms} ms`);
    });

    it('accepts a slow answer that still arrives within the timeout', async () => {
      server.setDelay(TIMEOUT_MS / 4);
      success(await resolver().lookup('example.org', 'A'));
    });

    it('reports undecodable replies as malformed rather than as a timeout', async () => {
      server.setFault('garbage');
      const bad = failure(await resolver().lookup('example.org', 'A'));
      assert.equal(bad.failure, 'malformed');
      assert.equal(bad.message, `resolver ${server.address} sent an answer that could not be decoded`);
    });

    it('ignores a reply with the wrong id, so the query times out', async () => {
      server.setFault('wrong-id');
      const result = failure(await resolver().lookup('example.org', 'A'));
      assert.equal(result.failure, 'timeout');
      assert.equal(server.queries.length, 1, 'the server did answer');
    });

    it('ignores a reply to a different question, so the query times out', async () => {
      server.setFault('wrong-question');
      assert.equal(failure(await resolver().lookup('example.org', 'A')).failure, 'timeout');
    });

    it('repeats a truncated query over TCP and returns the full answer', async () => {
      server.setFault('truncate');
      const sts = success(await resolver().lookup('_mta-sts.example.org', 'TXT'));
      assert.deepEqual(sts.records, ['v=STSv1; id=20240101T000000']);
      assert.deepEqual(
        server.queries.map((q) => q.transport),
        ['udp', 'tcp'],
      );
    });

    it('falls over to the next resolver when the first port is closed', async () => {
      const dead = `127.0.0.1:${await deadPort()}`;
      const { value, ms } = await timed(resolver({ servers: [dead, server.address], retries: 1 }).lookup('example.org', 'A'));
      assert.equal(success(value).server, server.address);
      assert.ok(ms < 2 * 2 * TIMEOUT_MS, `took ${ms} ms`);
    });

    it('reports the last resolver tried when every one fails', async () => {
      const dead = `127.0.0.1:${await deadPort()}`;
      server.setFault('servfail');
      const result = failure(await resolver({ servers: [server.address, dead] }).lookup('example.org', 'A'));
      assert.equal(result.failure, 'error');
      assert.equal(result.server, dead);
      assert.match(result.message, new RegExp(`resolver ${dead} could not be queried`));
    });

    it('falls over to the next resolver when the first never answers', async () => {
      const second = await startDnsServer();
      try {
        second.setZone(ZONE);
        server.setFault('drop');
        const { value, ms } = await timed(resolver({ servers: [server.address, second.address] }).lookup('example.org', 'MX'));
        assert.equal(success(value).server, second.address);
        assert.ok(ms < 3 * 2 * TIMEOUT_MS, `took ${ms} ms`);
      } finally {
        await second.close();
      }
    });

    it('never throws for a name that cannot be queried', async () => {
      const result = failure(await resolver().lookup('a..b', 'A'));
      assert.equal(result.failure, 'error');
      assert.match(result.message, /not a valid domain name/);
      assert.equal(server.queries.length, 0);
    });
  });

  describe('options', () => {
    it('rejects a server that is not an IP address, naming its position', () => {
      assert.throws(() => createResolver({ servers: ['127.0.0.1', 'abc'] }), {
        name: 'TypeError',
        message: 'dns.servers[1]: "abc" is not an IP address or IP:port',
      });
      assert.throws(() => createResolver({ servers: [] }), { name: 'TypeError', message: /^dns\.servers:/ });
    });

    it('rejects out-of-range timeoutMs, retries and maxCnameDepth, naming the option', () => {
      for (const timeoutMs of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => createResolver({ servers: ['127.0.0.1'], timeoutMs }), {
          name: 'TypeError',
          message: /^dns\.timeoutMs: must be a positive integer/,
        });
      }
      for (const retries of [-1, 6, 0.5]) {
        assert.throws(() => createResolver({ servers: ['127.0.0.1'], retries }), {
          name: 'TypeError',
          message: /^dns\.retries: must be an integer from 0 to 5/,
        });
      }
      for (const maxCnameDepth of [0, 17]) {
        assert.throws(() => createResolver({ servers: ['127.0.0.1'], maxCnameDepth }), {
          name: 'TypeError',
          message: /^dns\.maxCnameDepth: must be an integer from 1 to 16/,
        });
      }
    });

    it('uses 2 s timeout and the system resolvers by default', () => {
      const r = createResolver();
      assert.equal(r.timeoutMs, 2000);
      assert.ok(r.servers.length > 0);
      for (const label of r.servers) parseServer(label);
    });

    it('exposes the servers in their label form', () => {
      assert.deepEqual(createResolver({ servers: ['10.0.0.1', '::1', '[fe80::1]:5353'] }).servers, ['10.0.0.1:53', '[::1]:53', '[fe80::1]:5353']);
    });
  });

  describe('parseServer', () => {
    it('reads IPv4 with and without a port', () => {
      assert.deepEqual(parseServer('192.0.2.1'), { host: '192.0.2.1', port: 53, label: '192.0.2.1:53' });
      assert.deepEqual(parseServer('192.0.2.1:5353'), { host: '192.0.2.1', port: 5353, label: '192.0.2.1:5353' });
    });

    it('reads a bare IPv6 literal as port 53 and a bracketed one with a port', () => {
      assert.deepEqual(parseServer('2001:db8::53'), { host: '2001:db8::53', port: 53, label: '[2001:db8::53]:53' });
      assert.deepEqual(parseServer('[::1]:5353'), { host: '::1', port: 5353, label: '[::1]:5353' });
      assert.deepEqual(parseServer('[::1]'), { host: '::1', port: 53, label: '[::1]:53' });
    });

    it('rejects host names, bad ports and half-bracketed addresses with a TypeError', () => {
      for (const spec of ['dns.example.org', '192.0.2.1:', '[::1', '::1]:53', '[192.0.2.1]:53', '']) {
        assert.throws(() => parseServer(spec), { name: 'TypeError', message: /is not an IP address or IP:port/ }, spec);
      }
      for (const spec of ['192.0.2.1:0', '192.0.2.1:70000', '[::1]:65536']) {
        assert.throws(() => parseServer(spec), { name: 'TypeError', message: /outside 1-65535/ }, spec);
      }
    });
  });

  describe('parseResolvConf', () => {
    it('lists nameserver lines and ignores comments, other directives and junk', () => {
      const conf = [
        '# generated by resolvconf',
        'search example.org',
        'nameserver 192.0.2.53',
        '  nameserver   2001:db8::53  # secondary',
        ';nameserver 192.0.2.99',
        'nameserver not-an-ip',
        'options edns0 trust-ad',
        'nameserver 198.51.100.1;comment',
      ].join('\n');
      assert.deepEqual(parseResolvConf(conf), ['192.0.2.53', '2001:db8::53', '198.51.100.1']);
    });

    it('returns an empty list when there is no nameserver line', () => {
      assert.deepEqual(parseResolvConf('search example.org\r\n'), []);
    });
  });
});
