import assert from 'node:assert/strict';
import knexFactory, { Knex } from 'knex';
import { MtaStsOptions, createMtaSts } from '../../src';

/** Asserts a TypeError whose message names the option, thrown at once (not at the first request). */
function rejects(options: unknown, name: string): void {
  assert.throws(
    () => createMtaSts(options as MtaStsOptions),
    (err: unknown) => {
      assert.ok(err instanceof TypeError, `a TypeError for ${name} (got ${String(err)})`);
      assert.ok(err.message.includes(name), `the message names ${name}: "${err.message}"`);
      return true;
    },
  );
}

describe('createMtaSts options', () => {
  let knex: Knex;
  let base: MtaStsOptions;
  before(() => {
    // Never connects: options are checked without touching the database.
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    base = { knex, mailHostname: 'mail.example.org', authorize: () => true };
  });
  after(() => knex.destroy());

  it('accepts the two required options alone, and every optional one with a good value', () => {
    assert.doesNotThrow(() => createMtaSts({ knex, mailHostname: 'mail.example.org' }));
    assert.doesNotThrow(() =>
      createMtaSts({
        ...base,
        mailHostname: 'Mail.Bücher.Example.',
        domainTable: 'mail_domains',
        domainColumn: 'name',
        domainActiveColumn: null,
        aliasDomains: { table: 'alias_domain', aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: null },
        adminPath: '/admin/mail/mta-sts',
        layout: ({ content }) => content,
        csrf: { secret: 'x'.repeat(32), sessionId: () => 'sid', secureCookie: false },
        migrationsTable: 'plugin_mta_sts_migrations',
        cache: { ttlMs: 0, waitMs: 60_000 },
        database: { timeoutMs: 1000 },
        dns: { servers: ['127.0.0.1:53'], timeoutMs: 500, retries: 1 },
        now: () => new Date(0),
      }),
    );
  });

  it('reports where each router goes, with the adminPath chosen', () => {
    const mtaSts = createMtaSts({ ...base, adminPath: '/admin/mta-sts' });
    assert.deepEqual(
      mtaSts.mounts.map((m) => [m.export, m.path]),
      [
        ['wellKnown', '/'],
        ['admin', '/admin/mta-sts'],
        ['api', '/api/v1/mta-sts'],
        ['openapi', '/api/v1/openapi.json'],
        ['tlsrpt', '/tlsrpt/v1'],
      ],
    );
  });

  it('throws for options that are not an object', () => {
    for (const options of [undefined, null, 'mail.example.org', 42]) {
      assert.throws(() => createMtaSts(options as unknown as MtaStsOptions), TypeError);
    }
  });

  it('throws naming knex when it is missing or not a Knex instance', () => {
    rejects({ mailHostname: 'mail.example.org' }, 'knex');
    rejects({ ...base, knex: undefined }, 'knex');
    rejects({ ...base, knex: {} }, 'knex');
    rejects({ ...base, knex: () => undefined }, 'knex');
    rejects({ ...base, knex: { client: 'mysql2' } }, 'knex');
  });

  it('throws naming mailHostname when it is missing or not a host name', () => {
    for (const bad of [
      undefined,
      '',
      'mail',
      'localhost',
      'https://mail.example.org',
      'mail.example.org/',
      '*.example.org',
      '192.0.2.1',
      'mail example.org',
      'mail..example.org',
      42,
    ]) {
      rejects({ ...base, mailHostname: bad }, 'mailHostname');
    }
  });

  it('throws naming the table or column option for names that are not plain identifiers', () => {
    const bad = ['', 'domain; DROP TABLE domain', 'my-domains', '1domain', 'a'.repeat(65), 'dom`ain', 'schema.domain', 42];
    for (const value of bad) {
      rejects({ ...base, domainTable: value }, 'domainTable');
      rejects({ ...base, domainColumn: value }, 'domainColumn');
      rejects({ ...base, domainActiveColumn: value }, 'domainActiveColumn');
      rejects({ ...base, migrationsTable: value }, 'migrationsTable');
    }
    const alias = { table: 'alias_domain', aliasColumn: 'alias_domain', targetColumn: 'target_domain', activeColumn: 'active' };
    rejects({ ...base, aliasDomains: { ...alias, table: 'x y' } }, 'aliasDomains.table');
    rejects({ ...base, aliasDomains: { ...alias, aliasColumn: undefined } }, 'aliasDomains.aliasColumn');
    rejects({ ...base, aliasDomains: { ...alias, targetColumn: 'a-b' } }, 'aliasDomains.targetColumn');
    rejects({ ...base, aliasDomains: { ...alias, activeColumn: 'act ive' } }, 'aliasDomains.activeColumn');
  });

  it('throws naming adminPath for anything but an absolute path without a trailing slash', () => {
    for (const bad of [
      '',
      '/',
      'mta-sts',
      '/mta-sts/',
      '//mta-sts',
      '/mta sts',
      '/mta-sts?x',
      '/mta-sts#x',
      '/a//b',
      '/:domain',
      '/mta-sts/*',
      '/..',
      '/.',
      '/admin/../mta-sts',
      '/mta-sts/.',
      42,
    ]) {
      rejects({ ...base, adminPath: bad }, 'adminPath');
    }
  });

  it('throws naming csrf.secret for a secret shorter than 32 characters or not a string', () => {
    for (const bad of ['', 'short', 'x'.repeat(31), Number('12345678901234567890123456789012345'), { length: 40 }]) {
      rejects({ ...base, csrf: { secret: bad } }, 'csrf.secret');
    }
  });

  it('throws naming the other csrf options when they have the wrong type', () => {
    rejects({ ...base, csrf: { sessionId: 'sid' } }, 'csrf.sessionId');
    rejects({ ...base, csrf: { secureCookie: 'no' } }, 'csrf.secureCookie');
  });

  it('throws naming cache.ttlMs or cache.waitMs for numbers that are not whole, negative or too large', () => {
    for (const bad of [-1, 1.5, Number.NaN, Infinity, '5000', 3_600_001]) rejects({ ...base, cache: { ttlMs: bad } }, 'cache.ttlMs');
    for (const bad of [-1, 0.5, Number.NaN, '1000', 60_001]) rejects({ ...base, cache: { waitMs: bad } }, 'cache.waitMs');
  });

  it('throws naming database or database.timeoutMs for a deadline that is not a whole number of ms from 1000 to 600000', () => {
    for (const bad of [0, 999, -1, 1.5, Number.NaN, '5000', 600_001]) rejects({ ...base, database: { timeoutMs: bad } }, 'database.timeoutMs');
    rejects({ ...base, database: 5000 }, 'database');
    assert.doesNotThrow(() => createMtaSts({ ...base, database: { timeoutMs: 600_000 } }));
  });

  it('throws naming authorize, layout or now when they are not functions', () => {
    rejects({ ...base, authorize: true }, 'authorize');
    rejects({ ...base, layout: '<html>' }, 'layout');
    rejects({ ...base, now: Date.now() }, 'now');
  });

  it('throws naming the dns or dnsCheck option that is wrong, before any lookup is made', () => {
    rejects({ ...base, dns: 'x' }, 'dns');
    rejects({ ...base, dns: { servers: ['not-an-ip'] } }, 'dns.servers');
    rejects({ ...base, dns: { timeoutMs: 0 } }, 'dns.timeoutMs');
    rejects({ ...base, dnsCheck: { https: { port: 70000 } } }, 'dnsCheck.https.port');
    rejects({ ...base, dnsCheck: { smtp: { enabled: 'yes' } } }, 'dnsCheck.smtp.enabled');
    rejects({ ...base, csrf: 'secret' }, 'csrf');
    rejects({ ...base, cache: [] }, 'cache');
  });

  it('throws naming dnsCheck.allowAddresses or dnsCheck.maxSockets for a bad value, and accepts good ones', () => {
    for (const bad of ['10.0.0.0/8', ['10.0.0.0/33'], ['fd00::/129'], ['localhost'], ['10.0.0.0/8', 7], [''], ['10.0.0.0/x']]) {
      rejects({ ...base, dnsCheck: { allowAddresses: bad } }, 'dnsCheck.allowAddresses');
    }
    for (const bad of [0, -1, 2.5, '32', 10_001]) rejects({ ...base, dnsCheck: { maxSockets: bad } }, 'dnsCheck.maxSockets');
    assert.doesNotThrow(() => createMtaSts({ ...base, dnsCheck: { allowAddresses: ['10.0.0.0/8', 'fd00::/8', '192.168.1.5', '::1/128'], maxSockets: 4 } }));
  });
});
