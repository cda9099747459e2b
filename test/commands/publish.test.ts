import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { askTxt, freePort, startBind, startBindSecondary, startPdns, type TestBind, type TestPdns, type TestPrimary } from '../support/dns-primaries';
import request from 'supertest';
import { cli, serve, type Run } from '../support/standalone';

// `mta-sts publish` end to end: the spawned command over a SQLite panel database with saved
// policies, publishing to a real BIND (RFC 2136 with TSIG) and a real PowerDNS (its API), each
// read back by a direct query to the server. example.test has a second name server, a BIND
// secondary kept up to date by NOTIFY: each applied record is verified on both.

describe('mta-sts publish', function () {
  this.timeout(120_000);
  let dir: string;
  let base: string[];
  let bind: TestBind;
  let secondary: TestPrimary;
  let env: NodeJS.ProcessEnv;
  const ids = new Map<string, string>();

  const idOf = async (domain: string): Promise<string> => {
    const shown = await cli([...base, 'show', domain, '--json']);
    return (JSON.parse(shown.stdout) as { id: string }).id;
  };
  /** What the overview and the tab show: the stored state per domain and record (mta_sts_dns_states). */
  const stored = async (domain: string) => {
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
    try {
      const row = (await knex('mta_sts_dns_states').where({ domain }).first()) as { state: string; records: string } | undefined;
      return row === undefined
        ? null
        : { state: row.state, records: (JSON.parse(row.records) as Array<{ name: string; state: string }>).map((r) => [r.name, r.state]) };
    } finally {
      await knex.destroy();
    }
  };
  const noSecret = (run: Run, secret: string) => {
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'the secret is never printed');
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-publish-'));
    const file = join(dir, 'panel.sqlite');
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    await knex.schema.createTable('domain', (t) => {
      t.string('domain', 255).primary();
      t.boolean('active').notNullable().defaultTo(true);
    });
    await knex.schema.createTable('alias_domain', (t) => {
      t.string('alias_domain', 255).primary();
      t.string('target_domain', 255).notNullable();
      t.boolean('active').notNullable().defaultTo(true);
    });
    const fleet = Array.from({ length: 10 }, (_, i) => `d${i}.example.test`);
    await knex('domain').insert(['example.test', 'other.test', 'never.example.test', ...fleet].map((domain) => ({ domain, active: true })));
    await knex.destroy();
    base = ['--database', `sqlite:${file}`, '--preset', 'postfixadmin', '--mail-hostname', 'mail.example.test'];
    assert.equal((await cli([...base, 'migrate'])).code, 0);
    for (const domain of ['example.test', 'other.test', ...fleet]) {
      const set = await cli([...base, 'set', domain, '--mode', 'testing', '--mx', 'mail.example.test', '--active', 'yes']);
      assert.equal(set.code, 0, set.stderr);
      ids.set(domain, await idOf(domain));
    }
    const secondaryPort = await freePort();
    bind = await startBind(
      { 'example.test': '_mta-sts IN TXT "google-site-verification=keep-me"\n@ IN NS ns2.example.test.\nns2 IN A 127.0.0.1\n', 'other.test': '' },
      'hmac-sha256',
      [],
      [secondaryPort],
    );
    secondary = await startBindSecondary(secondaryPort, bind.port, ['example.test']);
    env = {
      MTA_STS_DNS_UPDATE: `rfc2136://127.0.0.1:${bind.port}`,
      MTA_STS_TSIG_KEY: bind.tsigKey,
      // The NS records and their addresses come from the primary; NS records carry no port.
      DNS_SERVERS: `127.0.0.1:${bind.port}`,
      MTA_STS_DNS_NAME_SERVERS: `ns1.example.test=127.0.0.1:${bind.port},ns2.example.test=127.0.0.1:${secondaryPort},ns1.other.test=127.0.0.1:${bind.port}`,
    };
  });
  after(async () => {
    await secondary?.close();
    await bind?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const run = await cli([...base, 'publish', 'example.test', 'other.test', '--dry-run'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NAME\s+TYPE\s+PUBLISHED NOW\s+WANTED\s+ACTION$/m);
    assert.match(run.stdout, new RegExp(`^_mta-sts\\.example\\.test\\s+TXT\\s+-\\s+v=STSv1; id=${ids.get('example.test')}\\s+create$`, 'm'));
    assert.match(run.stdout, new RegExp(`^_mta-sts\\.other\\.test\\s+TXT\\s+-\\s+v=STSv1; id=${ids.get('other.test')}\\s+create$`, 'm'));
    assert.match(run.stderr, /dry run, nothing changed: would create 2, update 0, delete 0 at rfc2136:\/\/127\.0\.0\.1:\d+/);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.example.test'), [['google-site-verification=keep-me']]);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.other.test'), []);
    assert.equal(await stored('example.test'), null, 'a dry run keeps no state');
    noSecret(run, bind.key.secret.toString('base64'));
  });

  it('applies the plan: the server answers the ids, the other TXT record is kept; a second run has nothing to do', async () => {
    const run = await cli([...base, 'publish', '--all'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NAME\s+TYPE\s+PUBLISHED NOW\s+WANTED\s+ACTION\s+RESULT$/m);
    assert.match(run.stdout, /^_mta-sts\.example\.test\s+TXT\s+-\s+v=STSv1; id=\S+\s+create\s+applied$/m);
    assert.doesNotMatch(run.stdout, /never\.example\.test/, 'a domain without a saved policy has nothing to publish');
    assert.match(run.stderr, /create 12, update 0, delete 0 at rfc2136:\/\/127\.0\.0\.1:\d+: 12 applied, 0 failed/);
    // Verified on every authoritative name server: the primary and the secondary for example.test.
    assert.match(run.stdout, /^_mta-sts\.example\.test TXT: published on 2 of 2 name servers$/m);
    assert.match(run.stdout, /^_mta-sts\.d3\.example\.test TXT: published on 2 of 2 name servers$/m);
    assert.match(run.stdout, /^_mta-sts\.other\.test TXT: published on 1 of 1 name servers$/m);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.example.test'), [['google-site-verification=keep-me'], [`v=STSv1; id=${ids.get('example.test')}`]]);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.other.test'), [[`v=STSv1; id=${ids.get('other.test')}`]]);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.d3.example.test'), [[`v=STSv1; id=${ids.get('d3.example.test')}`]]);
    // Kept as `serve` keeps it: verified on every name server, so the overview and the tab say published.
    assert.deepEqual(await stored('example.test'), { state: 'published', records: [['_mta-sts.example.test', 'published']] });
    assert.deepEqual(await stored('d3.example.test'), { state: 'published', records: [['_mta-sts.d3.example.test', 'published']] });
    assert.equal(await stored('never.example.test'), null);
    // The overview (here the API of `mta-sts serve` over the same database, no publisher of its own) shows it.
    const server = await serve(base, { API_KEY: 'publish-test-key-0123456789-abcdef', MTA_STS_CHECK_INTERVAL_MINUTES: '0', DNS_SERVERS: '127.0.0.1:9' });
    try {
      const res = await request(server.base).get('/api/v1/mta-sts/?dns=published&limit=100').set('X-API-Key', 'publish-test-key-0123456789-abcdef');
      assert.equal(res.status, 200, res.text);
      const listed = (res.body as { domains: Array<{ domain: string; dns: { state: string } | null }> }).domains;
      assert.deepEqual(
        listed.filter((d) => d.domain === 'example.test').map((d) => d.dns?.state),
        ['published'],
      );
      assert.equal(listed.length, 12, 'the twelve domains just published');
    } finally {
      await server.stop();
    }
    noSecret(run, bind.key.secret.toString('base64'));

    // --dns-update from the config file this time; the key stays in the environment.
    const config = join(dir, 'publish.json');
    writeFileSync(config, JSON.stringify({ dnsUpdate: env.MTA_STS_DNS_UPDATE }));
    const again = await cli([...base, '--config', config, 'publish', '--all', '--json'], { env: { MTA_STS_TSIG_KEY: bind.tsigKey } });
    assert.equal(again.code, 0, again.stderr);
    const json = JSON.parse(again.stdout) as { records: Array<{ action: string; result?: string }> };
    assert.equal(json.records.length, 12);
    assert.ok(json.records.every((r) => r.action === 'none' && r.result === undefined));
    assert.match(again.stderr, /nothing to do: 12 of 12 records are published as wanted/);
  });

  it('a new id is an update of our string only', async () => {
    assert.equal((await cli([...base, 'set', 'example.test', '--mode', 'enforce'])).code, 0);
    const id = await idOf('example.test');
    const run = await cli([...base, 'publish', 'example.test'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`^_mta-sts\\.example\\.test\\s+TXT\\s+v=STSv1; id=${ids.get('example.test')}\\s+v=STSv1; id=${id}\\s+update\\s+applied$`, 'm'),
    );
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.example.test'), [['google-site-verification=keep-me'], [`v=STSv1; id=${id}`]]);
    assert.deepEqual(await askTxt(secondary.port, '_mta-sts.example.test'), [['google-site-verification=keep-me'], [`v=STSv1; id=${id}`]]);
    ids.set('example.test', id);
  });

  it('--json has the verification per applied record; a name server that lags is exit 1 and named', async () => {
    assert.equal((await cli([...base, 'set', 'example.test', '--mode', 'testing'])).code, 0);
    const id = await idOf('example.test');
    const run = await cli([...base, 'publish', 'example.test', '--json'], { env });
    assert.equal(run.code, 0, run.stderr);
    const [record] = (
      JSON.parse(run.stdout) as { records: Array<{ result: string; verification: { summary: string; published: number; total: number; checkedAt: string } }> }
    ).records;
    assert.equal(record.result, 'applied');
    assert.deepEqual(
      { ...record.verification, checkedAt: undefined },
      { summary: 'published on 2 of 2 name servers', published: 2, total: 2, lagging: [], checkedAt: undefined },
    );
    ids.set('example.test', id);

    // ns2 mapped to a port nothing listens on: it cannot serve the next change.
    assert.equal((await cli([...base, 'set', 'example.test', '--mode', 'enforce'])).code, 0);
    const closed = await freePort();
    const lag = await cli([...base, 'publish', 'example.test', '--verify-seconds', '1'], {
      env: { ...env, MTA_STS_DNS_NAME_SERVERS: `ns1.example.test=127.0.0.1:${bind.port},ns2.example.test=127.0.0.1:${closed}` },
    });
    assert.equal(lag.code, 1, lag.stderr);
    assert.match(
      lag.stdout,
      new RegExp(`^_mta-sts\\.example\\.test TXT: published on 1 of 2 name servers; lagging: ns2\\.example\\.test \\(127\\.0\\.0\\.1:${closed}\\) `, 'm'),
    );
    assert.match(lag.stderr, /1 applied record\(s\) not served by every authoritative name server within 1 s/);
    assert.equal((await stored('example.test'))?.state, 'pending', 'written, not yet on every name server');
    ids.set('example.test', await idOf('example.test'));
  });

  it('a wrong TSIG key: exit 1, one sentence naming the zone and the reason, nothing changed, no secret printed', async () => {
    assert.equal((await cli([...base, 'set', 'other.test', '--mode', 'enforce'])).code, 0);
    const wrong = `hmac-sha256:${bind.key.name}:${Buffer.alloc(32, 9).toString('base64')}`;
    const run = await cli([...base, 'publish', 'other.test'], { env: { ...env, MTA_STS_TSIG_KEY: wrong } });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^_mta-sts\.other\.test TXT: zone other\.test: the server refused the TSIG signature of key "mta-sts-update" \(NOTAUTH, BADSIG\): MTA_STS_TSIG_KEY's secret or algorithm differs from the server's$/m,
    );
    assert.match(run.stdout, /^_mta-sts\.other\.test\s+.*\s+update\s+failed$/m);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.other.test'), [[`v=STSv1; id=${ids.get('other.test')}`]]);
    noSecret(run, Buffer.alloc(32, 9).toString('base64'));
    noSecret(run, bind.key.secret.toString('base64'));
  });

  it('a bad setting is one sentence naming it, exit 2, before anything is read', async () => {
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{ MTA_STS_DNS_UPDATE: undefined }, /^mta-sts: dns-update \(MTA_STS_DNS_UPDATE\) is required/],
      [
        { MTA_STS_DNS_UPDATE: 'ftp://127.0.0.1' },
        /^mta-sts: dns-update \(MTA_STS_DNS_UPDATE\) must be rfc2136:\/\/<server>\[:<port>\], .* got the scheme "ftp:"$/,
      ],
      [{ MTA_STS_DNS_UPDATE: 'rfc2136://user:pw@127.0.0.1' }, /^mta-sts: dns-update \(MTA_STS_DNS_UPDATE\) must not carry a user or password/],
      [{ MTA_STS_TSIG_KEY: undefined }, /^mta-sts: MTA_STS_TSIG_KEY is required by an rfc2136:\/\/ --dns-update/],
      [{ MTA_STS_TSIG_KEY: 'hmac-md5:k:c2VjcmV0c2VjcmV0c2VjcmV0' }, /^mta-sts: MTA_STS_TSIG_KEY names the algorithm "hmac-md5"/],
      [{ MTA_STS_TSIG_KEY: 'hmac-sha256:k:not base64!' }, /^mta-sts: MTA_STS_TSIG_KEY must be <algorithm>:<key name>:<base64 secret>/],
      [{ MTA_STS_DNS_UPDATE: 'pdns+http://127.0.0.1:8081' }, /^mta-sts: MTA_STS_PDNS_API_KEY is required by a pdns\+http:\/\/ --dns-update/],
      [
        { MTA_STS_DNS_UPDATE: 'pdns+http://192.0.2.1:8081', MTA_STS_PDNS_API_KEY: 'k' },
        /^mta-sts: dns-update \(MTA_STS_DNS_UPDATE\) pdns\+http:\/\/ would send MTA_STS_PDNS_API_KEY in clear text to 192\.0\.2\.1: use pdns\+https:\/\//,
      ],
      [
        { MTA_STS_DNS_ZONES: 'example.test,bad zone!' },
        /^mta-sts: dns-zones \(MTA_STS_DNS_ZONES\) must be DNS zone names, comma-separated; "zone!" is not one$/,
      ],
    ];
    for (const [change, expected] of cases) {
      const run = await cli([...base, 'publish', '--all'], { env: { ...env, ...change } });
      assert.equal(run.code, 2, `${JSON.stringify(change)}: ${run.stderr}`);
      assert.match(run.stderr.trim(), expected);
      assert.equal(run.stderr.trim().split('\n').length, 1, 'one sentence');
      assert.equal(run.stdout, '');
      noSecret(run, bind.key.secret.toString('base64'));
    }
    const usage = await cli([...base, 'publish'], { env });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /name at least one domain, or --all/);
  });

  it('stops when more than 30% of the published records would change, until --force', async () => {
    const bulk = await cli([...base, 'bulk', '--domains', Array.from({ length: 10 }, (_, i) => `d${i}.example.test`).join(','), '--mode', 'enforce']);
    assert.equal(bulk.code, 0, bulk.stderr);
    // Ten new ids, and other.test's, which the wrong key left unpublished: 11 of the 12 published records.
    const stopped = await cli([...base, 'publish', '--all'], { env });
    assert.equal(stopped.code, 1);
    assert.match(
      stopped.stderr,
      /stopped: 11 of the 12 records already published would change \(more than 30%\); nothing was changed: check the plan, then run again with --force/,
    );
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.d3.example.test'), [[`v=STSv1; id=${ids.get('d3.example.test')}`]]);
    assert.deepEqual(await stored('d3.example.test'), { state: 'differs', records: [['_mta-sts.d3.example.test', 'differs']] }, 'stopped: the zone differs');
    const forced = await cli([...base, 'publish', '--all', '--force'], { env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.d3.example.test'), [[`v=STSv1; id=${await idOf('d3.example.test')}`]]);
    assert.equal((await stored('d3.example.test'))?.state, 'published');
  });

  it('a retired domain: the none id is published, and the record removed only after the safe-removal date', async () => {
    assert.equal((await cli([...base, 'retire', 'd5.example.test'])).code, 0);
    const retired = await cli([...base, 'publish', 'd5.example.test'], { env });
    assert.equal(retired.code, 0, retired.stderr);
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.d5.example.test'), [[`v=STSv1; id=${await idOf('d5.example.test')}`]]);
    // The retirement as if made 400 days ago: the replaced policy (max_age a year at most) has expired everywhere.
    const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
    try {
      await knex('mta_sts_history')
        .where({ domain: 'd5.example.test' })
        .update({ changed_at: new Date(Date.now() - 400 * 86_400_000).toISOString() });
    } finally {
      await knex.destroy();
    }
    const removed = await cli([...base, 'publish', 'd5.example.test', '--json'], { env });
    assert.equal(removed.code, 0, removed.stderr);
    const plan = JSON.parse(removed.stdout) as { records: Array<{ name: string; action: string; wanted: string | null }> };
    assert.deepEqual(
      plan.records.map((r) => [r.name, r.action, r.wanted]),
      [['_mta-sts.d5.example.test', 'delete', null]],
    );
    assert.deepEqual(await askTxt(bind.port, '_mta-sts.d5.example.test'), []);
  });

  describe('through the PowerDNS API', () => {
    let pdns: TestPdns;
    before(async () => {
      pdns = await startPdns(['example.test', 'other.test']);
    });
    after(async () => {
      await pdns?.close();
    });

    it('publishes, then has nothing to do; a wrong API key is exit 1 and one sentence without the key', async () => {
      const pdnsEnv = {
        MTA_STS_DNS_UPDATE: `pdns+http://127.0.0.1:${pdns.apiPort}`,
        MTA_STS_PDNS_API_KEY: pdns.apiKey,
        DNS_SERVERS: `127.0.0.1:${pdns.port}`,
        MTA_STS_DNS_NAME_SERVERS: `ns1.example.test=127.0.0.1:${pdns.port},ns1.other.test=127.0.0.1:${pdns.port}`,
      };
      const run = await cli([...base, 'publish', 'example.test', 'other.test'], { env: pdnsEnv });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await askTxt(pdns.port, '_mta-sts.example.test'), [[`v=STSv1; id=${await idOf('example.test')}`]]);
      assert.match(run.stdout, /^_mta-sts\.example\.test TXT: published on 1 of 1 name servers$/m);
      const again = await cli([...base, 'publish', 'example.test', 'other.test'], { env: pdnsEnv });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /nothing to do: 2 of 2 records are published as wanted at pdns\+http:\/\/127\.0\.0\.1:\d+/);
      noSecret(run, pdns.apiKey);

      assert.equal((await cli([...base, 'set', 'other.test', '--mode', 'testing'])).code, 0);
      const refused = await cli([...base, 'publish', 'other.test', '--dns-zones', 'other.test'], { env: { ...pdnsEnv, MTA_STS_PDNS_API_KEY: 'wrong-key' } });
      assert.equal(refused.code, 1);
      // The read is refused too: the plan cannot be made for that record, and says so.
      assert.match(refused.stderr, /^_mta-sts\.other\.test TXT: what pdns\+http:\/\/127\.0\.0\.1:\d+ holds could not be read, so it is left as it is$/m);
      noSecret(refused, 'wrong-key');
      noSecret(refused, pdns.apiKey);
    });
  });
});
