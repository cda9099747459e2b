import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { parseAcceptLanguage, supportedLocale } from '../../src/i18n/negotiate';
import { hostFromHeader, normalizeHost, parsePolicy, parseStsRecord } from '../../src/policy';
import { gunzipLimited } from '../../src/service/inflate';
import { contentType, findReportPart, parseReport, parseRuaInput, parseTlsRptRecord, stsFingerprint, summarizeReport } from '../../src/reports';
import { googleSample } from '../support/report-samples';
import { KIB64, budget, fastest, fastestAsync, pad } from '../support/linear-time';

// Every parser that reads outside input runs in linear time. Each gets generated worst cases of
// 64 KiB (repeated separators, quotes, blanks, line breaks: the shapes that make a backtracking
// regex or a quadratic loop slow) and is held to a budget measured in the same run against a
// linear control: the same parser on a benign input of the same size. The old report-mail reader
// took seconds here (its Content-Type regex: 64 KiB of escaped quotes), the old policy-string
// reader tens of seconds for one 2 KiB line. test/security/redos-network.test.ts does the same
// for what arrives over sockets (DKIM headers, SMTP replies, HTTP answers).

const measured: Array<[string, number, number]> = [];

interface Shape {
  name: string;
  worst: () => unknown;
  /** The same parser on a benign input of the same size. */
  control: () => unknown;
}

const shape = (name: string, parse: (input: string) => unknown, worst: string, control: string): Shape => ({
  name,
  worst: () => parse(worst),
  control: () => parse(control),
});

// ---- policy file, STS and TLS-RPT records, request headers --------------------------------------
const POLICY_OK = pad('version: STSv1\r\nmode: testing\r\nmax_age: 86400\r\n', 'mx: mail.example.org\r\n', '');
const STS_OK = pad('v=STSv1; id=1', '; ext=1', '');
const TLSRPT_OK = pad('v=TLSRPTv1; rua=', 'mailto:a@b.example,', 'mailto:a@b.example');

const RECORDS: Shape[] = [
  shape('policy: blanks then a letter in a value', parsePolicy, pad('version: STSv1\r\nmode: x', ' ', 'y'), POLICY_OK),
  shape('policy: tabs and blanks around a value', parsePolicy, pad('version: STSv1\r\nmode:', ' \t', 'y \t'), POLICY_OK),
  shape('policy: one huge key', parsePolicy, pad('', 'a', ''), POLICY_OK),
  shape('policy: colons only', parsePolicy, pad('', ':', ''), POLICY_OK),
  shape('policy: many short lines', parsePolicy, pad('', 'mx: a.b\r\n', ''), POLICY_OK),
  shape('policy: many blank-filled lines', parsePolicy, pad('', `k:${' '.repeat(60)}x\n`, ''), POLICY_OK),
  shape('policy: lone carriage returns', parsePolicy, pad('a:', '\r', 'b'), POLICY_OK),
  shape('sts record: blanks then a letter', parseStsRecord, pad('v=STSv1; id=1', ' ', 'x'), STS_OK),
  shape('sts record: blanks before the first ;', parseStsRecord, pad('v=STSv1', ' ', 'x'), STS_OK),
  shape('sts record: semicolons and blanks', parseStsRecord, pad('v=STSv1;', ' ; ', 'x'), STS_OK),
  shape('sts record: equals signs', parseStsRecord, pad('v=STSv1; id', '=', ''), STS_OK),
  shape('tls-rpt: blanks then a letter', parseTlsRptRecord, pad('v=TLSRPTv1; rua=mailto:a@b.c', ' ', 'x'), TLSRPT_OK),
  shape('tls-rpt: blanks between URIs', parseTlsRptRecord, pad('v=TLSRPTv1; rua=mailto:a@b.c,', ' ', 'x'), TLSRPT_OK),
  shape('tls-rpt: long dotted mail domain', parseTlsRptRecord, pad('v=TLSRPTv1; rua=mailto:a@', 'a.', '_'), TLSRPT_OK),
  shape('tls-rpt: many @ in a mailto', parseTlsRptRecord, pad('v=TLSRPTv1; rua=mailto:', 'a@', ''), TLSRPT_OK),
  shape('rua setting: blanks and commas', parseRuaInput, pad('mailto:a@b.example', ' ,', 'x'), pad('', 'mailto:a@b.example ', '')),
  shape('host header: 300 characters without a match', hostFromHeader, pad('', 'a', ':x', 300), pad('', 'a.', 'b', 300)),
  shape('accept-language: blanks then a letter', parseAcceptLanguage, pad('en', ' ', 'x', 2000), pad('', 'de-DE;q=0.5, ', 'en', 2000)),
  shape('accept-language: many ranges', parseAcceptLanguage, pad('', 'de-DE-x;q=0.5 , ', '', 2000), pad('', 'de;q=0.5, ', 'en', 2000)),
  shape('locale: blanks then a letter', supportedLocale, pad('de', ' ', 'x'), pad('de', '-AT', '')),
  shape('locale: blanks first', supportedLocale, pad('', ' ', 'x'), pad('de', '-AT', '')),
  shape('dns name: dots', normalizeHost, pad('', '.', 'x'), pad('', 'a.', 'x')),
];

