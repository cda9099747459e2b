import assert from 'node:assert/strict';
import { CATALOGUES, format } from '../../src/i18n';
import { sayText } from '../../src/i18n/text';
import { joined, list, msg, original, plural, sentences } from '../../src/text';

// Text is data until said: the same value says one thing in English and the same in German.

describe('i18n: Text said in a language', () => {
  it('fills a message with text said in the same language, lists included', () => {
    const text = msg('dns.mx.add', { hosts: list(['a.example', 'b.example', 'c.example']) });
    assert.equal(sayText('en', text), 'Add a.example, b.example and c.example to the MX entries.');
    assert.equal(sayText('de', text), format(CATALOGUES.de['dns.mx.add'], { hosts: 'a.example, b.example und c.example' }));
  });

  it('chooses the plural form by count and sets {count}', () => {
    assert.equal(
      sayText('en', plural('dns.stsTxt.others', 1, { name: 'n' })),
      'n also holds 1 other TXT record; senders ignore it, so remove it if left over.',
    );
    assert.equal(
      sayText('en', plural('dns.stsTxt.others', 3, { name: 'n' })),
      'n also holds 3 other TXT records; senders ignore them, so remove them if left over.',
    );
  });

  it('keeps a technical English original in English and says its translation elsewhere', () => {
    const text = original('resolver 192.0.2.53:53 did not answer within 2 s', msg('dns.lookup.timeout', { server: '192.0.2.53:53' }));
    assert.equal(sayText('en', text), 'resolver 192.0.2.53:53 did not answer within 2 s');
    assert.equal(sayText('de', text), 'Resolver 192.0.2.53:53 hat nicht rechtzeitig geantwortet');
  });

  it('joins sentences, leaving out notes that do not apply, and joins lines as given', () => {
    assert.equal(sayText('en', sentences(msg('dns.mx.ok'), false, undefined, null, 'Extra.')), 'Every MX host matches an MX entry of the policy. Extra.');
    assert.equal(sayText('en', joined(['a', '', 'b'], '\n')), 'a\n\nb');
    assert.equal(sayText('de', 'v=STSv1; id=1'), 'v=STSv1; id=1', 'plain strings are technical text, the same in every language');
  });
});
