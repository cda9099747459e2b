import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { getPolicy, resolvePolicy } from 'mailauth/lib/mta-sts';
import { askTxt, startBind, startPdns, type TestBind, type TestPdns } from '../support/dns-primaries';
import request from 'supertest';
import { cli, serve } from '../support/standalone';

// CNAME delegation (RFC 8461 section 8.2) end to end. The customer's zone (example.test, on BIND)
// holds the two one-time CNAMEs and is locked: the panel cannot update it. The panel's zone
// (deleg.test, on PowerDNS) is where `mta-sts publish` writes each domain's id. BIND also answers
// recursive queries from loopback, forwarding what is not its own to PowerDNS, as a sender's
// resolver would: a real MTA-STS client, mailauth's, then reads the id through the CNAME.

const ZONE = 'deleg.test';
const POLICY_HOST = `policy.${ZONE}`;
const TARGET = `example.test._mta-sts.${ZONE}`;

interface CheckJson {
  results: Array<{ domain: string; checks: Array<{ name: string; code: string; status: string; message: string }> }>;
}

describe('mta-sts publish with CNAME delegation (BIND for the customer, PowerDNS for the panel, mailauth as the sender)', function () {
  this.timeout(120_000);
  let dir: string;
  let base: string[];
  let bind: TestBind;
  let pdns: TestPdns;
  let env: NodeJS.ProcessEnv;
  let id: string;
  let resolver: (name: string, type: string) => Promise<string[] | string[][]>;

  const stsTxt = async (domain: string) => {
    const run = await cli([...base, 'check', domain, '--no-probes', '--json'], { env });
    const [result] = (JSON.parse(run.stdout) as CheckJson).results;
    return result.checks.find((c) => c.name === 'sts-txt')!;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-delegation-'));
    const file = join(dir, 'panel.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    await knex.schema.createTable('domain', (t) => {
      t.string('domain', 255).primary();
      t.boolean('active').notNullable().defaultTo(true);
    });
    await knex('domain').insert([{ domain: 'example.test' }, { domain: 'other.test' }]);
    await knex.destroy();
    base = ['--database', `sqlite:${file}`, '--preset', 'postfixadmin', '--alias-table', 'none', '--mail-hostname', 'mail.example.test'];
    assert.equal((await cli([...base, 'migrate'])).code, 0);
    for (const domain of ['example.test', 'other.test']) {
      const set = await cli([...base, 'set', domain, '--mode', 'testing', '--mx', 'mail.example.test', '--active', 'yes']);
      assert.equal(set.code, 0, set.stderr);
    }
    id = (JSON.parse((await cli([...base, 'show', 'example.test', '--json'])).stdout) as { id: string }).id;
    pdns = await startPdns([ZONE]);
    // The customer published the two CNAMEs once; other.test has not (yet). Both zones are locked.
    bind = await startBind(
      { 'example.test': `_mta-sts IN CNAME ${TARGET}.\nmta-sts IN CNAME ${POLICY_HOST}.\n`, 'other.test': '' },
      'hmac-sha256',
      ['example.test', 'other.test'],
      [],
      undefined,
      pdns.port,
    );
    env = {
      MTA_STS_DNS_UPDATE: `pdns+http://127.0.0.1:${pdns.apiPort}`,
      MTA_STS_PDNS_API_KEY: pdns.apiKey,
      MTA_STS_DELEGATION_ZONE: ZONE,
      MTA_STS_DELEGATION_POLICY_HOST: POLICY_HOST,
      DNS_SERVERS: `127.0.0.1:${bind.port}`,
      MTA_STS_DNS_NAME_SERVERS: `ns1.${ZONE}=127.0.0.1:${pdns.port}`,
    };
    const nodeResolver = new dns.Resolver({ timeout: 2000, tries: 1 });
    nodeResolver.setServers([`127.0.0.1:${bind.port}`]);
    resolver = (name, type) => nodeResolver.resolve(name, type) as Promise<string[] | string[][]>;
  });
  after(async () => {
    await bind?.close();
    await pdns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('`show` lists the two one-time CNAMEs instead of the TXT id', async () => {
    const run = await cli([...base, 'show', 'example.test'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^_mta-sts\\.example\\.test\\. IN CNAME ${TARGET.replace(/\./g, '\\.')}\\.$`, 'm'));
    assert.match(run.stdout, /^mta-sts\.example\.test\. IN CNAME policy\.deleg\.test\.$/m);
    assert.doesNotMatch(run.stdout, /v=STSv1/);
  });

  it("before publishing, the DNS Check names the panel's missing TXT, and the sender finds no policy", async () => {
    const check = await stsTxt('example.test');
    assert.equal(check.code, 'sts-txt.delegation-txt-missing', check.message);
    assert.match(check.message, /is in place, but example\.test\._mta-sts\.deleg\.test holds no MTA-STS record/);
    assert.equal(await resolvePolicy('example.test', { resolver }), false);
  });

  it('publishes the TXT id under the delegation zone only, verified on its name server', async () => {
    const run = await cli([...base, 'publish', 'example.test', '--verify-seconds', '5'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^${TARGET.replace(/\./g, '\\.')}\\s+TXT\\s+-\\s+v=STSv1; id=${id}\\s+create\\s+applied$`, 'm'));
    assert.doesNotMatch(run.stdout, /^_mta-sts\.example\.test/m, "no name in the customer's zone is planned");
    assert.match(run.stdout, /published on 1 of 1 name servers/);
    assert.deepEqual(await askTxt(pdns.port, TARGET), [[`v=STSv1; id=${id}`]]);
  });

  it("a real MTA-STS client (mailauth) resolves the id through the customer's CNAME", async () => {
    assert.equal(await resolvePolicy('example.test', { resolver }), id);
    // A sender holding this policy renews it without fetching again: the id it reads is the one it holds.
    const known = { id, mode: 'testing' as const, mx: ['mail.example.test'], maxAge: 86400 };
    const renewed = await getPolicy('example.test', known, { resolver });
    assert.equal(renewed.status, 'renewed');
    assert.equal(renewed.policy.id, id);
  });

  it("the DNS Check then says ok for the delegated record, and names the customer's CNAME where it is missing", async () => {
    const ok = await stsTxt('example.test');
    assert.equal(ok.code, 'sts-txt.ok', ok.message);
    const missing = await stsTxt('other.test');
    assert.equal(missing.code, 'sts-txt.delegation-cname-missing', missing.message);
    assert.match(missing.message, /publish _mta-sts\.other\.test CNAME other\.test\._mta-sts\.deleg\.test once/);
  });

  it("`mta-sts serve` with the delegation publishes a saved change under the panel's zone, which the sender reads through the CNAME", async () => {
    const apiKey = 'delegation-serve-test-key-0123456789';
    const server = await serve(base, { ...env, API_KEY: apiKey, MTA_STS_CHECK_INTERVAL_MINUTES: '0', MTA_STS_DNS_REPAIR_MINUTES: '0', LOG_LEVEL: 'info' });
    try {
      const res = await request(server.base)
        .put('/api/v1/mta-sts/example.test')
        .set('X-API-Key', apiKey)
        .send({ mode: 'enforce', mx: ['mail.example.test'], active: true });
      assert.equal(res.status, 200, res.text);
      const next = (res.body as { id: string }).id;
      assert.notEqual(next, id);
      // The server publishes within a second or two of the save: polled, not timed.
      let seen: string | false = false;
      for (let i = 0; i < 250 && seen !== next; i++) {
        seen = await resolvePolicy('example.test', { resolver });
        if (seen !== next) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(seen, next, server.output());
      assert.deepEqual(await askTxt(pdns.port, TARGET), [[`v=STSv1; id=${next}`]]);
      const line = new RegExp(`DNS record published: ${TARGET.replace(/\./g, '\\.')} TXT`);
      // The log is written asynchronously: polled a few seconds at most.
      for (let i = 0; i < 250 && !line.test(server.output()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.match(server.output(), line);
    } finally {
      await server.stop();
    }
  });

  it('a delegation zone without its policy host is one sentence naming the setting, exit 2', async () => {
    const run = await cli([...base, 'show', 'example.test'], { env: { MTA_STS_DELEGATION_ZONE: ZONE } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /delegation-policy-host \(MTA_STS_DELEGATION_POLICY_HOST\) is required with --delegation-zone/);
  });
});
