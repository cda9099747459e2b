import assert from 'node:assert/strict';
import { CATALOGUES, LOCALES, format, translate, translator, type Locale, type MessageKey } from '../../src/i18n';

const ENGLISH = translator('en');
import { placeholdersOf } from '../../src/i18n/format';
import { negotiateLocale, parseAcceptLanguage, supportedLocale } from '../../src/i18n/negotiate';
import { SERVER_CATALOGUES } from '../../src/server/i18n';
import { errorText } from '../../src/web/errors';

const KEYS = Object.keys(CATALOGUES.en).sort() as MessageKey[];

// The same rules for every set of catalogues: the plugin's, and the standalone server's own pages'.
const SETS: Array<[string, { readonly [L in Locale]: Readonly<Record<string, string>> }]> = [
  ['the plugin', CATALOGUES],
  ['the server', SERVER_CATALOGUES],
];

for (const [name, catalogues] of SETS) {
  describe(`i18n: the catalogues of ${name}`, () => {
    const keys = Object.keys(catalogues.en).sort();
    for (const locale of LOCALES) {
      it(`${locale} has exactly the English keys, none empty`, () => {
        assert.deepEqual(Object.keys(catalogues[locale]).sort(), keys);
        for (const key of keys) assert.ok(catalogues[locale][key].trim().length > 0, `${locale} ${key} is empty`);
      });

      it(`${locale} uses exactly the placeholders of each English message`, () => {
        const wrong = keys
          .filter((key) => placeholdersOf(catalogues[locale][key]).join() !== placeholdersOf(catalogues.en[key]).join())
          .map((key) => `${key}: ${placeholdersOf(catalogues[locale][key]).join(',')} vs ${placeholdersOf(catalogues.en[key]).join(',')}`);
        assert.deepEqual(wrong, []);
      });

      it(`${locale} writes braces only as placeholders`, () => {
        for (const key of keys) assert.doesNotMatch(catalogues[locale][key].replace(/\{[A-Za-z][A-Za-z0-9_]*\}/g, ''), /[{}]/, `${locale} ${key}`);
      });
    }

    it('has both halves of every plural pair', () => {
      for (const key of keys.filter((k) => /\.(one|other)$/.test(k))) {
        const base = key.replace(/\.(one|other)$/, '');
        assert.ok(keys.includes(`${base}.one`) && keys.includes(`${base}.other`), base);
      }
    });
  });
}

describe('i18n: the catalogues', () => {
  it('is really translated: German differs from English except for names, formats and protocol words', () => {
    // The same in both languages: proper names, protocol output (HTTP, SMTP lines) and formats.
    const SAME = [
      'dns.title.dane',
      'dns.probe.failure',
      'dns.https.status',
      'dns.https.found.response',
      'dns.https.found.location',
      'dns.mxTls.reason',
      'dns.mxTls.found.host',
      'dns.mxTls.found.failed',
      'dns.mxTls.found.ok',
      'tab.status.label',
      'tab.label.version',
      'tab.maxAge.equals',
      'tab.records.name',
      'tab.check.colStatus',
      // The overview's column names and a protocol word.
      'overview.col.domain',
      'overview.col.maxAge',
      'overview.filters',
      'history.source.api',
      // The stored reports' column names and protocol names.
      'reports.files.dkim',
      'reports.files.download',
      'reports.files.organisation',
      'reports.files.via.https',
    ];
    assert.deepEqual(
      KEYS.filter((key) => CATALOGUES.de[key] === CATALOGUES.en[key]),
      SAME.sort(),
    );
  });

  it("is really translated for the server's pages: German differs except for names and the modes", () => {
    const SAME = ['nav.domains', 'domains.title', 'domains.domain', 'domains.mtaSts', 'state.testing', 'state.enforce'];
    const keys = Object.keys(SERVER_CATALOGUES.en) as Array<keyof typeof SERVER_CATALOGUES.en>;
    assert.deepEqual(keys.filter((key) => SERVER_CATALOGUES.de[key] === SERVER_CATALOGUES.en[key]).sort(), SAME.sort());
  });
});

