// The alert mail sends its SMTP password only over TLS: against a loopback SMTP server that
// offers no STARTTLS, one that does, and with the exception that names the host.
import assert from 'node:assert/strict';
import { resolveServerSettings } from '../../src/config/server-settings';
import type { AlertOptions } from '../../src/options';
import { channels, type AlertMessage } from '../../src/scheduler/notify';
import { smtpSink, type SmtpSink } from '../support/smtp-sink';
import { createTestCa, type TestCa } from '../support/tls';

const USER = 'alerts';
const PASSWORD = 'smtp-secret-0123';

const MESSAGE: AlertMessage = {
  type: 'mta-sts.alert',
  domain: 'example.org',
  condition: 'id-mismatch',
  state: 'raised',
  codes: [],
  failures: null,
  checkedAt: '2026-12-01T08:00:00.000Z',
  locale: 'en',
  subject: 'MTA-STS: example.org',
  text: 'The scheduled DNS Check found a problem.',
};

/** Sends the alert by mail through `sink`; resolves to the error, or null when it was taken. */
async function send(sink: SmtpSink, smtp: Partial<NonNullable<AlertOptions['email']>['smtp']> = {}): Promise<(Error & { code?: string }) | null> {
  const email = {
    to: 'admin@example.net',
    from: 'mta-sts@example.net',
    smtp: { host: '127.0.0.1', port: sink.port, secure: false, user: USER, password: PASSWORD, allowPlaintext: false, ...smtp },
  };
  const [mail] = channels({ locale: 'en', email, webhook: null });
  try {
    await mail.send(MESSAGE);
    return null;
  } catch (err) {
    return err as Error & { code?: string };
  } finally {
    mail.close();
  }
}

/** The password in any form SMTP AUTH could carry it: SASL PLAIN, or LOGIN's base64 of it alone. */
function carriesPassword(commands: string[]): boolean {
  const forms = [PASSWORD, Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64'), Buffer.from(PASSWORD).toString('base64')];
  return commands.some((line) => forms.some((form) => line.includes(form)));
}

describe('the alert mail sends its SMTP password only over TLS', function () {
  this.timeout(20_000);
  let ca: TestCa;
  let sink: SmtpSink | null = null;
  before(() => {
    ca = createTestCa();
  });
  after(() => ca.dispose());
  afterEach(async () => {
    await sink?.close();
    sink = null;
  });

  it('closes the connection before AUTH when smtp:// offers no STARTTLS, with a code and one sentence naming the setting', async () => {
    sink = await smtpSink({ auth: true });
    const error = await send(sink);
    assert.ok(error, 'not sent');
    assert.equal(error.code, 'MTA_STS_PLAINTEXT_REFUSED', error.message);
    assert.equal(
      error.message,
      `the SMTP server 127.0.0.1:${sink.port} offers no STARTTLS, so the connection was closed before the password was sent: use smtps://, ` +
        'turn on STARTTLS at the server, or allow plain text for this host with alerts.email.smtp.allowPlaintext (MTA_STS_ALERT_SMTP_ALLOW_PLAINTEXT for mta-sts serve)',
    );
    assert.ok(
      sink.commands.some((line) => /^EHLO /i.test(line)),
      sink.commands.join('\n'),
    );
    assert.ok(!sink.commands.some((line) => /^AUTH\b/i.test(line)), sink.commands.join('\n'));
    assert.ok(!carriesPassword(sink.commands), sink.commands.join('\n'));
    assert.deepEqual(sink.messages, []);
    const deadline = Date.now() + 5000;
    while (sink.open > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sink.open, 0, 'the connection is closed');
  });

  it('sends the password over the clear connection only when allowPlaintext names the host', async () => {
    sink = await smtpSink({ auth: true });
    assert.equal(await send(sink, { allowPlaintext: true }), null);
    assert.ok(
      sink.commands.some((line) => /^AUTH PLAIN\b/i.test(line)),
      sink.commands.join('\n'),
    );
    assert.equal(sink.messages.length, 1);
  });

  it('sends no password at all without TLS when none is configured, as between mail servers', async () => {
    sink = await smtpSink();
    assert.equal(await send(sink, { user: null, password: null }), null);
    assert.equal(sink.messages.length, 1);
  });

  it('upgrades by STARTTLS when offered, before any AUTH (an untrusted certificate stops it there, not with the refusal)', async () => {
    sink = await smtpSink({ auth: true, starttls: ca.issue(['127.0.0.1']) });
    const error = await send(sink);
    assert.ok(error, 'the certificate is not trusted');
    assert.notEqual(error.code, 'MTA_STS_PLAINTEXT_REFUSED', error.message);
    assert.ok(sink.commands.includes('STARTTLS'), sink.commands.join('\n'));
    assert.ok(!sink.commands.some((line) => /^AUTH\b/i.test(line)), sink.commands.join('\n'));
    assert.ok(!carriesPassword(sink.commands));
  });

  it('takes MTA_STS_ALERT_SMTP_ALLOW_PLAINTEXT only naming the host of MTA_STS_ALERT_SMTP, checked at start', () => {
    const env = { MTA_STS_ALERT_EMAIL: 'admin@example.org', MTA_STS_ALERT_SMTP: 'smtp://alerts:secret@relay.example.org:587' };
    assert.equal(resolveServerSettings({}, env).alerts.email?.smtp.allowPlaintext, undefined);
    assert.equal(
      resolveServerSettings({}, { ...env, MTA_STS_ALERT_SMTP_ALLOW_PLAINTEXT: 'relay.example.org' }).alerts.email?.smtp.allowPlaintext,
      'relay.example.org',
    );
    assert.throws(
      () => resolveServerSettings({}, { ...env, MTA_STS_ALERT_SMTP_ALLOW_PLAINTEXT: 'yes' }),
      /^ConfigError: alertSmtpAllowPlaintext must name the host of MTA_STS_ALERT_SMTP \(relay\.example\.org\) to let its password go without TLS, got "yes"$/,
    );
    assert.throws(
      () => resolveServerSettings({}, { MTA_STS_ALERT_SMTP_ALLOW_PLAINTEXT: 'relay.example.org' }),
      /alertSmtpAllowPlaintext has no SMTP server to apply to/,
    );
  });
});
