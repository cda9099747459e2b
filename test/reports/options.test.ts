import assert from 'node:assert/strict';
import knexFactory, { Knex } from 'knex';
import { MtaStsOptions, createMtaSts } from '../../src';

describe('createMtaSts options of TLS reporting', () => {
  let knex: Knex;
  let base: MtaStsOptions;
  before(() => {
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    base = { knex, mailHostname: 'mail.example.org' };
  });
  after(() => knex.destroy());

  function rejects(options: Partial<MtaStsOptions>, name: string): void {
    assert.throws(
      () => createMtaSts({ ...base, ...options }),
      (err: unknown) => err instanceof TypeError && err.message.includes(`options.${name}`),
      name,
    );
  }

  it('takes a table prefix, an intake URL, a retention and a rate, and mounts the intake at the URL path', () => {
    const mtaSts = createMtaSts({
      ...base,
      tablePrefix: 'panel_',
      reports: { intakeUrl: 'https://panel.example.org/hooks/tlsrpt', retentionDays: 30, perTokenPerHour: 10 },
    });
    assert.equal(mtaSts.mounts.find((m) => m.export === 'tlsrpt')?.path, '/hooks/tlsrpt');
    assert.equal(createMtaSts(base).mounts.find((m) => m.export === 'tlsrpt')?.path, '/tlsrpt/v1', 'default: https://<mailHostname>/tlsrpt/v1');
  });

  it('throws naming the option for a bad prefix, intake URL, retention or rate', () => {
    for (const prefix of ['', '1x', 'a-b', 'x'.repeat(41), 7 as never]) rejects({ tablePrefix: prefix }, 'tablePrefix');
    for (const url of ['http://panel.example.org/tlsrpt', 'https://panel.example.org/tlsrpt/', 'https://panel.example.org/t?x=1', 'not a url', 5 as never]) {
      rejects({ reports: { intakeUrl: url } }, 'reports.intakeUrl');
    }
    for (const days of [0, 1.5, 4000, '30' as never]) rejects({ reports: { retentionDays: days } }, 'reports.retentionDays');
    rejects({ reports: { perTokenPerHour: 0 } }, 'reports.perTokenPerHour');
    for (const address of [
      'tlsrpt',
      'mailto:tlsrpt@mail.example.org',
      'a@b.example, c@d.example',
      'a@b.example;x',
      'a b@mail.example.org',
      'a@b.example?x',
      7 as never,
    ]) {
      rejects({ reports: { mailAddress: address } }, 'reports.mailAddress');
    }
    assert.ok(createMtaSts({ ...base, reports: { mailAddress: 'tlsrpt@mail.example.org' } }));
    rejects({ reports: 'yes' as never }, 'reports');
  });

  it('takes reports.imap (user and mailbox from the URL), and throws naming the field of a bad one', () => {
    assert.equal(createMtaSts(base).reportFetcher, null, 'no fetcher without reports.imap');
    assert.ok(createMtaSts({ ...base, reports: { imap: { url: 'imaps://reports@mail.example.org/INBOX', password: 'x' } } }).reportFetcher);
    const bad: Array<[unknown, RegExp]> = [
      [{ url: 'https://mail.example.org/INBOX', password: 'x' }, /options\.reports\.imap\.url must be an imaps:\/\/ or imap:\/\/ URL/],
      [{ url: 'imaps://u:secret@mail.example.org/INBOX', password: 'x' }, /options\.reports\.imap\.url must not contain a password/],
      [{ url: 'imaps://u@mail.example.org/INBOX' }, /options\.reports\.imap\.password must be a non-empty string/],
      [{ url: 'imaps://mail.example.org/INBOX', password: 'x' }, /options\.reports\.imap\.user must be a non-empty string/],
      [{ url: 'imaps://u@mail.example.org/INBOX', password: 'x', doneMailbox: 'INBOX' }, /options\.reports\.imap\.doneMailbox must differ/],
      [{ url: 'imaps://u@mail.example.org/INBOX', password: 'x', intervalMs: 5 }, /options\.reports\.imap\.intervalMs must be a whole number from 10000/],
      [
        { url: 'imaps://u@mail.example.org/INBOX', password: 'x', tls: { rejectUnauthorized: 'no' } },
        /options\.reports\.imap\.tls\.rejectUnauthorized must be a boolean/,
      ],
      ['imaps://u@mail.example.org/INBOX', /options\.reports\.imap must be an object/],
    ];
    for (const [imap, message] of bad) {
      assert.throws(
        () => createMtaSts({ ...base, reports: { imap: imap as never } }),
        (err: unknown) => err instanceof TypeError && message.test(err.message),
        String(message),
      );
    }
  });
});
