import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { contentType, findReportPart } from '../../src/reports';

const REPORT = '{"organization-name":"x"}';

function mail(parts: string[], top = 'multipart/report; report-type="tlsrpt"; boundary="b1"'): Buffer {
  return Buffer.from([`Subject: Report`, `Content-Type: ${top}`, '', ...parts.flatMap((p) => ['--b1', p]), '--b1--', ''].join('\r\n'), 'latin1');
}

describe('the report part of a TLS report mail', () => {
  it('finds a base64 gzip part by its type and decodes it', () => {
    const gz = gzipSync(REPORT).toString('base64');
    const found = findReportPart(
      mail(['Content-Type: text/plain\r\n\r\nhello', `Content-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n${gz}`]),
    );
    assert.ok(found.ok);
    assert.equal(found.gzip, true);
    assert.equal(found.topType, 'multipart/report');
    assert.equal(found.reportType, 'tlsrpt');
    assert.deepEqual(found.body, gzipSync(REPORT));
  });

  it('reads folded headers, quoted-printable JSON, LF line ends and a report nested in multipart/mixed', () => {
    const qp =
      'Content-Type: application/tlsrpt+json;\r\n charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{"organization-name"=3A=\r\n"x"}';
    const found = findReportPart(mail(['Content-Type: multipart/mixed; boundary=inner\r\n\r\n--inner\r\n' + qp + '\r\n--inner--']));
    assert.ok(found.ok);
    assert.equal(found.body.toString(), REPORT);
    const lf = findReportPart(
      Buffer.from('Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: application/tlsrpt+json\n\n' + REPORT + '\n--b--\n'),
    );
    assert.ok(lf.ok);
    assert.equal(lf.body.toString(), REPORT);
  });

  it('accepts a generic type with the RFC file name extension, and says when there is no report', () => {
    const gz = gzipSync(REPORT).toString('base64');
    const found = findReportPart(
      mail([
        `Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="a!example.org!1!2.json.gz"\r\nContent-Transfer-Encoding: base64\r\n\r\n${gz}`,
      ]),
    );
    assert.ok(found.ok && found.gzip);
    assert.deepEqual(findReportPart(mail(['Content-Type: text/plain\r\n\r\nnothing'])), { ok: false, code: 'mail.noReport' });
    assert.deepEqual(findReportPart(Buffer.from('')), { ok: false, code: 'mail.noHeader' });
  });

  it('reads content types with quoted parameters', () => {
    const ct = contentType('Multipart/Report; report-type="tlsrpt"; boundary="a;b\\"c"');
    assert.ok(ct !== 'tooLong');
    assert.equal(ct.type, 'multipart/report');
    assert.equal(ct.params.get('boundary'), 'a;b"c');
  });

  it('fuzz: never throws on random or mutated mails', () => {
    const base = mail([`Content-Type: application/tlsrpt+gzip\r\nContent-Transfer-Encoding: base64\r\n\r\n${gzipSync(REPORT).toString('base64')}`]).toString(
      'latin1',
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        findReportPart(Buffer.from(text));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(), fc.string({ minLength: 1, maxLength: 8 }), (at, insert) => {
        const i = at % base.length;
        findReportPart(Buffer.from(base.slice(0, i) + insert + base.slice(i + 1), 'latin1'));
      }),
      { numRuns: 500 },
    );
  });
});
