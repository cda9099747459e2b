import assert from 'node:assert/strict';
import knexFactory, { type Knex } from 'knex';
import { resolveManagerOptions } from '../../src/acme/options';
import { scheduleSettings } from '../../src/config/mail-settings';
import { PRESET_NAMES, presetSchema } from '../../src/config/presets';
import { resolveSettings } from '../../src/config/cli-settings';
import { LOCALES } from '../../src/i18n';
import { consoleLogger } from '../../src/logger';
import { resolveOptions, type MtaStsOptions } from '../../src/options';
import { storageOptions } from '../../src/options/storage';
import type { MtaStsService } from '../../src/service';
import { readMailcowPolicies } from '../../src/store/mailcow';

// Rules each written once (issue 19): every part that checks the same kind of value gives the
// same answer, because they all ask the same home. A copy that drifted would split these answers.

const accepts = (work: () => unknown): boolean => {
  try {
    work();
    return true;
  } catch (err) {
    if (err instanceof TypeError || (err as Error).name === 'ConfigError') return false;
    throw err;
  }
};

describe('rules with one home, as every part that checks them sees them', () => {
  let knex: Knex;
  const plugin = (extra: Partial<MtaStsOptions>) => () => resolveOptions({ knex, mailHostname: 'mail.example.org', ...extra });
  before(() => {
    knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  });
  after(() => knex.destroy());

  // Not '': the settings read an empty value as "not set" (the preset's name then), which is not the rule's business.
  const NAMES = ['domain', '_x', 'Domain_2', 'a'.repeat(64), '1domain', 'a-b', 'a b', 'x;drop', 'ä', 'a'.repeat(65)];

  it('a table or column name: the options, the command settings and the mailcow import agree', async () => {
    for (const name of NAMES) {
      const byOptions = accepts(plugin({ domainTable: name }));
      const bySettings = accepts(() => resolveSettings({ domainTable: name }, {}));
      // The import checks the name before it asks whether the table exists (it does not here).
      const byImport = await readMailcowPolicies(knex, name).then(
        () => true,
        (err: Error) => /there is no table/.test(err.message),
      );
      assert.deepEqual([byOptions, bySettings, byImport], [byOptions, byOptions, byOptions], `"${name}"`);
      assert.equal(byOptions, /^[A-Za-z_]\w{0,63}$/.test(name), `"${name}"`);
    }
  });

  it("the table prefix: the plugin and the ACME client (which reads the plugin's tables) agree", () => {
    const acme = (tablePrefix: unknown) => () =>
      resolveManagerOptions(
        {
          service: {} as MtaStsService,
          knex,
          tablePrefix: tablePrefix as string,
          directoryUrl: 'https://acme.example.org/directory',
          email: 'admin@example.org',
          termsAccepted: true,
          encryptionKey: 'ab'.repeat(32),
          addresses: [],
        },
        consoleLogger,
        'test',
      );
    for (const prefix of [undefined, 'mta_sts_', 't_1_', 'a'.repeat(40), '', '1x_', 'a-b_', 'a'.repeat(41), 42]) {
      const byPlugin = accepts(plugin({ tablePrefix: prefix as string }));
      assert.equal(accepts(acme(prefix)), byPlugin, String(prefix));
    }
    assert.equal(resolveOptions({ knex, mailHostname: 'mail.example.org' }).tablePrefix, acme(undefined)().tablePrefix);
  });

  it('the languages: the options, the alert options and the command settings take exactly LOCALES', () => {
    for (const locale of [...LOCALES, 'fr', 'de-AT', 'EN', '']) {
      const supported = (LOCALES as readonly string[]).includes(locale);
      assert.equal(accepts(plugin({ locale: locale as never })), supported, `locale ${locale}`);
      assert.equal(accepts(plugin({ alerts: { locale: locale as never } })), supported, `alerts.locale ${locale}`);
      const pick = (name: string) => (name === 'alertLocale' ? locale : undefined);
      assert.equal(
        accepts(() => scheduleSettings(pick)),
        supported,
        `alertLocale ${locale}`,
      );
    }
  });

  it('the storage options of a part that opens the database itself are the preset schema, as the plugin resolves it', () => {
    for (const name of PRESET_NAMES) {
      const schema = presetSchema(name);
      const resolved = resolveOptions({ ...storageOptions(knex, schema, 'p_'), mailHostname: 'mail.example.org' });
      const { domainTable, domainColumn, domainActiveColumn, aliasDomains, policyTable, tablePrefix } = resolved;
      assert.deepEqual({ domainTable, domainColumn, domainActiveColumn, aliasDomains, policyTable, tablePrefix }, { ...schema, tablePrefix: 'p_' });
    }
  });
});
