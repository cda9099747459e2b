import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { API_PATH } from '../../src';
import { TestServer, createServer, textOf } from '../support/server';

// Another process (a backup, the host's CLI, a second panel) holds an exclusive lock on the SQLite
// file. better-sqlite3 waits for a lock synchronously, freezing the whole process for its busy
// timeout (5 s by default): before the plugin lowered it for its own statements, a cached policy
// request took 13.9 s. Now the policy file keeps being answered from memory, and admin pages say
// "database unavailable" at once.

const HOLD_MS = 3000;

/** A child process that holds BEGIN EXCLUSIVE on `file` for `ms`; resolves once it holds it. */
async function holdExclusive(file: string, ms: number): Promise<ChildProcess> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ['-e', script, file, String(ms)], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve();
    });
  });
  return child;
}

describe('reliability: a SQLite file locked by another process', function () {
  this.timeout(30_000);
  let server: TestServer;
  let holder: ChildProcess | null = null;
  const realError = console.error;

  before(async () => {
    console.error = () => undefined;
    server = await createServer({ db: 'sqlite', plugin: { cache: { ttlMs: 300, waitMs: 200 } } });
    const put = await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org'], maxAge: 604800, active: true });
    assert.equal(put.status, 200, put.text);
  });
  after(async () => {
    console.error = realError;
    holder?.kill();
    await server?.close();
  });

  it('keeps answering the policy file from memory in well under a second, and the tab with a prompt 503', async () => {
    const served = await server.policy('mta-sts.example.org');
    assert.equal(served.status, 200);
    const file = (server.db.knex.client.config.connection as { filename: string }).filename;
    holder = await holdExclusive(file, HOLD_MS);
    const exited = new Promise((resolve) => holder!.once('exit', resolve));
    const lockedAt = Date.now();
    // Let the set expire, so that the request needs the database (the worst case).
    await new Promise((resolve) => setTimeout(resolve, 400));

    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await server.policy('mta-sts.example.org');
      timings.push(Date.now() - started);
      assert.equal(res.status, 200);
      assert.equal(res.text, served.text, 'the last known good policy');
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    assert.ok(Math.max(...timings) < 1000, `policy file answered in ${timings.join(', ')} ms while the file was locked`);

    let started = Date.now();
    const tab = await server.request().get('/mta-sts/example.org');
    const tabMs = Date.now() - started;
    assert.equal(tab.status, 503, textOf(tab.text).slice(0, 200));
    assert.match(textOf(tab.text), /Database unavailable/);
    assert.ok(Number(tab.headers['retry-after']) > 0);
    assert.ok(tabMs < 1000, `tab answered in ${tabMs} ms`);

    started = Date.now();
    const save = await server.put('example.org', { mode: 'testing' });
    const saveMs = Date.now() - started;
    assert.equal(save.status, 503, save.text);
    assert.equal(save.body.error.code, 'busy');
    assert.match(save.body.error.message, /nothing was saved/);
    assert.ok(saveMs < 1000, `save answered in ${saveMs} ms`);
    assert.ok(Date.now() - lockedAt < HOLD_MS, 'all of it while the lock was held');
    console.log(`      (locked file: policy file ${timings.join(', ')} ms; tab 503 in ${tabMs} ms; save 503 in ${saveMs} ms)`);

    await exited;
    holder = null;
    const after = await server.request().get(`${API_PATH}/example.org`);
    assert.equal(after.status, 200, 'the tab works again once the lock is gone');
    const ok = await server.put('example.org', { mode: 'testing' });
    assert.equal(ok.status, 200, ok.text);
    assert.match((await server.policy('mta-sts.example.org')).text, /mode: testing/);
  });
});
