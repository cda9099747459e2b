import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { parseAcceptLanguage, supportedLocale } from '../../src/i18n/negotiate';
import { hostFromHeader, normalizeHost, parsePolicy, parseStsRecord } from '../../src/policy';
import { parseTlsRptRecord } from '../../src/tlsrpt';

// Every parser that reads outside input (policy bodies from a tenant's `mta-sts.` host, TXT
// records from its zone, request headers) runs in linear time: worst-case shapes of the largest
// size that can reach it must parse in well under 10 ms. The bound asserted is a generous 50 ms
// so a busy machine does not make the test flaky; a quadratic regex takes seconds on these
// (the old policy line regex: 3.7 s on the first shape).

const KIB64 = 64 * 1024;
const BOUND_MS = 50;
const measured: Array<[string, number]> = [];

/**
 * The fastest of five runs after one warm-up, in ms, by the wall clock (performance.now) and by
 * the process's CPU time; the smaller counts. Other load on the machine only ever adds wall time
 * (this machine is shared), and a super-linear parser is slow by both clocks in every run.
 */
function time(parse: () => unknown): number {
  parse();
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    parse();
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    best = Math.min(best, wall, (used.user + used.system) / 1000);
  }
  return best;
}

function pad(prefix: string, fill: string, suffix: string, size = KIB64): string {
  return prefix + fill.repeat(Math.floor((size - prefix.length - suffix.length) / fill.length)) + suffix;
}

const SHAPES: Array<[string, () => unknown]> = [
  ['policy: blanks then a letter in a value', () => parsePolicy(pad('version: STSv1\r\nmode: x', ' ', 'y'))],
  ['policy: tabs and blanks around a value', () => parsePolicy(pad('version: STSv1\r\nmode:', ' \t', 'y \t'))],
  ['policy: one huge key', () => parsePolicy(pad('', 'a', ''))],
  ['policy: colons only', () => parsePolicy(pad('', ':', ''))],
  ['policy: many short lines', () => parsePolicy(pad('', 'mx: a.b\r\n', ''))],
  ['policy: many blank-filled lines', () => parsePolicy(pad('', `k:${' '.repeat(60)}x\n`, ''))],
  ['policy: lone carriage returns', () => parsePolicy(pad('a:', '\r', 'b'))],
  ['sts record: blanks then a letter', () => parseStsRecord(pad('v=STSv1; id=1', ' ', 'x'))],
  ['sts record: blanks before the first ;', () => parseStsRecord(pad('v=STSv1', ' ', 'x'))],
  ['sts record: semicolons and blanks', () => parseStsRecord(pad('v=STSv1;', ' ; ', 'x'))],
  ['tls-rpt: blanks then a letter', () => parseTlsRptRecord(pad('v=TLSRPTv1; rua=mailto:a@b.c', ' ', 'x'))],
  ['tls-rpt: blanks between URIs', () => parseTlsRptRecord(pad('v=TLSRPTv1; rua=mailto:a@b.c,', ' ', 'x'))],
  ['tls-rpt: long dotted mail domain', () => parseTlsRptRecord(pad('v=TLSRPTv1; rua=mailto:a@', 'a.', '_'))],
  ['tls-rpt: many @ in a mailto', () => parseTlsRptRecord(pad('v=TLSRPTv1; rua=mailto:', 'a@', ''))],
  ['host header: 300 characters without a match', () => hostFromHeader(pad('', 'a', ':x', 300))],
  ['accept-language: blanks then a letter', () => parseAcceptLanguage(pad('en', ' ', 'x', 2000))],
  ['accept-language: many ranges', () => parseAcceptLanguage(pad('', 'de-DE-x;q=0.5 , ', '', 2000))],
  ['locale: blanks then a letter', () => supportedLocale(pad('de', ' ', 'x'))],
  ['locale: blanks first', () => supportedLocale(pad('', ' ', 'x'))],
  ['dns name: dots', () => normalizeHost(pad('', '.', 'x'))],
];

describe('parsers of outside input run in linear time (worst cases of 64 KiB)', () => {
  after(() => {
    const worst = measured.reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0]);
    console.log(`      slowest: ${worst[0]}: ${worst[1].toFixed(2)} ms (bound ${BOUND_MS} ms)`);
  });
  for (const [name, parse] of SHAPES) {
    it(name, () => {
      const ms = time(parse);
      measured.push([name, ms]);
      assert.ok(ms < BOUND_MS, `${name}: ${ms.toFixed(1)} ms`);
    });
  }

  it('refuses an over-long policy line before looking at it, and still reads the other lines', () => {
    const parsed = parsePolicy(`version: STSv1\r\nmode: none\r\nx: ${'a'.repeat(2000)}\r\nmax_age: 86400\r\n`);
    assert.equal(parsed.ok, false);
    if (!parsed.ok)
      assert.deepEqual(
        parsed.errors.map((e) => e.code),
        ['policyText.longLine'],
      );
  });

  it('keeps the grammar: blanks around values trimmed, fields split at ; with blanks only around it', () => {
    const parsed = parsePolicy('version:\tSTSv1 \r\nmode:  enforce\t\nmx: mail.example.org\nmax_age:86400\n');
    assert.deepEqual(parsed, { ok: true, policy: { version: 'STSv1', mode: 'enforce', mx: ['mail.example.org'], maxAge: 86400 } });
    assert.equal(parsePolicy('version: STSv1\rmode: none\nmax_age: 1\n').ok, false, 'a lone CR is not a line end');
    assert.deepEqual(parseStsRecord('v=STSv1 ;\tid=abc ; ext=1;'), { ok: true, id: 'abc', extensions: { ext: '1' } });
    assert.equal(parseStsRecord('v=STSv1; id=abc ').ok, false, 'a trailing blank is not part of the grammar');
    assert.deepEqual(parseTlsRptRecord('v=TLSRPTv1 ; rua=mailto:a@b.example , https://r.example/x ;'), {
      ok: true,
      rua: ['mailto:a@b.example', 'https://r.example/x'],
    });
  });
});
