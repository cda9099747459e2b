import assert from 'node:assert/strict';
import { LOOPBACK_ONLY } from '../support/loopback';
import { createServer, type TestServer } from '../support/server';

// The heads-up before an MX change ("senders may keep applying the current list for up to ...")
// is about what senders cached: right after the very first save nothing was published or fetched
// yet, so it appears only once the served policy has been changed.

const HEADS_UP = /Changing the MX entries now: senders may keep applying the current list/;

describe('the tab: the MX change heads-up', () => {
  let server: TestServer;
  let now: Date;
  beforeEach(async () => {
    now = new Date('2026-12-01T10:00:00Z');
    server = await createServer({ plugin: { ...LOOPBACK_ONLY, now: () => now } });
  });
  afterEach(() => server?.close());

  it('is not shown after the very first save, on the tab or the history page', async () => {
    const saved = await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', active: '1' });
    assert.equal(saved.status, 200);
    assert.match(saved.text, /Saved\. The new policy id is/);
    assert.doesNotMatch(saved.text, HEADS_UP);
    assert.doesNotMatch((await server.request().get('/mta-sts/example.org/history')).text, HEADS_UP);
  });

  it('is shown once a served policy was changed (a new MX list), beside the older list senders may hold', async () => {
    await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', active: '1' });
    now = new Date('2026-12-02T10:00:00Z');
    const changed = await server.submitTab('example.org', { mode: 'testing', mx: 'mx2.example.org', active: '1' });
    assert.equal(changed.status, 200);
    assert.match(changed.text, HEADS_UP);
    assert.match(changed.text, /Senders may still hold an older MX list \(mail\.example\.org\)/);
    assert.match((await server.request().get('/mta-sts/example.org/history')).text, HEADS_UP);
  });
});
