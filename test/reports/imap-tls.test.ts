// The report fetch sends the IMAP password only over TLS: against real Dovecot on loopback, one
// speaking IMAP without any TLS (no STARTTLS offered) and one offering STARTTLS, each behind a
// proxy that records what the fetcher sent in clear text.
import assert from 'node:assert/strict';
import type { Logger } from '../../src';
import { resolveServerSettings } from '../../src/config/server-settings';
import { imapSettings } from '../../src/options';
import { startDovecot, type TestDovecot } from '../support/dovecot';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy';
import { createServer, type TestServer } from '../support/server';
import { createTestCa, type TestCa } from '../support/tls';

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (message: string, detail?: unknown) => lines.push(`${message}${detail instanceof Error ? `: ${detail.message}` : ''}`);
  return { lines, error: add, warn: add, info: add };
}

/** Whatever form a password could take on the wire: as typed (LOGIN), or base64 of SASL PLAIN. */
function passwordForms(user: string, password: string): string[] {
  return [password, Buffer.from(`\0${user}\0${password}`).toString('base64'), Buffer.from(password).toString('base64')];
}

describe('the IMAP password only over TLS (reports.imap), against Dovecot on loopback', function () {
  this.timeout(60_000);
  let ca: TestCa;
  let plain: TestDovecot;
  let starttls: TestDovecot;
  let proxy: RecordingProxy | null = null;
  let server: TestServer | null = null;

  before(async () => {
    ca = createTestCa();
    const certificate = ca.issue(['127.0.0.1']);
    [plain, starttls] = await Promise.all([startDovecot(certificate, { tls: 'none' }), startDovecot(certificate, { tls: 'starttls' })]);
  });
  after(async () => {
    await plain?.close();
    await starttls?.close();
    ca?.dispose();
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    await proxy?.close();
    proxy = null;
  });

  const fetchThrough = async (dovecot: TestDovecot, extra: Record<string, unknown> = {}) => {
    proxy = await startRecordingProxy(dovecot.port);
    const logger = capture();
    server = await createServer({
      plugin: {
        logger,
        reports: { imap: { url: `imap://${dovecot.user}@127.0.0.1:${proxy.port}/INBOX`, password: dovecot.password, tls: { ca: ca.cert }, ...extra } },
      },
    });
    const outcome = await server.mtaSts.reportFetcher!.runOnce();
    return { outcome, logger, sent: proxy.sent() };
  };

  it('closes the connection before any LOGIN when the server offers no STARTTLS, and names the setting that allows it', async () => {
    const { outcome, logger, sent } = await fetchThrough(plain);
    assert.equal(outcome, null, 'the poll failed');
    // The fetcher did reach the server (so the next assertions are not vacuous)...
    assert.equal(proxy!.connections, 1);
    // ...and sent nothing that carries the password.
    assert.doesNotMatch(sent, /\b(?:LOGIN|AUTHENTICATE)\b/i, sent);
    for (const form of passwordForms(plain.user, plain.password)) assert.ok(!sent.includes(form), `the password went out as "${form}"`);
    const deadline = Date.now() + 5000;
    while (proxy!.open > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(proxy!.open, 0, 'the connection is closed');
    const refusal = logger.lines.find((line) => line.includes('offers no STARTTLS'));
    assert.ok(refusal, logger.lines.join('\n'));
    assert.match(refusal, /the connection was closed before the password was sent: use imaps:\/\/, turn on STARTTLS at the server, or allow plain text/);
    assert.match(refusal, /REPORTS_IMAP_ALLOW_PLAINTEXT/);
    assert.equal(refusal.split(/\.\s/).length, 1, `one sentence: ${refusal}`);
  });

  it('logs in over the clear connection only when allowPlaintext names the host', async () => {
    const { outcome, logger, sent } = await fetchThrough(plain, { allowPlaintext: '127.0.0.1' });
    assert.deepEqual(outcome, { messages: 0, created: 0, duplicate: 0, refused: 0, failed: 0 }, logger.lines.join('\n'));
    // The server takes a clear-text login: refusing it above was the fetcher's doing.
    assert.match(sent, /\b(?:LOGIN|AUTHENTICATE)\b/i);
  });

  it('upgrades an imap:// connection by STARTTLS when offered: nothing of the password in clear text', async () => {
    const { outcome, logger, sent } = await fetchThrough(starttls);
    assert.deepEqual(outcome, { messages: 0, created: 0, duplicate: 0, refused: 0, failed: 0 }, logger.lines.join('\n'));
    assert.match(sent, /STARTTLS/i);
    assert.doesNotMatch(sent, /\b(?:LOGIN|AUTHENTICATE)\b/i);
    for (const form of passwordForms(starttls.user, starttls.password)) assert.ok(!sent.includes(form), `the password went out as "${form}"`);
  });

  it('takes allowPlaintext only naming the URL host, in the library and in mta-sts serve (checked at start)', () => {
    const option = { url: 'imap://reports@mail.example.org/INBOX', password: 'x' };
    assert.equal(imapSettings(option, 'options.reports.imap').allowPlaintext, false);
    assert.equal(imapSettings({ ...option, allowPlaintext: 'MAIL.example.org' }, 'options.reports.imap').allowPlaintext, true);
    assert.throws(
      () => imapSettings({ ...option, allowPlaintext: 'other.example.org' }, 'options.reports.imap'),
      /^TypeError: options\.reports\.imap\.allowPlaintext must name the server's host \(mail\.example\.org\)/,
    );
    assert.throws(() => imapSettings({ ...option, allowPlaintext: true }, 'options.reports.imap'), /options\.reports\.imap\.allowPlaintext must name/);

    const env = { REPORTS_IMAP_URL: 'imap://reports@[::1]:1143/INBOX', REPORTS_IMAP_PASSWORD: 'x' };
    assert.equal(resolveServerSettings({}, { ...env, REPORTS_IMAP_ALLOW_PLAINTEXT: '::1' }).reportsImap?.allowPlaintext, '::1');
    assert.throws(
      () => resolveServerSettings({}, { ...env, REPORTS_IMAP_ALLOW_PLAINTEXT: 'yes' }),
      /^ConfigError: reportsImapAllowPlaintext must name the host of REPORTS_IMAP_URL \(::1\) to let its password go without TLS, got "yes"$/,
    );
    assert.throws(() => resolveServerSettings({}, { REPORTS_IMAP_ALLOW_PLAINTEXT: '::1' }), /reportsImapAllowPlaintext has no IMAP server to apply to/);
  });
});
