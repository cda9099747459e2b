import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, MODES, PolicySettings, applyChanges, parsePolicy, parseStsRecord, renderPolicy, stsRecordValue } from '../../src/policy';

/** Renders a policy, parses it back as a sender would, and checks nothing changed on the way. */
function roundTrip(policy: PolicySettings): string {
  const body = renderPolicy(policy);
  const parsed = parsePolicy(body);
  assert.equal(parsed.ok, true, `rendered policy does not parse: ${JSON.stringify(body)} ${JSON.stringify(parsed)}`);
  const { policy: back } = parsed;
  assert.deepEqual(back, { version: policy.version, mode: policy.mode, mx: policy.mx, maxAge: policy.maxAge }, `round trip of ${JSON.stringify(body)}`);
  return body;
}

/** What a person types in the form, validated, rendered and parsed back. */
function fromForm(fields: Record<string, string>): { settings: PolicySettings; body: string } {
  const result = applyChanges(DEFAULT_SETTINGS, fields, 'form');
  assert.equal(result.ok, true, JSON.stringify(result));
  const settings = result.value;
  return { settings, body: roundTrip(settings) };
}

describe('renderPolicy (RFC 8461 section 3.2)', () => {
  it('renders the example policy exactly', () => {
    const body = renderPolicy({ version: 'STSv1', mode: 'enforce', mx: ['mail.example.org', '*.mx.example.net'], maxAge: 604800 });
    assert.equal(body, 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.mx.example.net\r\nmax_age: 604800\r\n');
  });

  it('puts version first, then mode, one mx line per entry in order, then max_age', () => {
    const mx = ['c.example.org', 'a.example.org', '*.b.example.org'];
    const lines = renderPolicy({ version: 'STSv1', mode: 'testing', mx, maxAge: 86400 }).split('\r\n');
    assert.deepEqual(lines, ['version: STSv1', 'mode: testing', 'mx: c.example.org', 'mx: a.example.org', 'mx: *.b.example.org', 'max_age: 86400', '']);
  });

  it('ends every line with CRLF and has no bare LF or CR', () => {
    const body = renderPolicy({ version: 'STSv1', mode: 'enforce', mx: ['a.example.org', 'b.example.org'], maxAge: 1 });
    assert.ok(body.endsWith('\r\n'));
    assert.equal(body.replace(/\r\n/g, '').match(/[\r\n]/), null, JSON.stringify(body));
    assert.equal(body.split('\r\n').length - 1, 5);
  });

  it('renders mode none without mx lines', () => {
    assert.equal(renderPolicy({ version: 'STSv1', mode: 'none', mx: [], maxAge: 300 }), 'version: STSv1\r\nmode: none\r\nmax_age: 300\r\n');
  });

  it('renders max_age as plain digits', () => {
    for (const maxAge of [0, 7, 86400, 31557600]) {
      assert.match(renderPolicy({ version: 'STSv1', mode: 'none', mx: [], maxAge }), new RegExp(`\\r\\nmax_age: ${maxAge}\\r\\n$`));
    }
  });

  it('serves MX entries typed in Unicode as A-labels', () => {
    const { body } = fromForm({ mode: 'enforce', mx: 'mx.bücher.example, *.München.example.', maxAge: '86400' });
    assert.ok(body.includes('\r\nmx: mx.xn--bcher-kva.example\r\nmx: *.xn--mnchen-3ya.example\r\n'), body);
    assert.match(body, /^[\x00-\x7f]*$/, 'the body is US-ASCII');
  });

  it('is ASCII and under 64 KiB even with the largest allowed policy', () => {
    const mx = Array.from(
      { length: 100 },
      (_, i) => `${'m'.repeat(60)}${String(i).padStart(3, '0')}.${'x'.repeat(63)}.${'y'.repeat(63)}.${'z'.repeat(57)}.org`,
    );
    const body = roundTrip({ active: true, version: 'STSv1', mode: 'enforce', mx, maxAge: 31557600 });
    assert.ok(Buffer.byteLength(body) < 64 * 1024);
  });
});

describe('rendered policies parse back to the same values', () => {
  const mxLists: string[][] = [
    ['mail.example.org'],
    ['*.example.org'],
    ['mx1.example.org', 'mx2.example.org', '*.backup.example.net'],
    ['xn--bcher-kva.example', '*.xn--mnchen-3ya.example'],
    [`${'a'.repeat(63)}.example.org`, '1.example.org', 'a-b.c-d.example'],
  ];
  const maxAges = [0, 1, 300, 86400, 604800, 31557600];

  it('for every mode, MX list and max age', () => {
    let count = 0;
    for (const mode of MODES) {
      for (const mx of mode === 'none' ? [[], ...mxLists] : mxLists) {
        for (const maxAge of maxAges) {
          roundTrip({ active: true, version: 'STSv1', mode, mx, maxAge });
          count += 1;
        }
      }
    }
    assert.equal(count, 3 * 5 * 6 + 6);
  });

  it('for whatever a person types in the form', () => {
    const typed = [
      { mode: 'enforce', mx: 'MAIL.Example.org.', maxAge: '604800' },
      { mode: 'testing', mx: 'mx1.example.org,mx2.example.org', maxAge: '0' },
      { mode: 'testing', mx: ' *.Example.NET \n mx.bücher.example ,mx.bücher.example', maxAge: ' 31557600 ' },
      { mode: 'none', mx: '', maxAge: '300' },
      { mode: 'none', mx: 'old.example.org', maxAge: '86400' },
      { mode: 'enforce', mx: 'пример.рф *.пример.рф', maxAge: '86400' },
    ];
    for (const fields of typed) fromForm(fields);
  });

  it('for generated policies', () => {
    // A small deterministic generator, so that a failure can be reproduced.
    let seed = 12345;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const labelOf = () => {
      const length = 1 + next(20);
      let out = alphabet[next(26)];
      for (let i = 1; i < length; i++) out += i === length - 1 ? alphabet[next(36)] : next(8) === 0 ? '-' : alphabet[next(36)];
      return out;
    };
    for (let i = 0; i < 300; i++) {
      const mode = MODES[next(3)];
      const mx = [...new Set(Array.from({ length: (mode === 'none' ? 0 : 1) + next(5) }, () => `${next(3) === 0 ? '*.' : ''}${labelOf()}.${labelOf()}.org`))];
      roundTrip({ active: next(2) === 0, version: 'STSv1', mode, mx, maxAge: next(31557601) });
    }
  });
});

describe('stsRecordValue', () => {
  it('is the TXT record the guide asks for, and parses back to the same id', () => {
    assert.equal(stsRecordValue('20261128120000'), 'v=STSv1; id=20261128120000');
    for (const id of ['20261128120000', '2024090101', 'a', 'A1b2C3', '9'.repeat(32)]) {
      const parsed = parseStsRecord(stsRecordValue(id));
      assert.deepEqual(parsed, { ok: true, id, extensions: {} });
    }
  });
});
