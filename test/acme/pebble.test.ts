import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import express from 'express';
import { createCertificateManager, type CertificateManager } from '../../src/acme';
import { createMtaSts } from '../../src';
import type { Logger } from '../../src/logger';
import { resolveOptions, type MtaStsOptions } from '../../src/options';
import { sayDnsCheck } from '../../src/render/check';
import { MtaStsService } from '../../src/service';
import { createHostTables, createTestDb, type TestDb } from '../support/db';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { startPebble, type Pebble } from '../support/pebble';

// The whole way a certificate for mta-sts.<domain> takes: the names the plugin serves, resolved
// through its own resolver, ordered from a real ACME CA (pebble) that validates HTTP-01 through a
// host app with the plugin mounted first, then a real HTTPS policy request with the certificate.
/** The service's DNS Check of a domain, said in English as the API says it. */
async function dnsCheck(service: MtaStsService, domain: string) {
  const result = await service.checks.dnsCheck(domain);
  return result && sayDnsCheck('en', result);
}

describe('ACME end to end against pebble', function () {
  this.timeout(120_000);
  let dns: TestDnsServer;
  let db: TestDb;
  let pebble: Pebble;
  let http: Server;
  let manager: CertificateManager;
  let service: MtaStsService;
  let wellKnown: ReturnType<typeof createMtaSts>['wellKnown'];
  const logLines: string[] = [];
  const logger: Logger = {
    error: (m, d) => logLines.push(`error ${m} ${d === undefined ? '' : inspect(d, { depth: 5 })}`),
    warn: (m, d) => logLines.push(`warn ${m} ${d === undefined ? '' : inspect(d, { depth: 5 })}`),
    info: (m, d) => logLines.push(`info ${m} ${d === undefined ? '' : inspect(d, { depth: 5 })}`),
  };
  const encryptionKey = randomBytes(32).toString('base64');

  before(async () => {
    dns = await startDnsServer();
    dns.setZone([
      { name: 'mta-sts.example.test', type: 'A', data: '127.0.0.1' },
      { name: 'mta-sts.second.test', type: 'A', data: '127.0.0.1' },
      { name: 'mta-sts.third.test', type: 'A', data: '127.0.0.1' },
      // Its web server is somewhere else: the CA would validate there, so no order is placed.
      { name: 'mta-sts.elsewhere.test', type: 'A', data: '192.0.2.10' },
    ]);
    db = await createTestDb('sqlite');
    await createHostTables(db, [{ domain: 'example.test' }, { domain: 'second.test' }, { domain: 'elsewhere.test' }, { domain: 'third.test' }]);
    const options: MtaStsOptions = {
      knex: db.knex,
      mailHostname: 'mail.example.test',
      domainTable: db.domainTable,
      migrationsTable: db.migrationsTable,
      tablePrefix: db.tablePrefix,
      dns: { servers: [dns.address], timeoutMs: 1000, retries: 0 },
      dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
      logger,
    };
    const mtaSts = createMtaSts(options);
    wellKnown = mtaSts.wellKnown;
    service = MtaStsService.fromOptions(resolveOptions(options));
    await service.schema.migrate();
    for (const domain of ['example.test', 'second.test', 'elsewhere.test']) {
      const saved = await service.policies.update(domain, { active: true, mode: 'enforce', mx: [`mail.${domain}`], maxAge: 86400 }, 'json');
      assert.equal(saved.status, 'saved', `${domain}: ${JSON.stringify(saved)}`);
    }
    // The HTTP side as the standalone server will have it: the plugin first, then the responder.
    const app = express();
    app.use(mtaSts.wellKnown);
    app.use((req, res, next) => manager.challengeMiddleware(req, res, next));
    http = createHttpServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const httpPort = (http.address() as { port: number }).port;
    pebble = await startPebble({ httpPort, dnsServer: dns.address });
    manager = createCertificateManager({
      service,
      knex: db.knex,
      tablePrefix: db.tablePrefix,
      directoryUrl: pebble.directoryUrl,
      directoryCa: pebble.listenerCa,
      email: 'hostmaster@example.test',
      termsAccepted: true,
      encryptionKey,
      addresses: ['127.0.0.1'],
      logger,
    });
  });

  after(async () => {
    await manager?.stop();
    await new Promise((resolve) => http?.close(resolve));
    await pebble?.close();
    await dns?.close();
    await db?.destroy();
  });

  it('issues a certificate for every name that points here, and skips the one that does not, with the reason', async () => {
    const summary = await manager.runOnce();
    assert.deepEqual(summary.issued.sort(), ['mta-sts.example.test', 'mta-sts.second.test'], [...logLines, ...pebble.output].join('\n'));
    assert.deepEqual(summary.skipped, ['mta-sts.elsewhere.test']);
    const status = await manager.status();
    const elsewhere = status.find((s) => s.name === 'mta-sts.elsewhere.test');
    assert.equal(elsewhere?.state, 'skipped');
    assert.match(elsewhere?.reason ?? '', /192\.0\.2\.10.*not to this server/);
    assert.ok(
      logLines.some((line) => line.includes('mta-sts.elsewhere.test points to 192.0.2.10')),
      'the skip is logged with its reason',
    );
    for (const name of ['mta-sts.example.test', 'mta-sts.second.test']) {
      const s = status.find((x) => x.name === name);
      assert.equal(s?.state, 'issued', name);
      assert.ok(Date.parse(s?.notAfter ?? '') > Date.now(), `${name} expires in the future`);
    }
  });

  it('the DNS Check shows the last order per name: issued with its end, or skipped with the reason', async () => {
    const issued = (await dnsCheck(service, 'example.test'))?.checks.find((c) => c.name === 'https');
    assert.match(issued?.found ?? '', /Built-in ACME client: certificate issued, valid until \d{4}-\d{2}-\d{2}/);
    const skipped = (await dnsCheck(service, 'elsewhere.test'))?.checks.find((c) => c.name === 'https');
    assert.match(skipped?.found ?? '', /Built-in ACME client: not ordered, mta-sts\.elsewhere\.test points to 192\.0\.2\.10/);
  });

  it('serves the policy over HTTPS with the issued certificate, chosen by SNI, trusted through pebble’s root', async () => {
    const root = await pebble.root();
    const app = express();
    app.use(wellKnown);
    const https = createHttpsServer({ SNICallback: manager.sniCallback, minVersion: 'TLSv1.2' }, app);
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const port = (https.address() as { port: number }).port;
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            servername: 'mta-sts.example.test',
            path: '/.well-known/mta-sts.txt',
            headers: { Host: 'mta-sts.example.test' },
            ca: root,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          },
        );
        req.on('error', reject);
        req.end();
      });
      assert.equal(body, 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.test\r\nmax_age: 86400\r\n');
      // TLS 1.1 and older are refused.
      await assert.rejects(
        new Promise((resolve, reject) => {
          const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'mta-sts.example.test', ca: root, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () =>
            resolve(socket),
          );
          socket.on('error', reject);
        }),
      );
    } finally {
      await new Promise((resolve) => https.close(resolve));
    }
  });

  it('renews a certificate on demand: a new one is served afterwards', async () => {
    const before = (await manager.status()).find((s) => s.name === 'mta-sts.second.test');
    const context = manager.secureContext('mta-sts.second.test');
    assert.ok(context, 'a context before renewal');
    const renewed = await manager.renew('mta-sts.second.test');
    assert.equal(renewed.state, 'issued');
    assert.notEqual(renewed.issuedAt, null);
    const after = manager.secureContext('mta-sts.second.test');
    assert.notEqual(after, context, 'the served context was replaced');
    assert.ok(before?.issuedAt !== undefined);
    const cert = new X509Certificate(
      (await db.knex(`${db.tablePrefix}acme_certificates`).where({ name: 'mta-sts.second.test' }).first()).certificate as string,
    );
    assert.match(cert.subjectAltName ?? '', /mta-sts\.second\.test/);
  });

  it('orders the certificate of a newly activated policy on the next pass (every minute when started)', async () => {
    const saved = await service.policies.update('third.test', { active: true, mode: 'testing', mx: ['mail.third.test'], maxAge: 86400 }, 'json');
    assert.equal(saved.status, 'saved');
    const summary = await manager.runOnce();
    assert.deepEqual(summary.issued, ['mta-sts.third.test'], 'only the new name: the others are valid for long');
    assert.ok(manager.secureContext('mta-sts.third.test'));
  });

  it('a second instance sharing the database serves the same certificates without ordering again', async () => {
    const second = createCertificateManager({
      service,
      knex: db.knex,
      tablePrefix: db.tablePrefix,
      directoryUrl: pebble.directoryUrl,
      email: 'hostmaster@example.test',
      termsAccepted: true,
      encryptionKey,
      addresses: ['127.0.0.1'],
      logger,
    });
    const summary = await second.runOnce();
    assert.deepEqual(summary.issued, [], 'nothing is due: the first instance issued them');
    assert.ok(second.secureContext('mta-sts.example.test'), 'loaded from the shared table');
    assert.ok(second.secureContext('MTA-STS.Example.Test.'), 'any case, trailing dot');
    assert.equal(second.secureContext('mta-sts.elsewhere.test'), null);
  });

  it('never shows a private key: not in a log line, not in status(), not in the table unencrypted', async () => {
    // An instance with the wrong key cannot use the stored keys, and says so without quoting them.
    const wrong = createCertificateManager({
      service,
      knex: db.knex,
      tablePrefix: db.tablePrefix,
      directoryUrl: pebble.directoryUrl,
      email: 'hostmaster@example.test',
      termsAccepted: true,
      encryptionKey: randomBytes(32).toString('hex'),
      addresses: ['127.0.0.1'],
      logger,
    });
    await wrong.runOnce();
    assert.equal(wrong.secureContext('mta-sts.example.test'), null);
    assert.ok(logLines.some((l) => /could not be decrypted: is encryptionKey the one it was stored with/.test(l)));
    const checks = JSON.stringify([await dnsCheck(service, 'example.test'), await dnsCheck(service, 'elsewhere.test')]);
    const everything = [...logLines, checks, JSON.stringify(await manager.status()), JSON.stringify(await service.certificates.status())].join('\n');
    assert.doesNotMatch(everything, /PRIVATE KEY/);
    const rows = await db.knex<{ key_enc: string | null }>(`${db.tablePrefix}acme_certificates`).select('key_enc');
    for (const row of rows) assert.doesNotMatch(row.key_enc ?? '', /PRIVATE KEY|BEGIN/);
    const accounts = await db.knex<{ key_enc: string }>(`${db.tablePrefix}acme_accounts`).select('key_enc');
    assert.equal(accounts.length, 1);
    assert.doesNotMatch(accounts[0].key_enc, /PRIVATE KEY|BEGIN/);
  });
});
