import assert from 'node:assert/strict';
import { parsePolicy, parseStsRecord } from '../../src/policy';

function policyOf(text: string) {
  const result = parsePolicy(text);
  assert.equal(result.ok, true, `expected ${JSON.stringify(text)} to parse, got ${JSON.stringify(result)}`);
  return result.policy;
}

function policyErrors(text: string): string[] {
  const result = parsePolicy(text);
  assert.equal(result.ok, false, `expected ${JSON.stringify(text)} to be rejected`);
  return result.errors.map((problem) => problem.message);
}

const lines = (...items: string[]) => items.map((line) => `${line}\r\n`).join('');

describe('parsePolicy', () => {
  it('reads the RFC example with CRLF', () => {
    assert.deepEqual(policyOf(lines('version: STSv1', 'mode: enforce', 'mx: mail.example.org', 'mx: *.mx.example.net', 'max_age: 604800')), {
      version: 'STSv1',
      mode: 'enforce',
      mx: ['mail.example.org', '*.mx.example.net'],
      maxAge: 604800,
    });
  });

  it('also reads LF line endings and a last line without an ending (erratum 6253)', () => {
    const expected = { version: 'STSv1', mode: 'testing', mx: ['mx.example.org'], maxAge: 86400 };
    assert.deepEqual(policyOf('version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: 86400\n'), expected);
    assert.deepEqual(policyOf('version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: 86400'), expected);
  });

  it('ignores unknown keys and blanks around values, and takes the first of a repeated key', () => {
    const policy = policyOf(lines('version: STSv1', 'x-note: hello', 'mode:enforce', 'mode: none', 'mx:   mx.example.org  ', 'max_age: 60', 'max_age: 99'));
    assert.deepEqual(policy, { version: 'STSv1', mode: 'enforce', mx: ['mx.example.org'], maxAge: 60 });
  });

  it('accepts mode none without mx lines', () => {
    assert.deepEqual(policyOf(lines('version: STSv1', 'mode: none', 'max_age: 0')), { version: 'STSv1', mode: 'none', mx: [], maxAge: 0 });
  });

  it('requires version, mode and max_age', () => {
    assert.ok(policyErrors(lines('mode: none', 'max_age: 1')).some((e) => /version/.test(e)));
    assert.ok(policyErrors(lines('version: STSv1', 'max_age: 1')).some((e) => /mode/.test(e)));
    assert.ok(policyErrors(lines('version: STSv1', 'mode: none')).some((e) => /max_age/.test(e)));
    assert.ok(policyErrors('').length >= 3);
  });

  it('rejects a wrong version or mode', () => {
    assert.ok(policyErrors(lines('version: STSv2', 'mode: none', 'max_age: 1')).some((e) => /STSv2/.test(e)));
    assert.ok(policyErrors(lines('version: STSv1', 'mode: strict', 'mx: a.example.org', 'max_age: 1')).some((e) => /strict/.test(e)));
  });

  it('needs an mx line in testing and enforce', () => {
    for (const mode of ['testing', 'enforce']) {
      assert.ok(policyErrors(lines('version: STSv1', `mode: ${mode}`, 'max_age: 86400')).some((e) => /mx/.test(e)));
    }
  });

  it('accepts max_age from 0 to 31557600 as plain digits only', () => {
    assert.equal(policyOf(lines('version: STSv1', 'mode: none', 'max_age: 31557600')).maxAge, 31557600);
    for (const bad of ['31557601', '-1', '+5', '1.5', '1e3', '0x10', '', 'one day', '99999999999']) {
      assert.ok(
        policyErrors(lines('version: STSv1', 'mode: none', `max_age: ${bad}`)).some((e) => /max_age/.test(e)),
        bad,
      );
    }
  });

  it('rejects mx patterns that are not A-label host names or *. plus one', () => {
    for (const bad of ['mx.bücher.example', '*foo.example.org', 'a.*.example.org', '*', 'localhost', '192.0.2.1']) {
      assert.ok(
        policyErrors(lines('version: STSv1', 'mode: enforce', `mx: ${bad}`, 'max_age: 1')).some((e) => e.includes(bad)),
        bad,
      );
    }
  });

  it('rejects lines that are not key: value', () => {
    assert.ok(policyErrors(lines('version: STSv1', 'mode none', 'mode: none', 'max_age: 1')).some((e) => /line 2/.test(e)));
  });
});

describe('parseStsRecord (RFC 8461 section 3.1)', () => {
  it('reads the id with or without blanks and a trailing semicolon', () => {
    for (const record of ['v=STSv1; id=20261128120000', 'v=STSv1;id=20261128120000;', 'v=STSv1 ; id=20261128120000 ;', 'v=STSv1;\tid=20261128120000; ']) {
      assert.deepEqual(parseStsRecord(record), { ok: true, id: '20261128120000', extensions: {} }, record);
    }
  });

  it('keeps extensions apart from the id', () => {
    assert.deepEqual(parseStsRecord('v=STSv1; id=abc123; ext-1=value.x'), { ok: true, id: 'abc123', extensions: { 'ext-1': 'value.x' } });
  });

  it('accepts ids of 1 to 32 letters and digits', () => {
    for (const id of ['1', 'a', '2024090101', 'ABCdef123', '9'.repeat(32)]) assert.equal(parseStsRecord(`v=STSv1; id=${id}`).ok, true, id);
  });

  it('rejects ids with other characters or longer than 32', () => {
    for (const id of ['2024-09-01', '20240901.1', 'a_b', '12:00', '9'.repeat(33), '']) {
      assert.equal(parseStsRecord(`v=STSv1; id=${id}`).ok, false, id);
    }
  });

  it('rejects records that do not begin with v=STSv1; or have no single id', () => {
    for (const record of [
      'v=STSv1',
      'id=1; v=STSv1',
      ' v=STSv1; id=1',
      'v=STSv2; id=1',
      'v=stsv1; id=1',
      'v=STSv1; ',
      'v=STSv1; id=1; id=2',
      'v=STSv1;; id=1',
      'v=STSv1; id=1;;',
      'v=STSv1; id',
    ]) {
      assert.equal(parseStsRecord(record).ok, false, record);
    }
  });
});