// ---- TLS reports (JSON, and the applied policy lines summed up from them) ----------------------
/** A report of about `size` characters whose STS policy carries `line`, then `filler` lines. */
function reportText(line: string, filler = `mx: ${'m'.repeat(2000)}.example.org`, size = KIB64): string {
  const sample = googleSample();
  const policy = (sample.policies as Array<{ policy: { 'policy-string': string[] } }>)[0].policy;
  const base = JSON.stringify(sample).length + line.length + 4;
  policy['policy-string'] = ['version: STSv1', line, ...Array<string>(Math.max(0, Math.floor((size - base) / (filler.length + 3)))).fill(filler)];
  return JSON.stringify(sample);
}
// The old `^\s*([A-Za-z_]+)\s*:\s*(.*?)\s*$`: blanks, then a value that cannot end the line.
const HOSTILE_LINE = `mode:${' '.repeat(2030)}x\ny`;
const BENIGN_LINE = `mode: ${'t'.repeat(2029)}xy`;
const summarize = (text: string) => {
  const parsed = parseReport(text);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return summarizeReport(parsed.report);
};

const REPORTS: Shape[] = [
  shape('report: a policy line of blanks before a line break', summarize, reportText(HOSTILE_LINE), reportText(BENIGN_LINE)),
  shape('report: every policy line so', summarize, reportText(HOSTILE_LINE, HOSTILE_LINE), reportText(BENIGN_LINE)),
  shape('sts fingerprint: one line of 64 KiB blanks before a line break', (l) => stsFingerprint([l]), pad('mode:', ' ', 'x\ny'), pad('mode: ', 't', '')),
  shape('sts fingerprint: colons and blanks', (l) => stsFingerprint([l]), pad('mx', ' : ', 'x\ny'), pad('mode: ', 't', '')),
  shape('report json: nesting brackets', parseReport, pad('', '[', ''), reportText(BENIGN_LINE)),
  shape('report json: escaped quotes', parseReport, pad('"', '\\"', ''), reportText(BENIGN_LINE)),
];

