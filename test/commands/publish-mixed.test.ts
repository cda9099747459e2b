import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { resolvePolicy } from 'mailauth/lib/mta-sts';
import request from 'supertest';
import { askTxt, freePort, startBind, startPdns, type TestBind, type TestPdns } from '../support/dns-primaries';
import { cli, serve } from '../support/standalone';

// Direct and delegated publishing in one panel (RFC 8461 section 8.2 beside section 3.1). The panel's
// primary (BIND, updated by RFC 2136 with TSIG) holds its delegation zone deleg.test and the zone of
// one hosted domain, direct.test. A customer's zone, customer.test, is elsewhere (PowerDNS, which
// the panel cannot update) and holds the two one-time CNAMEs. Without --dns-zones the publisher asks
// its server for the SOA of each `_mta-sts` name: direct.test is found there and published directly,
// customer.test is not and is delegated. BIND answers loopback's recursive queries, forwarding what is
// not its own to PowerDNS, as a sender's resolver would.

const ZONE = 'deleg.test';
const POLICY_HOST = `policy.${ZONE}`;
const TARGET = `customer.test._mta-sts.${ZONE}`;

interface ShowJson {
  id: string;
  publishing: string;
  records: Array<{ type: string; name: string; value: string }>;
}
interface CheckJson {
  results: Array<{ domain: string; checks: Array<{ name: string; code: string; message: string }> }>;
}

