import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { createResolver, type Resolver } from '../../src/dns';
import { parsePolicy } from '../../src/policy';
import { probeHttps, probeMxTls } from '../../src/probes';
import { verifyDkim } from '../../src/service/dkim';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { KIB64, budget, fastestAsync } from '../support/linear-time';
import { dkimKey, reportMail, signMail, type DkimKey } from '../support/report-mail';
import { createTestCa, type TestCa } from '../support/tls';
import { googleSample } from '../support/report-samples';

// The linear-time test (test/security/redos.test.ts) for what arrives over sockets: the DKIM
// headers of a report mail (what we read before mailauth, and what mailauth reads: its header
// splitter took 37 s on 64 KiB of bare CRs and 9.7 s on 64 KiB of folded lines), SMTP replies
// read by the MX probe, and HTTP answers read by the policy probe. Real servers on loopback; each
// worst case is held to 20 times a benign input of the same size through the same code, plus a
// constant for the sockets.

const LOOPBACK = ['127.0.0.0/8', '::1/128'];
const quiet = { warn: () => {}, info: () => {}, error: () => {} };
const SOCKET_MS = 50;
const measured: Array<[string, number, number]> = [];
const check = (name: string, ms: number, allowed: number) => {
  measured.push([name, ms, allowed]);
  assert.ok(ms <= allowed, `${name}: ${ms.toFixed(1)} ms, budget ${allowed.toFixed(1)} ms (20x the benign input + ${SOCKET_MS} ms)`);
};

/** Closes a test server, ending the connections a probe left open (it stops reading at a bound). */
function closeAll(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
const tracked = (sockets: Set<net.Socket>, socket: net.Socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => {});
};

/** A `size`-byte report mail whose header carries `fill` repeated in `field` (after the signature). */
function mailWith(signature: string, field: (fill: string) => string, unit: string, base: string, size = KIB64): Buffer {
  const build = (fill: string) => `${signature}${field(fill)}\r\n${base}`;
  const room = size - build('').length;
  return Buffer.from(build(unit.repeat(Math.max(0, Math.floor(room / unit.length)))), 'latin1');
}