// ---- report mail (RFC 8460 section 5.3): headers, Content-Type, boundaries, encodings -----------
const GZ = gzipSync(JSON.stringify(googleSample())).toString('base64');
const mail = (top: string, parts: string[], boundary = 'b1') => [top, '', ...parts.flatMap((p) => [`--${boundary}`, p]), `--${boundary}--`, ''].join('\r\n');
const REPORT_PART = `Content-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n${GZ}`;
const TOP = 'Subject: Report\r\nContent-Type: multipart/report; report-type=tlsrpt; boundary="b1"';
/** A `size`-byte report mail with its header block (or a part) padded by `fill`, 64 KiB in all. */
const padded = (build: (fill: string) => string, unit: string) => {
  const room = KIB64 - build('').length;
  return build(unit.repeat(Math.max(0, Math.floor(room / unit.length))));
};
const MAIL_OK = padded((f) => mail(TOP, [`Content-Type: text/plain\r\n\r\n${f}`, REPORT_PART]), 'This is an aggregate TLS report.\r\n');
/** Multiparts nested to the depth the reader allows, each with a preamble of almost-delimiters. */
function nested(): string {
  const preamble = '--d\r\n'.repeat(Math.floor(KIB64 / 5 / 5));
  let inner = REPORT_PART;
  for (let depth = 1; depth <= 3; depth++) {
    inner = `Content-Type: multipart/mixed; boundary="d${depth}"\r\n\r\n${preamble}--d${depth}\r\n${inner}\r\n--d${depth}--\r\n${preamble}`;
  }
  return mail(TOP, [inner]);
}
const reader = (text: string) => findReportPart(Buffer.from(text, 'latin1'));

const MAIL: Shape[] = [
  shape(
    'mail: Content-Type parameter of escaped quotes, never closed',
    reader,
    padded((f) => mail(`Subject: Report\r\nContent-Type: multipart/report; boundary=${f}`, [REPORT_PART]), '\\"'),
    MAIL_OK,
  ),
  shape(
    'mail: Content-Type of semicolons and quotes',
    reader,
    padded((f) => mail(`${TOP}\r\nContent-Disposition: inline; ${f}`, [REPORT_PART]), '";'),
    MAIL_OK,
  ),
  shape('content-type: 64 KiB of escaped quotes', contentType, pad('multipart/report; boundary=', '\\"', ''), pad('multipart/report', '; a=b', '')),
  shape('content-type: 64 KiB of quoted semicolons', contentType, pad('text/plain; a=', '";', ''), pad('multipart/report', '; a=b', '')),
  shape('content-type: 64 KiB of equals signs', contentType, pad('text/plain; a', '=', ''), pad('multipart/report', '; a=b', '')),
  shape(
    'mail: folded header lines',
    reader,
    padded((f) => mail(`${TOP}\r\nX-Fold: a${f}`, [REPORT_PART]), '\r\n a'),
    MAIL_OK,
  ),
  shape(
    'mail: lone carriage returns in the header',
    reader,
    padded((f) => mail(`${TOP}\r\nX-Cr: ${f}x`, [REPORT_PART]), '\r'),
    MAIL_OK,
  ),
  shape(
    'mail: a header of colons',
    reader,
    padded((f) => mail(`${TOP}\r\n${f}`, [REPORT_PART]), ':'),
    MAIL_OK,
  ),
  shape('mail: blank lines only', reader, pad('', '\r\n', ''), MAIL_OK),
  shape(
    'mail: a body of almost-delimiters',
    reader,
    padded((f) => mail(TOP, [`Content-Type: text/plain\r\n\r\n${f}`, REPORT_PART]), '--b1x\r\n'),
    MAIL_OK,
  ),
  shape(
    'mail: a body of delimiters',
    reader,
    padded((f) => mail(TOP, [`Content-Type: text/plain\r\n\r\n${f}`, REPORT_PART]), '\r\n--b1\r\n'),
    MAIL_OK,
  ),
  shape(
    'mail: quoted-printable of equals signs',
    reader,
    padded((f) => mail(TOP, [`Content-Type: application/tlsrpt+json\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${f}`]), '=\r='),
    MAIL_OK,
  ),
  shape(
    'mail: quoted-printable of escaped bytes',
    reader,
    padded((f) => mail(TOP, [`Content-Type: application/tlsrpt+json\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${f}`]), '=41'),
    MAIL_OK,
  ),
  shape(
    'mail: base64 of characters outside the alphabet',
    reader,
    padded((f) => mail(TOP, [`Content-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n${f}`]), '!*'),
    MAIL_OK,
  ),
  shape('mail: multiparts nested as deep as allowed, long preambles', reader, nested(), MAIL_OK),
];

