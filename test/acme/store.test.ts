import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decrypt, encrypt, parseEncryptionKey } from '../../src/acme/secret';
import { CertificateStore } from '../../src/store/certificate-store';
import { migrateLatest } from '../../src/store/migrate';
import { DB_KINDS, createHostTables, createTestDb, type TestDb } from '../support/db';

describe('ACME keys at rest (AES-256-GCM)', () => {
  const key = randomBytes(32);

  it('round-trips, never stores the plain text, and differs each time (random IV)', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n';
    const a = encrypt(key, pem);
    const b = encrypt(key, pem);
    assert.notEqual(a, b);
    assert.doesNotMatch(a, /PRIVATE|abc/);
    assert.equal(decrypt(key, a), pem);
  });

  it('refuses a wrong key or an altered value with a code, without quoting the value', () => {
    const stored = encrypt(key, 'secret text');
    assert.throws(
      () => decrypt(randomBytes(32), stored),
      (err: Error & { code?: string }) => err.code === 'MTA_STS_ACME_BAD_KEY' && !err.message.includes(stored),
    );
    const altered = stored.slice(0, -2) + (stored.endsWith('A') ? 'BB' : 'AA');
    assert.throws(() => decrypt(key, altered), /could not be decrypted/);
  });

  it('reads the configured key as 64 hex digits or base64 of 32 bytes, and names encryptionKey otherwise', () => {
    assert.equal(parseEncryptionKey('00'.repeat(32)).length, 32);
    assert.equal(parseEncryptionKey(randomBytes(32).toString('base64')).length, 32);
    assert.equal(parseEncryptionKey(randomBytes(32).toString('base64url')).length, 32);
    for (const bad of ['', 'short', '00'.repeat(16), randomBytes(16).toString('base64'), 42])
      assert.throws(() => parseEncryptionKey(bad), /^TypeError: encryptionKey must/);
  });
});

for (const kind of DB_KINDS) {
  describe(`ACME tables and the ordering lock (${kind})`, () => {
    let db: TestDb;
    let store: CertificateStore;

    before(async () => {
      db = await createTestDb(kind);
      await createHostTables(db, []);
      await migrateLatest(db.knex, { table: db.domainTable, keyColumn: 'domain', tablePrefix: db.tablePrefix, migrationsTable: db.migrationsTable });
      store = new CertificateStore(db.knex, db.tablePrefix);
    });
    after(() => db.destroy());

    it('lets one instance hold the lock until it expires or is released', async () => {
      const t = 1_800_000_000_000;
      assert.equal(await store.acquireLock('order', 'a', t, 60_000), true, 'a takes the free lock');
      assert.equal(await store.acquireLock('order', 'b', t + 1000, 60_000), false, 'b must wait');
      assert.equal(await store.acquireLock('order', 'a', t + 2000, 60_000), true, 'a extends its own lock');
      assert.equal(await store.acquireLock('order', 'b', t + 61_000, 60_000), false, 'extended: still a’s');
      assert.equal(await store.acquireLock('order', 'b', t + 62_001, 60_000), true, 'expired (a crashed): b takes it');
      await store.releaseLock('order', 'a');
      assert.equal(await store.acquireLock('order', 'a', t + 63_000, 60_000), false, 'a cannot release b’s lock');
      await store.releaseLock('order', 'b');
      assert.equal(await store.acquireLock('order', 'a', t + 63_000, 60_000), true, 'released: free again');
    });

    it('keeps one row per name, updating the fields given', async () => {
      await store.put('mta-sts.example.org', { state: 'failed', reason: 'boom', failures: 1 });
      await store.put('mta-sts.example.org', {
        state: 'issued',
        reason: null,
        failures: 0,
        notAfter: '2027-01-01T00:00:00.000Z',
        keyEnc: 'v1.x.y.z',
        certificate: 'PEM',
      });
      const rows = await store.all();
      assert.equal(rows.length, 1);
      assert.deepEqual(
        { state: rows[0].state, reason: rows[0].reason, failures: rows[0].failures, notAfter: rows[0].notAfter, certificate: rows[0].certificate },
        { state: 'issued', reason: null, failures: 0, notAfter: '2027-01-01T00:00:00.000Z', certificate: 'PEM' },
      );
    });

    it('keeps the first account key when two instances race', async () => {
      await store.saveAccount('https://ca.example/dir', 'v1.first');
      await store.saveAccount('https://ca.example/dir', 'v1.second');
      assert.equal((await store.account('https://ca.example/dir'))?.keyEnc, 'v1.first');
    });
  });
}
