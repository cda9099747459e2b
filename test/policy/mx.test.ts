import assert from 'node:assert/strict';
import { MAX_MX_ENTRIES, mxMatches, normalizeMxPattern, parseMxEntries } from '../../src/policy';

function entries(input: string | string[]): string[] {
  const result = parseMxEntries(input);
  assert.equal(result.ok, true, `expected ${JSON.stringify(input)} to parse, got ${JSON.stringify(result)}`);
  return result.mx;
}

function rejection(input: string | string[]): string {
  const result = parseMxEntries(input);
  assert.equal(result.ok, false, `expected ${JSON.stringify(input)} to be rejected, got ${JSON.stringify(result)}`);
  return (result as { ok: false; message: string }).message;
}

describe('MX entries', () => {
  describe('parseMxEntries', () => {
    it('splits on commas, on whitespace and on both', () => {
      const expected = ['mx1.example.org', 'mx2.example.org', 'mx3.example.org'];
      assert.deepEqual(entries('mx1.example.org,mx2.example.org,mx3.example.org'), expected);
      assert.deepEqual(entries('mx1.example.org mx2.example.org\tmx3.example.org'), expected);
      assert.deepEqual(entries('mx1.example.org, mx2.example.org ,\n mx3.example.org'), expected);
      assert.deepEqual(entries('mx1.example.org\r\nmx2.example.org\n\nmx3.example.org'), expected);
      assert.deepEqual(entries(' ,mx1.example.org,,mx2.example.org, ,mx3.example.org, '), expected);
    });

    it('accepts a list, and splits list items too', () => {
      assert.deepEqual(entries(['mx1.example.org', 'mx2.example.org, mx3.example.org']), ['mx1.example.org', 'mx2.example.org', 'mx3.example.org']);
    });

    it('lower-cases, removes trailing dots and drops duplicates, keeping the first order', () => {
      assert.deepEqual(entries('MX2.Example.org., mx1.example.org, mx2.example.org, MX1.EXAMPLE.ORG.'), ['mx2.example.org', 'mx1.example.org']);
      assert.deepEqual(entries('*.Example.ORG. *.example.org'), ['*.example.org']);
    });

    it('turns Unicode entries into A-labels and treats both spellings as one entry', () => {
      assert.deepEqual(entries('mx.bücher.example, *.Bücher.example'), ['mx.xn--bcher-kva.example', '*.xn--bcher-kva.example']);
      assert.deepEqual(entries('mx.bücher.example mx.xn--bcher-kva.example'), ['mx.xn--bcher-kva.example']);
    });

    it('accepts a wildcard as the whole leftmost label', () => {
      assert.deepEqual(entries('*.example.org'), ['*.example.org']);
      assert.deepEqual(entries('*.mx.example.net'), ['*.mx.example.net']);
    });

    it('rejects a wildcard anywhere else, or a bare *', () => {
      for (const bad of [
        '*foo.example.org',
        'foo*.example.org',
        'a.*.example.org',
        '*',
        '*.',
        '*.*.example.org',
        '**.example.org',
        'example.*',
        '*example.org',
      ]) {
        const message = rejection(`mx1.example.org, ${bad}`);
        assert.ok(message.includes(`"${bad}"`), `the message should quote the bad entry ${bad}: ${message}`);
      }
    });

    it('rejects entries that are not host names', () => {
      for (const bad of [
        'localhost',
        'mx1',
        '192.0.2.25',
        '-mx.example.org',
        'mx_1.example.org',
        `${'a'.repeat(64)}.example.org`,
        'mail.example.org:25',
        '[2001:db8::25]',
      ]) {
        rejection(bad);
      }
    });

    it('names every bad entry, each with its own reason code', () => {
      const result = parseMxEntries(
        '192.0.2.25, mail.example.org, https://mx.example.org/, mail.example.org:25, mail..example.org, *.*.example.org, ' +
          `mx.${'a'.repeat(64)}.example.org, ${'abcdefghi.'.repeat(26)}example.org, *.com, [2001:db8::25], a*.example.org, mx_1.example.org`,
      );
      assert.equal(result.ok, false);
      const problems = (result as unknown as { problems: Array<{ code: string; params: { entry: string }; message: string }> }).problems;
      assert.deepEqual(
        problems.map((p) => [p.params.entry.slice(0, 24), p.code]),
        [
          ['192.0.2.25', 'field.mx.ipAddress'],
          ['https://mx.example.org/', 'field.mx.url'],
          ['mail.example.org:25', 'field.mx.url'],
          ['mail..example.org', 'field.mx.emptyLabel'],
          ['*.*.example.org', 'field.mx.wildcard'],
          [`mx.${'a'.repeat(21)}`, 'field.mx.labelTooLong'],
          ['abcdefghi.abcdefghi.abcd', 'field.mx.nameTooLong'],
          ['*.com', 'field.mx.broadWildcard'],
          ['[2001:db8::25]', 'field.mx.ipAddress'],
          ['a*.example.org', 'field.mx.wildcard'],
          ['mx_1.example.org', 'field.mx.badEntry'],
        ],
      );
      assert.match(
        problems[0].message,
        /^MX entries have a problem: "192\.0\.2\.25" is an IP address\. IP addresses are not allowed: use the host name of the MX$/,
      );
      assert.match(problems[1].message, /only the host name/);
    });

    it('gives an empty list for empty input (the caller decides whether that is allowed)', () => {
      assert.deepEqual(entries(''), []);
      assert.deepEqual(entries(' , \n '), []);
      assert.deepEqual(entries([]), []);
    });

    it(`allows at most ${MAX_MX_ENTRIES} distinct entries`, () => {
      const names = (n: number) => Array.from({ length: n }, (_, i) => `mx${i}.example.org`);
      assert.equal(entries(names(MAX_MX_ENTRIES).join(',')).length, MAX_MX_ENTRIES);
      assert.equal(entries([...names(MAX_MX_ENTRIES), ...names(MAX_MX_ENTRIES)]).length, MAX_MX_ENTRIES, 'duplicates do not count');
      assert.match(rejection(names(MAX_MX_ENTRIES + 1).join(' ')), new RegExp(String(MAX_MX_ENTRIES)));
    });
  });

  describe('normalizeMxPattern', () => {
    it('gives the canonical pattern or null', () => {
      assert.equal(normalizeMxPattern(' *.MX.Example.org. '), '*.mx.example.org');
      assert.equal(normalizeMxPattern('*.bücher.example'), '*.xn--bcher-kva.example');
      assert.equal(normalizeMxPattern('*.org'), null, 'the part after *. must itself be a host name');
      assert.equal(normalizeMxPattern('a.*.example.org'), null);
    });
  });

  describe('mxMatches (RFC 8461 section 4.1)', () => {
    it('matches a plain pattern against only the same host', () => {
      assert.equal(mxMatches('mail.example.org', 'mail.example.org'), true);
      assert.equal(mxMatches('mail.example.org', 'mx.mail.example.org'), false);
      assert.equal(mxMatches('mail.example.org', 'example.org'), false);
      assert.equal(mxMatches('mail.example.org', 'mail.example.org.evil.net'), false);
      assert.equal(mxMatches('mail.example.org', 'xmail.example.org'), false);
    });

    it('matches *.example.org against exactly one extra leftmost label', () => {
      assert.equal(mxMatches('*.example.org', 'mx1.example.org'), true);
      assert.equal(mxMatches('*.example.org', 'example.org'), false);
      assert.equal(mxMatches('*.example.org', 'a.b.example.org'), false);
      assert.equal(mxMatches('*.example.org', '.example.org'), false);
      assert.equal(mxMatches('*.example.org', 'mx1.example.org.evil.net'), false);
      assert.equal(mxMatches('*.example.org', 'mx1.badexample.org'), false);
      assert.equal(mxMatches('*.example.org', 'mx1example.org'), false);
    });

    it('ignores case on both sides', () => {
      assert.equal(mxMatches('*.Example.ORG', 'MX1.example.org'), true);
      assert.equal(mxMatches('MAIL.example.org', 'mail.EXAMPLE.org'), true);
    });

    it('ignores a trailing dot on both sides', () => {
      assert.equal(mxMatches('mail.example.org.', 'mail.example.org'), true);
      assert.equal(mxMatches('mail.example.org', 'mail.example.org.'), true);
      assert.equal(mxMatches('*.example.org', 'mx1.example.org.'), true);
      assert.equal(mxMatches('*.example.org.', 'mx1.example.org'), true);
      assert.equal(mxMatches('*.example.org', 'example.org.'), false);
      assert.equal(mxMatches('*.example.org', 'a.b.example.org.'), false);
    });

    it('lists the patterns of a policy that match a host', () => {
      const patterns = ['mail.example.org', '*.example.org', '*.mx.example.org', 'backup.example.net'];
      assert.deepEqual(
        patterns.filter((pattern) => mxMatches(pattern, 'mail.example.org')),
        ['mail.example.org', '*.example.org'],
      );
      assert.deepEqual(
        patterns.filter((pattern) => mxMatches(pattern, 'a.mx.example.org')),
        ['*.mx.example.org'],
      );
      assert.deepEqual(
        patterns.filter((pattern) => mxMatches(pattern, 'a.b.mx.example.org')),
        [],
      );
    });
  });
});
