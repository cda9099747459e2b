import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import knexFactory from 'knex';
import { applyPlan, managedRecords, readPlan, type DnsPublisher } from '../../src/publish';
import { PublishError } from '../../src/publish/contract';
import { powerDnsPublisher } from '../../src/publish/powerdns';
import { rfc2136Publisher } from '../../src/publish/rfc2136';
import { askTxt, exchangeTcp, startBind, startPdns } from '../support/dns-primaries';
import { cli } from '../support/standalone';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

// One conformance suite for every provider and server pair the product ships: RFC 2136 with TSIG
// to BIND, RFC 2136 with TSIG to PowerDNS (dnsupdate on, the key in its database, the zone's
// TSIG-ALLOW-DNSUPDATE set), and the PowerDNS HTTP API to PowerDNS. Each case does the same thing
// against each pair and reads the outcome back with DNS queries to the server itself. The dry run
// and the 30% brake go through the real `mta-sts publish` command over a SQLite panel database.

const ZONE = 'conf.test';
const FOREIGN = 'google-site-verification=keep-me';
const FLEET = Array.from({ length: 10 }, (_, i) => `d${i}.${ZONE}`);

/** A running server of one pair, and how to reach it through the pair's provider. */
interface Running {
  /** The DNS port the test asks. */
  dnsPort: number;
  /** The port the provider sends its changes to (the DNS port, or the API's). */
  updatePort: number;
  /** The pair's provider at `port` (a proxy in front of the server, or the server itself), with the right key or a wrong one. */
  publisher(port: number, key?: 'wrong'): DnsPublisher;
  /** The secrets that must never appear in a sentence: the right one and the wrong one. */
  secrets: string[];
  /** `mta-sts publish`'s environment for this pair. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

interface Pair {
  title: string;
  start(): Promise<Running>;
}

const WRONG_SECRET = Buffer.alloc(32, 7);

const pairs: Pair[] = [
  {
    title: 'RFC 2136 with TSIG -> BIND',
    async start() {
      const bind = await startBind({ [ZONE]: `_mta-sts IN TXT "${FOREIGN}"\n` });
      return {
        dnsPort: bind.port,
        updatePort: bind.port,
        publisher: (port, key) =>
          rfc2136Publisher({
            host: '127.0.0.1',
            port,
            key: key === 'wrong' ? { ...bind.key, secret: WRONG_SECRET } : bind.key,
            zones: [ZONE],
            timeoutMs: 2000,
          }),
        secrets: [bind.key.secret.toString('base64'), WRONG_SECRET.toString('base64')],
        env: { MTA_STS_DNS_UPDATE: `rfc2136://127.0.0.1:${bind.port}`, MTA_STS_TSIG_KEY: bind.tsigKey, MTA_STS_DNS_VERIFY_SECONDS: '0' },
        close: () => bind.close(),
      };
    },
  },
  {
    title: 'RFC 2136 with TSIG -> PowerDNS (dnsupdate)',
    async start() {
      const pdns = await startPdns([ZONE], { dnsUpdate: true, records: { [ZONE]: [['_mta-sts', 'TXT', `"${FOREIGN}"`]] } });
      const key = pdns.key!;
      return {
        dnsPort: pdns.port,
        updatePort: pdns.port,
        publisher: (port, which) =>
          rfc2136Publisher({ host: '127.0.0.1', port, key: which === 'wrong' ? { ...key, secret: WRONG_SECRET } : key, zones: [ZONE], timeoutMs: 2000 }),
        secrets: [key.secret.toString('base64'), WRONG_SECRET.toString('base64'), pdns.apiKey],
        env: { MTA_STS_DNS_UPDATE: `rfc2136://127.0.0.1:${pdns.port}`, MTA_STS_TSIG_KEY: pdns.tsigKey, MTA_STS_DNS_VERIFY_SECONDS: '0' },
        close: () => pdns.close(),
      };
    },
  },
  {
    title: 'PowerDNS HTTP API -> PowerDNS',
    async start() {
      const pdns = await startPdns([ZONE], { records: { [ZONE]: [['_mta-sts', 'TXT', `"${FOREIGN}"`]] } });
      return {
        dnsPort: pdns.port,
        updatePort: pdns.apiPort,
        publisher: (port, key) =>
          powerDnsPublisher({ baseUrl: `http://127.0.0.1:${port}`, apiKey: key === 'wrong' ? 'not-the-api-key' : pdns.apiKey, zones: [ZONE], timeoutMs: 2000 }),
        secrets: [pdns.apiKey, 'not-the-api-key'],
        env: { MTA_STS_DNS_UPDATE: `pdns+http://127.0.0.1:${pdns.apiPort}`, MTA_STS_PDNS_API_KEY: pdns.apiKey, MTA_STS_DNS_VERIFY_SECONDS: '0' },
        close: () => pdns.close(),
      };
    },
  },
];

describe('publish: one conformance suite for every provider and server', function () {
  this.timeout(120_000);
  let dir: string;
  let base: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mta-sts-conformance-'));
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
    await knex('domain').insert(FLEET.map((domain) => ({ domain, active: true })));
    await knex.destroy();
    base = ['--database', `sqlite:${file}`, '--preset', 'postfixadmin', '--mail-hostname', `mail.${ZONE}`];
    assert.equal((await cli([...base, 'migrate'])).code, 0);
    const saved = await cli([...base, 'bulk', '--domains', FLEET.join(','), '--mode', 'testing', '--mx', `mail.${ZONE}`, '--active', 'yes']);
    assert.equal(saved.code, 0, saved.stderr);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  pairs.forEach((pair, index) => {
    describe(pair.title, () => {
      let server: Running;
      const txt = async (name: string) => (await askTxt(server.dnsPort, name)).map((parts) => parts.join(''));
      const publish = async (domain: string, servedId: string | null, tlsRpt: string | null = null, publisher = server.publisher(server.updatePort)) => {
        const plan = await readPlan(publisher, managedRecords({ domain, servedId, tlsRpt }));
        return applyPlan(publisher, plan, { attempts: 1 });
      };

      before(async () => {
        server = await pair.start();
      });
      after(async () => {
        await server?.close();
      });

      it('sets the id, read back from the server itself, and keeps the foreign TXT string at the name', async () => {
        const [outcome] = await publish(ZONE, 'conf1');
        assert.equal(outcome.result, 'applied', outcome.error);
        assert.deepEqual((await txt(`_mta-sts.${ZONE}`)).sort(), [FOREIGN, 'v=STSv1; id=conf1']);
        // A new id replaces ours only; the provider reads back what the server answers.
        const [again] = await publish(ZONE, 'conf2');
        assert.equal(again.record.action, 'update');
        assert.deepEqual((await txt(`_mta-sts.${ZONE}`)).sort(), [FOREIGN, 'v=STSv1; id=conf2']);
        assert.deepEqual(((await server.publisher(server.updatePort).read(`_mta-sts.${ZONE}`, 'TXT')) as string[]).sort(), [FOREIGN, 'v=STSv1; id=conf2']);
        const [none] = await publish(ZONE, 'conf2');
        assert.equal(none.record.action, 'none', 'a second run has nothing to do');
      });

      it('splits a TXT string longer than 255 bytes into character-strings, joined again when read', async () => {
        const rua = `v=TLSRPTv1; rua=${Array.from({ length: 6 }, (_, i) => `mailto:tls-reports-${i}@reports.a-rather-long-domain-name.example`).join(',')}`;
        assert.ok(Buffer.byteLength(rua) > 255);
        const outcomes = await publish(`long.${ZONE}`, 'long1', rua);
        assert.deepEqual(
          outcomes.map((o) => o.result),
          ['applied', 'applied'],
        );
        const [parts] = await askTxt(server.dnsPort, `_smtp._tls.long.${ZONE}`);
        assert.ok(parts.length >= 2 && parts.every((part) => Buffer.byteLength(part) <= 255), 'several character-strings of 255 bytes at most');
        assert.equal(parts.join(''), rua);
        assert.deepEqual(await server.publisher(server.updatePort).read(`_smtp._tls.long.${ZONE}`, 'TXT'), [rua]);
        const [none] = await publish(`long.${ZONE}`, 'long1', rua).then((o) => o.slice(1));
        assert.equal(none.record.action, 'none', 'the joined string equals the one wanted');
      });

      it('a wrong key is refused: one sentence naming the zone, no secret in it, nothing changed', async () => {
        const before = await txt(`_mta-sts.${ZONE}`);
        const err = await server
          .publisher(server.updatePort, 'wrong')
          .replace(`_mta-sts.${ZONE}`, 'TXT', 300, ['v=STSv1; id=forged'])
          .then(
            () => assert.fail('the update was accepted'),
            (e: unknown) => e,
          );
        assert.ok(err instanceof PublishError, String(err));
        assert.equal(err.transient, false, 'a wrong key is not retried');
        assert.match(err.message, /^zone conf\.test: [^\n]+$/);
        assert.match(err.message, /TSIG|key/);
        for (const secret of server.secrets) assert.ok(!err.message.includes(secret), 'no secret in the sentence');
        assert.deepEqual(await txt(`_mta-sts.${ZONE}`), before);
        // RFC 2136: an update without any signature is refused too (PowerDNS takes one from an
        // allowed address unless the zone's TSIG-ALLOW-DNSUPDATE names a key).
        if (server.updatePort === server.dnsPort) {
          const unsigned = dnsPacket.encode({
            id: 77,
            type: 'query',
            flags: 5 << 11,
            questions: [{ name: ZONE, type: 'SOA', class: 'IN' }],
            authorities: [{ name: `_mta-sts.${ZONE}`, type: 'TXT', class: 'IN', ttl: 300, data: ['v=STSv1; id=unsigned'] }],
          });
          const answer = dnsPacket.decode(await exchangeTcp(server.dnsPort, unsigned)) as dnsPacket.DecodedPacket & { rcode?: string };
          assert.equal(answer.rcode, 'REFUSED');
          assert.deepEqual(await txt(`_mta-sts.${ZONE}`), before);
        }
      });

      it('a server that is down fails as a transient sentence naming the zone, and a change is applied once it is up again (retry)', async () => {
        const proxy: TcpProxy = await startTcpProxy({ host: '127.0.0.1', port: server.updatePort });
        try {
          const publisher = server.publisher(proxy.port);
          const plan = await readPlan(publisher, managedRecords({ domain: `retry.${ZONE}`, servedId: 'retry1', tlsRpt: null }));
          assert.equal(plan[0].action, 'create');
          proxy.cut('reset');
          const [down] = await applyPlan(publisher, plan, { attempts: 2, backoffMs: 50 });
          assert.equal(down.result, 'failed');
          assert.match(down.error ?? '', /^zone conf\.test: [^\n]+$/);
          assert.deepEqual(await txt(`_mta-sts.retry.${ZONE}`), []);
          // Up again during the pause between two attempts: the retry applies the change.
          const applying = applyPlan(publisher, plan, { attempts: 4, backoffMs: 300 });
          setTimeout(() => proxy.restore(), 400);
          const [up] = await applying;
          assert.equal(up.result, 'applied', up.error);
          assert.deepEqual(await txt(`_mta-sts.retry.${ZONE}`), ['v=STSv1; id=retry1']);
        } finally {
          await proxy.close();
        }
      });

      it('a retired domain past its safe-removal date: our string is deleted, the foreign one kept; a name with ours only is emptied', async () => {
        assert.equal((await publish(`gone.${ZONE}`, 'gone1'))[0].result, 'applied');
        assert.deepEqual(await txt(`_mta-sts.gone.${ZONE}`), ['v=STSv1; id=gone1']);
        // No served id: the planner's word for "retired, past the safe-removal date" (src/service/publisher.ts).
        const [removed] = await publish(ZONE, null);
        assert.deepEqual([removed.record.action, removed.result], ['delete', 'applied']);
        assert.deepEqual(await txt(`_mta-sts.${ZONE}`), [FOREIGN]);
        const [emptied] = await publish(`gone.${ZONE}`, null);
        assert.deepEqual([emptied.record.action, emptied.result], ['delete', 'applied']);
        assert.deepEqual(await txt(`_mta-sts.gone.${ZONE}`), []);
      });

      it('`mta-sts publish --dry-run` writes nothing; the 30% brake stops a run that changes most published records', async () => {
        const names = FLEET.map((d) => `_mta-sts.${d}`);
        const dry = await cli([...base, 'publish', ...FLEET, '--dry-run'], { env: server.env });
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stderr, /^dry run, nothing changed: would create 10, update 0, delete 0 at /m);
        for (const name of names) assert.deepEqual(await txt(name), [], `${name} untouched by the dry run`);
        const created = await cli([...base, 'publish', ...FLEET], { env: server.env });
        assert.equal(created.code, 0, created.stderr);
        const published = await Promise.all(names.map(txt));
        assert.ok(
          published.every((set) => set.length === 1 && set[0].startsWith('v=STSv1; id=')),
          JSON.stringify(published),
        );
        // Every domain a new id (the max_age differs per pair, so that each pair's run is a change).
        const bulk = await cli([...base, 'bulk', '--domains', FLEET.join(','), '--max-age', String(86_400 + index + 1)]);
        assert.equal(bulk.code, 0, bulk.stderr);
        const stopped = await cli([...base, 'publish', ...FLEET], { env: server.env });
        assert.equal(stopped.code, 1);
        assert.match(stopped.stderr, /stopped: 10 of the 10 records already published would change \(more than 30%\); nothing was changed/);
        assert.deepEqual(await Promise.all(names.map(txt)), published, 'nothing changed at the server');
        for (const run of [dry, created, stopped])
          for (const secret of server.secrets) assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'no secret printed');
      });
    });
  });
});