describe('parsers of outside input over sockets run in linear time (worst cases of 64 KiB)', function () {
  this.timeout(300_000);
  after(() => {
    for (const [name, ms, allowed] of measured) console.log(`      ${name}: ${ms.toFixed(1)} ms of ${allowed.toFixed(1)} ms`);
  });
  let dns: TestDnsServer;
  let resolver: Resolver;
  let key: DkimKey;
  let ca: TestCa;

  before(async () => {
    dns = await startDnsServer();
    key = dkimKey();
    ca = createTestCa();
    dns.setZone([
      { name: 'sel1._domainkey.google.example', type: 'TXT', data: key.txt },
      { name: 'mail.example.org', type: 'A', data: '127.0.0.1' },
      { name: 'mta-sts.example.org', type: 'A', data: '127.0.0.1' },
    ]);
    resolver = createResolver({ servers: [dns.address], timeoutMs: 2000, retries: 0 });
  });
  after(async () => {
    await dns.close();
    ca.dispose();
  });

  describe('DKIM headers of a report mail', () => {
    let signed: string;
    let signature: string;
    let base: string;
    let control: Buffer;
    before(async () => {
      base = reportMail(googleSample(), { domain: 'example.org', submitter: 'google.example' });
      signed = await signMail(base, 'google.example', 'sel1', key);
      signature = signed.slice(0, signed.length - base.length);
      // Benign: the signed mail with ordinary fields added up to the same size (unsigned fields).
      control = mailWith(signature, (f) => f.slice(0, -2), `X-Pad: ${'p'.repeat(100)}\r\n`, base);
      assert.deepEqual(await verifyDkim(control, resolver, quiet), { result: 'pass', domain: 'google.example', fromAligned: true });
    });

    const SHAPES: Array<[string, (fill: string) => string, string]> = [
      ['bare carriage returns in a field', (f) => `X-Cr: a${f}b`, '\r'],
      ['a field of folded lines', (f) => `X-Fold: a${f}`, '\r\n a'],
      [
        'DKIM-Signature fields, each with its own body length',
        (f) => f.slice(0, -2),
        'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=x.example; s=s; l=1; h=from; bh=x; b=x\r\n',
      ],
      ['a DKIM-Signature of semicolons and equals signs', (f) => `DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; ${f}`, ';='],
      ['a DKIM-Signature of quotes and backslashes', (f) => `DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; h=${f}`, '"\\\''],
      ['a DKIM-Signature of comments', (f) => `DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; h=${f}`, '(('],
      ['a From of angle brackets and quotes', (f) => `From: ${f}`, '<"'],
      ['a Content-Type of parameters', (f) => `Content-Type: multipart/report; ${f}`, 'a="b";'],
      ['blanks in a signed field', (f) => `Subject: a${f}b`, ' \t'],
      ['many short fields', (f) => f.slice(0, -2), 'a:\r\n'],
    ];
    for (const [name, field, unit] of SHAPES) {
      it(`dkim: ${name}`, async () => {
        const worst = mailWith(signature, field, unit, base);
        const allowed = budget(await fastestAsync(() => verifyDkim(control, resolver, quiet)), SOCKET_MS);
        const ms = await fastestAsync(() => verifyDkim(worst, resolver, quiet), allowed);
        check(`dkim: ${name}`, ms, allowed);
      });
    }
  });

  describe('SMTP replies read by the MX probe', () => {
    let payload = '';
    let server: net.Server;
    const sockets = new Set<net.Socket>();
    before(async () => {
      server = net.createServer((socket) => {
        tracked(sockets, socket);
        socket.end(payload);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(() => closeAll(server, sockets));
    const probe = (bytes: string) => () => {
      payload = bytes;
      const port = (server.address() as net.AddressInfo).port;
      return probeMxTls({ resolver, host: 'mail.example.org', ehloName: 'panel.example.org', port, allowAddresses: LOOPBACK, timeoutMs: 10_000 });
    };
    const benign = `${`220-mx.example.org ESMTP ${'x'.repeat(4000)}\r\n`.repeat(15)}220 ready\r\n`;
    const SHAPES: Array<[string, string]> = [
      ['bare carriage returns', `220 ${'\r'.repeat(KIB64)}`],
      ['digits without a line end', '2'.repeat(KIB64)],
      ['empty lines', '\n'.repeat(KIB64)],
      ['continuation lines', '220-\r\n'.repeat(KIB64 / 6)],
      ['blanks before a line end', `220${' '.repeat(KIB64)}\r\n`],
    ];
    for (const [name, bytes] of SHAPES) {
      it(`smtp: ${name}`, async () => {
        const allowed = budget(await fastestAsync(probe(benign)), SOCKET_MS);
        const ms = await fastestAsync(probe(bytes), allowed);
        check(`smtp: ${name}`, ms, allowed);
      });
    }
  });

  describe('HTTP answers read by the policy probe (and the policy it carries)', () => {
    let answer = '';
    let server: tls.Server;
    const sockets = new Set<net.Socket>();
    before(async () => {
      const issued = ca.issue(['mta-sts.example.org']);
      server = tls.createServer({ key: issued.key, cert: issued.cert }, (socket) => {
        tracked(sockets, socket);
        socket.once('data', () => socket.end(answer));
      });
      server.on('tlsClientError', () => {});
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(() => closeAll(server, sockets));
    const fetchAndParse = (bytes: string) => async () => {
      answer = bytes;
      const port = (server.address() as net.AddressInfo).port;
      const result = await probeHttps({ resolver, domain: 'example.org', port, ca: ca.cert, allowAddresses: LOOPBACK, timeoutMs: 10_000 });
      return result.body === undefined ? result : parsePolicy(result.body);
    };
    const respond = (head: string, body: string) => `HTTP/1.1 200 OK\r\n${head}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
    const policy = `version: STSv1\r\nmode: testing\r\nmax_age: 86400\r\n${'mx: mail.example.org\r\n'.repeat((KIB64 - 200) / 22)}`;
    const benign = respond('Content-Type: text/plain\r\n', policy);
    const SHAPES: Array<[string, string]> = [
      ['a Content-Type of semicolons', respond(`Content-Type: text/plain${';'.repeat(15_000)}\r\n`, policy)],
      ['many header fields', respond('X-A: b\r\n'.repeat(2000), policy)],
      ['blanks in a header value', respond(`Content-Type: text/plain${' '.repeat(15_000)}x\r\n`, policy)],
      ['a policy of blanks then a letter', respond('Content-Type: text/plain\r\n', `version: STSv1\r\nmode: x${' '.repeat(KIB64 - 100)}y`)],
      ['tiny chunks', `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${'1\r\nm\r\n'.repeat(KIB64 / 6)}0\r\n\r\n`],
    ];
    for (const [name, bytes] of SHAPES) {
      it(`http: ${name}`, async () => {
        const allowed = budget(await fastestAsync(fetchAndParse(benign)), SOCKET_MS);
        const ms = await fastestAsync(fetchAndParse(bytes), allowed);
        check(`http: ${name}`, ms, allowed);
      });
    }
  });
});