describe('mta-sts publish with direct and delegated domains at once (BIND for the panel, PowerDNS for a customer)', function () {
  this.timeout(120_000);
  let dir: string;
  let base: string[];
  let bind: TestBind;
  let pdns: TestPdns;
  let env: NodeJS.ProcessEnv;
  const ids: Record<string, string> = {};
  let resolver: (name: string, type: string) => Promise<string[] | string[][]>;

  const show = async (domain: string, extra: NodeJS.ProcessEnv = {}) => {
    const run = await cli([...base, 'show', domain, '--json'], { env: { ...env, ...extra } });
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as ShowJson;
  };
  const stsTxt = async (domain: string) => {
    const run = await cli([...base, 'check', domain, '--no-probes', '--json'], { env });
    return (JSON.parse(run.stdout) as CheckJson).results[0].checks.find((c) => c.name === 'sts-txt')!;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-mixed-'));
    const file = join(dir, 'panel.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    await knex.schema.createTable('domain', (t) => {
      t.string('domain', 255).primary();
      t.boolean('active').notNullable().defaultTo(true);
    });
    await knex('domain').insert([{ domain: 'direct.test' }, { domain: 'customer.test' }]);
    await knex.destroy();
    base = ['--database', `sqlite:${file}`, '--preset', 'postfixadmin', '--alias-table', 'none', '--mail-hostname', 'mail.direct.test'];
    assert.equal((await cli([...base, 'migrate'])).code, 0);
    for (const domain of ['direct.test', 'customer.test']) {
      const set = await cli([...base, 'set', domain, '--mode', 'testing', '--mx', 'mail.direct.test', '--active', 'yes']);
      assert.equal(set.code, 0, set.stderr);
      ids[domain] = (JSON.parse((await cli([...base, 'show', domain, '--json'])).stdout) as { id: string }).id;
    }
    pdns = await startPdns(['customer.test']);
    // The customer's two CNAMEs, published once in a zone the panel has no key for.
    const cname = (name: string, target: string) => ({
      name: `${name}.`,
      type: 'CNAME',
      ttl: 300,
      changetype: 'REPLACE',
      records: [{ content: `${target}.`, disabled: false }],
    });
    const patched = await fetch(`http://127.0.0.1:${pdns.apiPort}/api/v1/servers/localhost/zones/customer.test.`, {
      method: 'PATCH',
      headers: { 'X-API-Key': pdns.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ rrsets: [cname('_mta-sts.customer.test', TARGET), cname('mta-sts.customer.test', POLICY_HOST)] }),
    });
    assert.equal(patched.status, 204, await patched.text());
    bind = await startBind({ [ZONE]: '', 'direct.test': 'mta-sts IN CNAME mail.direct.test.\n' }, 'hmac-sha256', [], [], undefined, pdns.port);
    env = {
      MTA_STS_DNS_UPDATE: `rfc2136://127.0.0.1:${bind.port}`,
      MTA_STS_TSIG_KEY: bind.tsigKey,
      MTA_STS_DELEGATION_ZONE: ZONE,
      MTA_STS_DELEGATION_POLICY_HOST: POLICY_HOST,
      DNS_SERVERS: `127.0.0.1:${bind.port}`,
      MTA_STS_DNS_NAME_SERVERS: `ns1.${ZONE}=127.0.0.1:${bind.port},ns1.direct.test=127.0.0.1:${bind.port}`,
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

  it('`show` says per domain which mode applies: the TXT id for the direct one, the two one-time CNAMEs for the delegated one', async () => {
    const direct = await show('direct.test');
    assert.equal(direct.publishing, 'direct');
    assert.deepEqual(direct.records[0], { type: 'TXT', name: '_mta-sts.direct.test', value: `v=STSv1; id=${ids['direct.test']}` });
    assert.deepEqual(direct.records[1], { type: 'CNAME', name: 'mta-sts.direct.test', value: 'mail.direct.test' });
    const delegated = await show('customer.test');
    assert.equal(delegated.publishing, 'delegated');
    assert.deepEqual(delegated.records.slice(0, 2), [
      { type: 'CNAME', name: '_mta-sts.customer.test', value: TARGET },
      { type: 'CNAME', name: 'mta-sts.customer.test', value: POLICY_HOST },
    ]);
    const table = await cli([...base, 'show', 'direct.test'], { env });
    assert.match(table.stdout, /dns records\s+published directly in its own zone/);
  });

  it('with --dns-zones naming only the delegation zone, every domain is delegated', async () => {
    assert.equal((await show('direct.test', { MTA_STS_DNS_ZONES: ZONE })).publishing, 'delegated');
  });

  it('when the server cannot say which zones it holds, nothing is written to a guess: exit 1 naming the domains; `show` falls back to delegated', async () => {
    const down = { MTA_STS_DNS_UPDATE: `rfc2136://127.0.0.1:${await freePort()}` };
    const run = await cli([...base, 'publish', '--all', '--dry-run'], { env: { ...env, ...down } });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /customer\.test, direct\.test: whether rfc2136:\/\/127\.0\.0\.1:\d+ updates the zone could not be told now/);
    assert.equal((await show('direct.test', down)).publishing, 'delegated');
  });

  it("publishes the direct domain's TXT in its own zone and the delegated domain's under the panel's zone, in one run", async () => {
    const run = await cli([...base, 'publish', '--all', '--verify-seconds', '5'], { env });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, new RegExp(`^_mta-sts\\.direct\\.test\\s+TXT\\s+-\\s+v=STSv1; id=${ids['direct.test']}\\s+create\\s+applied$`, 'm'));
    assert.match(run.stdout, new RegExp(`^${TARGET.replace(/\./g, '\\.')}\\s+TXT\\s+-\\s+v=STSv1; id=${ids['customer.test']}\\s+create\\s+applied$`, 'm'));
    assert.doesNotMatch(run.stdout, /^direct\.test\._mta-sts/m, 'the direct domain gets nothing under the delegation zone');
    assert.doesNotMatch(run.stdout, /^_mta-sts\.customer\.test/m, "the customer's zone is not touched");
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.direct.test'), [[`v=STSv1; id=${ids['direct.test']}`]]);
    assert.deepEqual(await askTxt(bind.port, TARGET), [[`v=STSv1; id=${ids['customer.test']}`]]);
    assert.deepEqual(await askTxt(bind.port, `direct.test._mta-sts.${ZONE}`), []);
  });

  it('a real MTA-STS client reads both ids, and the DNS Check says ok for each in its own mode', async () => {
    assert.equal(await resolvePolicy('direct.test', { resolver }), ids['direct.test']);
    assert.equal(await resolvePolicy('customer.test', { resolver }), ids['customer.test']);
    for (const domain of ['direct.test', 'customer.test']) {
      const check = await stsTxt(domain);
      assert.equal(check.code, 'sts-txt.ok', `${domain}: ${check.message}`);
    }
  });

  it('the API says per domain which mode applies and what to publish; `serve` publishes a saved change in the right place', async () => {
    const apiKey = 'mixed-modes-serve-test-key-0123456789';
    const server = await serve(base, { ...env, API_KEY: apiKey, MTA_STS_CHECK_INTERVAL_MINUTES: '0', MTA_STS_DNS_REPAIR_MINUTES: '0' });
    try {
      const direct = await request(server.base).get('/api/v1/mta-sts/direct.test/dns').set('X-API-Key', apiKey);
      assert.equal(direct.status, 200, direct.text);
      assert.equal(direct.body.publishing, 'direct');
      assert.deepEqual((direct.body.records as Array<{ type: string; name: string }>).map((r) => `${r.type} ${r.name}`).slice(0, 2), [
        'TXT _mta-sts.direct.test',
        'CNAME mta-sts.direct.test',
      ]);
      const delegated = await request(server.base).get('/api/v1/mta-sts/customer.test').set('X-API-Key', apiKey);
      assert.equal(delegated.body.publishing, 'delegated');
      assert.deepEqual(
        (delegated.body.records as Array<{ type: string; name: string; value: string }>).map((r) => `${r.type} ${r.name} ${r.value}`).slice(0, 2),
        [`CNAME _mta-sts.customer.test ${TARGET}`, `CNAME mta-sts.customer.test ${POLICY_HOST}`],
      );
      const saved = await request(server.base)
        .put('/api/v1/mta-sts/direct.test')
        .set('X-API-Key', apiKey)
        .send({ mode: 'enforce', mx: ['mail.direct.test'], active: true });
      assert.equal(saved.status, 200, saved.text);
      const next = (saved.body as { id: string }).id;
      let seen: string[][] = [];
      for (let i = 0; i < 250 && JSON.stringify(seen) !== JSON.stringify([[`v=STSv1; id=${next}`]]); i++) {
        seen = await askTxt(bind.port, '_mta-sts.direct.test');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(seen, [[`v=STSv1; id=${next}`]], server.output());
      assert.deepEqual(await askTxt(bind.port, `direct.test._mta-sts.${ZONE}`), []);
    } finally {
      await server.stop();
    }
  });
});
