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
    rejects({ reports: 'yes' as never }, 'reports');
  });
});
