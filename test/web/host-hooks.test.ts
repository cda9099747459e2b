import assert from 'node:assert/strict';
import knexFactory, { Knex } from 'knex';
import { MtaStsOptions, createMtaSts, type Logger, type LookupResult, type RecordType, type Resolver } from '../../src';
import { TestServer, createServer } from '../support/server';

/** A resolver object of the host's own: MX answers from a table, NXDOMAIN for everything else. */
function tableResolver(mx: Record<string, string[]>, asked: string[]): Resolver {
  return {
    servers: ['host-resolver'],
    timeoutMs: 500,
    async lookup<T extends RecordType>(name: string, type: T): Promise<LookupResult<T>> {
      asked.push(`${type} ${name}`);
      const hosts = type === 'MX' ? mx[name] : undefined;
      if (hosts) {
        const records = hosts.map((exchange, i) => ({ preference: 10 * (i + 1), exchange }));
        return { ok: true, name, type, records, cnames: [], server: 'host-resolver' } as unknown as LookupResult<T>;
      }
      return { ok: false, name, type, failure: 'nxdomain', message: `${name} does not exist (NXDOMAIN)`, cnames: [], server: 'host-resolver' };
    },
  };
}

/** A logger that keeps what it is told. */
function memoryLogger(): Logger & { lines: Array<{ level: string; message: string; detail: unknown }> } {
  const lines: Array<{ level: string; message: string; detail: unknown }> = [];
  const keep = (level: string) => (message: string, detail?: unknown) => void lines.push({ level, message, detail });
  return { lines, error: keep('error'), warn: keep('warn'), info: keep('info') };
}

describe('host hooks: a resolver object and a logger of the host', () => {
  describe('validation', () => {
    let knex: Knex;
    let base: MtaStsOptions;
    before(() => {
      knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
      base = { knex, mailHostname: 'mail.example.org' };
    });
    after(() => knex.destroy());

    const rejects = (options: unknown, name: string) =>
      assert.throws(
        () => createMtaSts(options as MtaStsOptions),
        (err: unknown) => err instanceof TypeError && err.message.includes(name),
      );

    it('throws naming logger when it lacks error, warn or info', () => {
      rejects({ ...base, logger: console.error }, 'options.logger');
      rejects({ ...base, logger: { error() {}, warn() {} } }, 'options.logger');
      assert.doesNotThrow(() => createMtaSts({ ...base, logger: memoryLogger() }));
    });

    it('throws naming resolver when it lacks lookup, servers or timeoutMs, or comes with dns', () => {
      rejects({ ...base, resolver: { lookup() {} } }, 'options.resolver');
      rejects({ ...base, resolver: 'dns' }, 'options.resolver');
      rejects({ ...base, resolver: tableResolver({}, []), dns: { servers: ['127.0.0.1'] } }, 'options.resolver');
      assert.doesNotThrow(() => createMtaSts({ ...base, resolver: tableResolver({}, []) }));
    });
  });

  describe('in use', () => {
    let server: TestServer;
    const asked: string[] = [];
    const logger = memoryLogger();
    before(async () => {
      server = await createServer({
        plugin: { resolver: tableResolver({ 'example.org': ['mx1.example.org', 'mx2.example.org'] }, asked), logger },
      });
    });
    after(() => server.close());

    it("shows the MX hosts the host's resolver answers on the tab", async () => {
      const res = await server.request().get(`${server.adminPath}/example.org`).expect(200);
      assert.match(res.text, /MX hosts of example\.org in DNS: mx1\.example\.org, mx2\.example\.org\./);
      assert.ok(asked.includes('MX example.org'));
    });

    it("runs the DNS Check through the host's resolver", async () => {
      asked.length = 0;
      const result = await server.mtaSts.dnsCheck('example.org');
      const mx = result?.checks.find((check) => check.name === 'mx');
      assert.ok(mx?.found.includes('mx1.example.org'), mx?.found);
      assert.ok(asked.includes('TXT _mta-sts.example.org'), asked.join(', '));
    });

    it("logs a failing request to the host's logger, naming the route, and answers a page without internals", async () => {
      server.authorize = () => {
        throw new Error('session store exploded');
      };
      try {
        const res = await server.request().get(`${server.adminPath}/example.org`).expect(500);
        assert.doesNotMatch(res.text, /exploded/);
        const line = logger.lines.find((l) => l.level === 'error');
        assert.ok(line, 'an error was logged');
        assert.match(line.message, /GET .*\/example\.org failed/);
        assert.match(String(line.detail), /session store exploded/);
      } finally {
        server.authorize = 'allow';
      }
    });
  });
});