describe('parsers of outside input run in linear time (worst cases of 64 KiB)', function () {
  // A super-linear parser on the old code took tens of seconds per shape; let it fail, not time out.
  this.timeout(300_000);
  after(() => {
    const worst = measured.reduce((a, b) => (b[1] / b[2] > a[1] / a[2] ? b : a), ['', 0, 1]);
    console.log(`      largest share of its budget: ${worst[0]}: ${worst[1].toFixed(2)} ms of ${worst[2].toFixed(2)} ms`);
  });

  for (const s of [...RECORDS, ...REPORTS, ...MAIL]) {
    it(s.name, () => {
      const allowed = budget(fastest(s.control));
      const ms = fastest(s.worst, allowed);
      measured.push([s.name, ms, allowed]);
      assert.ok(ms <= allowed, `${s.name}: ${ms.toFixed(1)} ms, budget ${allowed.toFixed(1)} ms (20x the benign input of the same size + 10 ms)`);
    });
  }

  it('report by the gzip path (as posted to the HTTPS intake): a policy line of blanks before a line break', async () => {
    const pipeline = (gz: Buffer) => async () => {
      const inflated = await gunzipLimited(gz, 10 * 1024 * 1024);
      assert.ok(inflated.ok);
      return summarize(new TextDecoder('utf-8', { fatal: true }).decode(inflated.data));
    };
    const worst = pipeline(gzipSync(reportText(HOSTILE_LINE)));
    const control = pipeline(gzipSync(reportText(BENIGN_LINE)));
    const allowed = budget(await fastestAsync(control));
    const ms = await fastestAsync(worst, allowed);
    assert.ok(ms <= allowed, `${ms.toFixed(1)} ms, budget ${allowed.toFixed(1)} ms`);
  });

  it('the report-mail reader refuses over-long headers and parameters with a code, and still reads real mails', () => {
    const refused = (text: string) => findReportPart(Buffer.from(text, 'latin1'));
    assert.deepEqual(refused(mail(`${TOP}\r\nX-Long: ${'a'.repeat(17 * 1024)}`, [REPORT_PART])), { ok: false, code: 'mail.headerTooLong' });
    assert.deepEqual(refused(mail(`${TOP}\r\n${'X-Many: a\r\n'.repeat(7000)}X-End: b`, [REPORT_PART])), { ok: false, code: 'mail.headerTooLong' });
    assert.deepEqual(refused(mail(`${TOP}\r\nContent-Disposition: inline; filename="${'a'.repeat(1100)}"`, [REPORT_PART])), {
      ok: false,
      code: 'mail.headerTooLong',
    });
    assert.deepEqual(refused(mail(TOP, [`Content-Type: text/plain; name=${'a'.repeat(1100)}\r\n\r\nx`, REPORT_PART])), {
      ok: false,
      code: 'mail.headerTooLong',
    });
    const real = refused(mail(`${TOP}\r\nX-Fold: a\r\n b\r\n\tc`, [`Content-Type: text/plain; charset="utf-8"\r\n\r\nhello`, REPORT_PART]));
    assert.ok(real.ok && real.gzip && real.reportType === 'tlsrpt', JSON.stringify(real));
  });

  it('keeps the grammar of the applied policy lines: split at the first colon, blanks trimmed', () => {
    assert.equal(
      stsFingerprint(['version: STSv1', ' Mode :\tEnforce ', 'mx: B.example.', 'mx:a.example', 'max_age: 0604800 ']),
      'enforce|604800|a.example,b.example',
    );
    assert.equal(stsFingerprint(['mx: a.example', 'mode enforce', 'x-y: 1']), null, 'a line without a colon names no mode');
    assert.equal(stsFingerprint(['mode: testing: yes']), 'testing: yes||', 'the value runs to the end of the line');
    assert.equal(stsFingerprint(['mo de: testing']), null, 'the key is letters and _ only');
  });

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
