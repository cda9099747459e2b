import assert from 'node:assert/strict';
import { hostFromHeader, isHostName, parseHostHeader, toALabel, toULabel } from '../../src/policy';

const label = (length: number, char = 'a') => char.repeat(length);

/** A name of exactly `length` characters made of 63-character (or shorter) labels. */
function nameOfLength(length: number): string {
  const labels: string[] = [];
  let left = length;
  while (left > 0) {
    const size = Math.min(63, left === 64 ? 62 : left);
    labels.push(label(size, 'b'));
    left -= size + 1;
  }
  const name = labels.join('.');
  assert.equal(name.length, length, 'test helper built a name of the wrong length');
  return name;
}

describe('host names', () => {
  describe('toALabel', () => {
    it('lower-cases and removes one trailing dot', () => {
      assert.equal(toALabel('Mail.Example.ORG'), 'mail.example.org');
      assert.equal(toALabel('mail.example.org.'), 'mail.example.org');
      assert.equal(toALabel('  mail.example.org.  '), 'mail.example.org');
    });

    it('turns Unicode names into A-labels', () => {
      assert.equal(toALabel('bücher.example'), 'xn--bcher-kva.example');
      assert.equal(toALabel('BÜCHER.example.'), 'xn--bcher-kva.example');
      assert.equal(toALabel('mx.münchen.example'), 'mx.xn--mnchen-3ya.example');
      assert.equal(toALabel('пример.рф'), 'xn--e1afmkfd.xn--p1ai');
    });

    it('keeps names that already are A-labels', () => {
      assert.equal(toALabel('xn--bcher-kva.example'), 'xn--bcher-kva.example');
      assert.equal(toALabel('XN--BCHER-KVA.Example'), 'xn--bcher-kva.example');
    });

    it('accepts labels of 1 to 63 characters and names of up to 253 characters', () => {
      assert.equal(toALabel('a.io'), 'a.io');
      assert.equal(toALabel(`${label(63)}.example.org`), `${label(63)}.example.org`);
      const longest = `${nameOfLength(249)}.org`;
      assert.equal(longest.length, 253);
      assert.equal(toALabel(longest), longest);
      assert.equal(toALabel(`${longest}.`), longest, 'the trailing dot does not count');
    });

    it('rejects a label of 64 characters and a name of 254 characters', () => {
      assert.equal(toALabel(`${label(64)}.example.org`), null);
      const tooLong = `${nameOfLength(250)}.org`;
      assert.equal(tooLong.length, 254);
      assert.equal(toALabel(tooLong), null);
    });

    it('rejects names that are not LDH host names of two or more labels', () => {
      for (const bad of [
        '',
        '.',
        'localhost',
        'org.',
        '-mail.example.org',
        'mail-.example.org',
        'mail..example.org',
        '.example.org',
        'mail_1.example.org',
        'mail example.org',
        'mail.example.org..',
        '*.example.org',
        'mx*.example.org',
        'a.*.example.org',
        'mail.example.org:25',
        'user@example.org',
        'exa!mple.org',
      ]) {
        assert.equal(toALabel(bad), null, `${JSON.stringify(bad)} should be rejected`);
      }
    });

    it('rejects IP addresses and their shorthands', () => {
      for (const bad of ['192.0.2.1', '192.0.2.1.', '0x7f.1', '127.1', '::1', '[::1]', '2001:db8::1']) {
        assert.equal(toALabel(bad), null, `${bad} is not a host name`);
      }
    });

    it('rejects a Unicode name whose A-label form is too long', () => {
      assert.equal(toALabel(`${'ü'.repeat(60)}.example`), null);
    });
  });

  describe('isHostName', () => {
    it('is true only for canonical (lower-case) names', () => {
      assert.equal(isHostName('mail.example.org'), true);
      assert.equal(isHostName('xn--bcher-kva.example'), true);
      assert.equal(isHostName('Mail.example.org'), false);
      assert.equal(isHostName('bücher.example'), false);
      assert.equal(isHostName('mail.example.org.'), false);
      assert.equal(isHostName('mail.123'), false, 'an all-numeric last label makes an IPv4 literal');
      assert.equal(isHostName('123.example.org'), true, 'digits-only labels elsewhere are fine');
    });
  });

  describe('toULabel', () => {
    it('shows A-labels in Unicode and leaves ASCII names alone', () => {
      assert.equal(toULabel('xn--bcher-kva.example'), 'bücher.example');
      assert.equal(toULabel('mx.xn--mnchen-3ya.example'), 'mx.münchen.example');
      assert.equal(toULabel('mail.example.org'), 'mail.example.org');
    });

    it('round-trips with toALabel', () => {
      for (const name of ['bücher.example', 'mx.münchen.example', 'пример.рф', 'example.org']) {
        assert.equal(toULabel(toALabel(name) as string), name);
      }
    });
  });

  describe('parseHostHeader (RFC 9110 uri-host [":" port], strictly)', () => {
    it('refuses values a URL-style or IDNA-mapping parse once turned into a served name', () => {
      for (const bad of [
        'mta-sts.example.org\\\u00fc',
        'mta-sts.example.org/-org\u00fc',
        'mta-sts.example.org .',
        'mta-sts.exam\u00adple.org',
        'mta-sts.ex\u00aample.org',
        'user@mta-sts.example.org',
        'mta-sts.example.org:44a',
        'mta-sts.example.org:443:443',
        'a%4',
        '[::1',
        '[]',
        '',
        ' ',
      ]) {
        assert.deepEqual(parseHostHeader(bad), { valid: false }, JSON.stringify(bad));
      }
    });

    it('accepts valid hosts that name no policy with name null (IP addresses, %-escapes, an empty port)', () => {
      for (const ok of ['127.0.0.1', '[::1]:443', '[v1.x]', 'mta-sts.example%2Eorg', 'mta-sts.example.org:', 'under_score.example', 'example.org:99999']) {
        assert.deepEqual(parseHostHeader(ok), { valid: true, name: null }, JSON.stringify(ok));
      }
      assert.deepEqual(parseHostHeader('MTA-STS.B\u00dcCHER.example.:443'), { valid: true, name: 'mta-sts.xn--bcher-kva.example' });
    });

    it('reads a 100,000-character value in linear time (no backtracking)', () => {
      const started = process.hrtime.bigint();
      for (const unit of ['a.', ':', '%4', '\u00fc', '[']) parseHostHeader(unit.repeat(50_000));
      assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 2000, 'well under 2 s');
    });
  });

  describe('hostFromHeader', () => {
    it('reads the host a sender asks for, in any case, with port or trailing dot', () => {
      assert.equal(hostFromHeader('mta-sts.example.org'), 'mta-sts.example.org');
      assert.equal(hostFromHeader('MTA-STS.Example.ORG'), 'mta-sts.example.org');
      assert.equal(hostFromHeader('mta-sts.example.org.'), 'mta-sts.example.org');
      assert.equal(hostFromHeader('mta-sts.example.org:443'), 'mta-sts.example.org');
      assert.equal(hostFromHeader('mta-sts.example.org.:443'), 'mta-sts.example.org');
    });

    it('gives A-labels for Unicode hosts', () => {
      assert.equal(hostFromHeader('mta-sts.bücher.example'), 'mta-sts.xn--bcher-kva.example');
    });

    it('rejects missing headers, IP literals and garbage', () => {
      for (const bad of [
        undefined,
        '',
        '192.0.2.1',
        '192.0.2.1:443',
        '[2001:db8::1]',
        '[::1]:443',
        'user@example.org',
        'example.org:',
        'example.org:abc',
        'a'.repeat(301),
        'exa mple.org',
      ]) {
        assert.equal(hostFromHeader(bad), null, `${JSON.stringify(bad)} should be rejected`);
      }
    });
  });
});