describe('i18n: texts shared with the JSON API', () => {
  it('says the DNS Check rate limit on the tab in the words of the API', () => {
    const values = { limit: 3, window: 60, seconds: 40 };
    assert.equal(translate('en', 'notice.rateLimited', values), errorText('dnsCheckLimited', values));
    assert.equal(
      translate('de', 'notice.rateLimited', values),
      'Zu viele DNS-Prüfungen: höchstens 3 alle 60 Sekunden. Versuchen Sie es in 40 Sekunden erneut.',
    );
  });
});

describe('i18n: translating', () => {
  it('fills placeholders, leaving unknown ones visible', () => {
    assert.equal(format('{a} and {b}', { a: 1, b: 'x' }), '1 and x');
    assert.equal(format('{a} and {b}', { a: 1 }), '1 and {b}');
    assert.equal(format('{a}', { a: '{b}' }), '{b}', 'a value is not read as a template');
    assert.equal(translate('de', 'tab.heading', { domain: 'bücher.example' }), 'MTA-STS für bücher.example');
    assert.equal(translate('en', 'tab.heading', { domain: 'example.org' }), 'MTA-STS for example.org');
  });

  it('says plurals, lists and durations in each language', () => {
    const de = translator('de');
    assert.equal(ENGLISH.plural('tab.mx.uncovered', 1, { hosts: 'a' }), 'The MX host a matches no entry.');
    assert.equal(ENGLISH.plural('tab.mx.uncovered', 2, { hosts: 'a and b' }), 'The MX hosts a and b match no entry.');
    assert.equal(de.plural('tab.mx.uncovered', 2, { hosts: de.list(['a', 'b']) }), 'Die MX-Hosts a und b passen zu keinem Eintrag.');
    assert.deepEqual([ENGLISH.list([]), ENGLISH.list(['a']), ENGLISH.list(['a', 'b']), ENGLISH.list(['a', 'b', 'c'])], ['', 'a', 'a and b', 'a, b and c']);
    assert.equal(de.list(['a', 'b', 'c']), 'a, b und c');
    assert.deepEqual(
      [0, 1, 60, 3600, 86400, 90000, 604800, 1209600 + 3600, 31557600].map((s) => ENGLISH.duration(s)),
      ['0 seconds', '1 second', '1 minute', '1 hour', '1 day', '1 day 1 hour', '1 week', '2 weeks 1 hour', '52 weeks 1 day'],
    );
    assert.deepEqual(
      [1, 86400, 172800, 604800, 1814400].map((s) => de.duration(s)),
      ['1 Sekunde', '1 Tag', '2 Tage', '1 Woche', '3 Wochen'],
    );
    assert.equal(ENGLISH.duration(-1), '');
  });
});

describe('i18n: choosing the language from Accept-Language', () => {
  it('reads q-values, order and region tags', () => {
    assert.deepEqual(parseAcceptLanguage('de-DE,de;q=0.9,en;q=0.8'), ['de-de', 'de', 'en']);
    assert.deepEqual(parseAcceptLanguage('en;q=0.5, de'), ['de', 'en']);
    assert.deepEqual(parseAcceptLanguage('fr;q=0, de;q=0.1'), ['de'], 'q=0 means "not this"');
    assert.deepEqual(parseAcceptLanguage('*;q=0.1, bogus!!, de-AT'), ['de-at', '*'], 'a malformed entry is skipped, not fatal');
    assert.deepEqual(parseAcceptLanguage(undefined), []);
  });

  it('picks the best supported language, English when none fits', () => {
    const cases: Array<[string | undefined, string]> = [
      ['de-DE,de;q=0.9,en;q=0.8', 'de'],
      ['de-CH', 'de'],
      ['en-GB,de;q=0.5', 'en'],
      ['fr-FR,fr;q=0.9,de;q=0.8', 'de'],
      ['fr, it', 'en'],
      ['*', 'en'],
      ['', 'en'],
      [undefined, 'en'],
      ['de;q=0.2, en;q=0.3', 'en'],
    ];
    for (const [header, locale] of cases) assert.equal(negotiateLocale(header), locale, String(header));
  });

  it('accepts a language tag from the host in any usual spelling', () => {
    assert.deepEqual(['de', 'DE', 'de-DE', 'de_AT', ' en '].map(supportedLocale), ['de', 'de', 'de', 'de', 'en']);
    assert.deepEqual(['fr', 'german', '', 'd', null, 42].map(supportedLocale), [null, null, null, null, null, null]);
  });
});
