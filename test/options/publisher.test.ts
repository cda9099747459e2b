import assert from 'node:assert/strict';
import knexFactory, { Knex } from 'knex';
import { MtaStsOptions, createMtaSts } from '../../src';

// The `dnsPublisher` option: the URL --dns-update takes with its secret in a field of its own, or a
// provider object; refused at createMtaSts time with a TypeError naming the field, never the secret.

const SECRET = Buffer.alloc(32, 5).toString('base64');

describe('createMtaSts options: dnsPublisher', () => {
  let knex: Knex;
  let base: MtaStsOptions;
  before(() => {
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    base = { knex, mailHostname: 'mail.example.org' };
  });
  after(() => knex.destroy());

  const refused = (dnsPublisher: unknown, expected: RegExp) => {
    assert.throws(
      () => createMtaSts({ ...base, dnsPublisher } as MtaStsOptions),
      (err: unknown) => {
        assert.ok(err instanceof TypeError, String(err));
        assert.match(err.message, expected);
        assert.ok(!err.message.includes(SECRET) && !err.message.includes('pdns-secret'), 'no secret in the message');
        return true;
      },
    );
  };

  it('accepts the URL with its secret, and a provider object, directly or as { provider }', () => {
    const provider = { read: async () => [], replace: async () => undefined };
    assert.doesNotThrow(() => createMtaSts({ ...base, dnsPublisher: { url: 'rfc2136://192.0.2.53', tsigKey: `hmac-sha256:mta-sts-update:${SECRET}` } }));
    assert.doesNotThrow(() =>
      createMtaSts({ ...base, dnsPublisher: { url: 'pdns+https://dns.example.net', pdnsApiKey: 'pdns-secret', zones: ['example.org'] } }),
    );
    assert.doesNotThrow(() => createMtaSts({ ...base, dnsPublisher: provider }));
    assert.doesNotThrow(() => createMtaSts({ ...base, dnsPublisher: { provider, nameServers: { 'ns1.example.org': '127.0.0.1:5353' } } }));
  });

  it('refuses what cannot publish, naming the field and the rule', () => {
    refused('rfc2136://192.0.2.53', /^options\.dnsPublisher must be \{ url, tsigKey \} or \{ url, pdnsApiKey \}/);
    refused({ url: 'rfc2136://192.0.2.53' }, /^options\.dnsPublisher\.tsigKey is required by an rfc2136:\/\/ url/);
    refused({ url: 'rfc2136://192.0.2.53', tsigKey: `hmac-md5:k:${SECRET}` }, /^options\.dnsPublisher\.tsigKey names the algorithm "hmac-md5"/);
    refused({ url: `rfc2136://k:${SECRET}@192.0.2.53` }, /^options\.dnsPublisher\.url must not carry a user or password/);
    refused(
      { url: 'ftp://192.0.2.53', tsigKey: `hmac-sha256:k:${SECRET}` },
      /^options\.dnsPublisher\.url must be rfc2136:\/\/<server>\[:<port>\].*got the scheme "ftp:"/,
    );
    refused(
      { url: 'pdns+http://192.0.2.1:8081', pdnsApiKey: 'pdns-secret' },
      /^options\.dnsPublisher\.url pdns\+http:\/\/ would send options\.dnsPublisher\.pdnsApiKey in clear text/,
    );
    refused({ url: 'pdns+https://dns.example.net', pdnsApiKey: 'pdns-secret', zones: ['bad zone!'] }, /^options\.dnsPublisher\.zones must be DNS zone names/);
    refused({ provider: { read: async () => [] } }, /^options\.dnsPublisher\.provider must be an object with read\(name, type\) and replace/);
    refused({ read: async () => [], replace: async () => undefined, batch: 'yes' }, /^options\.dnsPublisher\.batch must be a function/);
    refused({ url: 'rfc2136://192.0.2.53', tsigKey: `hmac-sha256:k:${SECRET}`, provider: { read() {}, replace() {} } }, /give url or provider, one of them/);
    refused({ url: 'rfc2136://192.0.2.53', tsigKey: `hmac-sha256:k:${SECRET}`, apiKey: 'x' }, /^options\.dnsPublisher\.apiKey is not a known field/);
    refused(
      { provider: { read() {}, replace() {} }, nameServers: { 'ns1.example.org': 'not an address' } },
      /^options\.dnsPublisher\.nameServers must be <name server>=<ip>\[:<port>\]/,
    );
  });
});

describe('createMtaSts options: delegation', () => {
  let knex: Knex;
  before(() => {
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  });
  after(() => knex.destroy());
  const create = (delegation: unknown) => () => createMtaSts({ knex, mailHostname: 'mail.example.org', delegation } as MtaStsOptions);

  it('accepts { zone, policyHost }', () => {
    assert.doesNotThrow(create({ zone: 'mta-sts.panel.example.', policyHost: 'policy.panel.example' }));
  });

  it('refuses anything else with a TypeError naming the field and the rule', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['mta-sts.panel.example', /^options\.delegation must be an object \{ zone, policyHost \}$/],
      [{ zone: 'mta-sts.panel.example' }, /^options\.delegation\.policyHost must be a DNS name$/],
      [
        { zone: 'bad zone', policyHost: 'policy.panel.example' },
        /^options\.delegation\.zone must be a DNS zone name such as mta-sts\.panel\.example, got "bad zone"$/,
      ],
      [{ zone: 'mta-sts.panel.example', policyHost: 'policy_host.example' }, /^options\.delegation\.policyHost must be a host name/],
      [{ zone: 'mta-sts.panel.example', policyHost: 'policy.panel.example', ttl: 5 }, /^options\.delegation\.ttl is not a known field \(zone, policyHost\)$/],
    ];
    for (const [value, expected] of cases)
      assert.throws(create(value), (err: unknown) => err instanceof TypeError && expected.test(err.message), String(expected));
  });
});
