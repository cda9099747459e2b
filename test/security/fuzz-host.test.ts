import assert from 'node:assert/strict';
import * as net from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { parseHostHeader, renderPolicy } from '../../src/policy';
import { TestServer, createServer } from '../support/server';
import { LOOPBACK_ONLY } from '../support/loopback';

// The Host header of the policy file, fuzzed over a raw socket so that any byte can be sent:
// 200 exactly for the names with a served policy, 404 for everything else, never a 5xx. Bytes
// HTTP itself forbids are refused by Node's parser (400, or 431 for a header over its size limit)
// before the plugin sees them; that is fine, and nothing else is.

const POLICIES = {
  'example.org': { mode: 'enforce', mx: ['mail.example.org', '*.mx.example.net'], maxAge: 604800 },
  'xn--bcher-kva.example': { mode: 'testing', mx: ['mail.xn--bcher-kva.example'], maxAge: 86400 },
} as const;
/** Host names that must get a policy, and whose policy they get. */
const SERVED = new Map<string, keyof typeof POLICIES>([
  ['example.org', 'example.org'],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ['alias.example', 'example.org'],
]);
/** Names the host table or alias table holds that must get nothing. */
const NOT_SERVED = ['example.com', 'inactive.example', 'off-alias.example', 'unknown.example', 'mail.example.net'];

function bodyOf(domain: keyof typeof POLICIES): string {
  return renderPolicy({ version: 'STSv1', ...POLICIES[domain], mx: [...POLICIES[domain].mx] });
}

/** What the policy route must answer for a Host header: 200 with a domain's policy, or 400 / 404. */
type Want = { status: 200; domain: keyof typeof POLICIES } | { status: 400 | 404 };

/** True when a label is ASCII, or a Unicode label IDNA maps to an A-label and back unchanged (apart from case). */
function idnaStable(label: string): boolean {
  if (!/[^\x00-\x7f]/.test(label)) return true;
  const ascii = domainToASCII(label);
  return ascii !== '' && !ascii.includes('.') && domainToUnicode(ascii) === label.toLowerCase();
}

/**
 * What docs/policy.md ("Host parsing") promises, written down independently: RFC 9110 `uri-host [ ":" port ]` (port
 * all digits) or 400; then `mta-sts.` (any case), a served name in any case (a U-label too, when
 * IDNA maps it to itself), at most one trailing dot, an optional port up to 65535, and blanks
 * around it (HTTP strips them) get the policy; every other valid host 404.
 */
function expected(header: string): Want {
  const trimmed = header.replace(/^[ \t]+|[ \t]+$/g, '');
  if (/^\[[A-Za-z0-9\-._~!$&'()*+,;=:]+\](:\d*)?$/.test(trimmed)) return { status: 404 };
  const m = /^((?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2}|[^\x00-\x7f])+)(?::(\d*))?$/s.exec(trimmed);
  if (!m || !m[1].split('.').every(idnaStable)) return { status: 400 };
  const n = /^mta-sts\.(.*)$/is.exec(m[1]);
  if (!n || m[1].includes('%') || (m[2] !== undefined && !/^\d{1,5}$/.test(m[2])) || Number(m[2] ?? 0) > 65535) return { status: 404 };
  let name = n[1];
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '' || name.endsWith('.')) return { status: 404 };
  const ascii = /^[\x00-\x7f]*$/.test(name) ? name.toLowerCase() : domainToASCII(name);
  const domain = SERVED.get(ascii);
  return domain ? { status: 200, domain } : { status: 404 };
}

interface Answer {
  status: number;
  body: string;
  raw: string;
}

/** One request on its own connection, the Host header given as raw bytes. */
function rawGet(port: number, host: Buffer | null): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined); // a reset after Node's 400 still leaves the answer
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
      resolve({ status, body: raw.slice(raw.indexOf('\r\n\r\n') + 4), raw });
    });
    const head = host === null ? Buffer.alloc(0) : Buffer.concat([Buffer.from('Host: '), host, Buffer.from('\r\n')]);
    socket.end(Buffer.concat([Buffer.from('GET /.well-known/mta-sts.txt HTTP/1.1\r\n'), head, Buffer.from('Connection: close\r\n\r\n')]));
  });
}

describe('fuzz: Host headers of the policy file', () => {
  let server: TestServer;
  let port: number;
  let errors: unknown[];
  const realError = console.error;

  before(async () => {
    server = await createServer({ plugin: LOOPBACK_ONLY });
    port = (server.http.address() as net.AddressInfo).port;
    for (const [domain, p] of Object.entries(POLICIES)) {
      await server.setPolicy(domain === 'xn--bcher-kva.example' ? 'bücher.example' : domain, {
        active: true,
        ...p,
        mx: [...p.mx],
        id: '20261128120000',
        revision: 1,
      });
    }
    await server.setPolicy('inactive.example', { active: true, mode: 'enforce', mx: ['mail.example.org'], id: '1' });
    errors = [];
    console.error = (...args: unknown[]) => void errors.push(args);
  });
  after(async () => {
    console.error = realError;
    await server?.close();
  });
  afterEach(() => assert.deepEqual(errors, [], 'nothing was logged as an error'));

  async function check(bytes: Buffer): Promise<void> {
    const res = await rawGet(port, bytes);
    const seen = bytes.toString('latin1');
    const want = expected(seen);
    assert.ok(res.status !== 0 && res.status < 500, `${JSON.stringify(seen)} -> ${res.status}`);
    if (want.status === 200) {
      assert.equal(res.status, 200, `${JSON.stringify(seen)} must be served`);
      assert.equal(res.body, bodyOf(want.domain));
    } else if (res.status !== 431) {
      // 400 comes from Node's parser for bytes HTTP forbids, or from the plugin for any other invalid host.
      assert.equal(res.status, want.status, `${JSON.stringify(seen)} -> ${res.status}`);
      if (want.status === 404) assert.equal(res.body, 'Not found\n');
    }
    assert.doesNotMatch(res.raw, /set-cookie|location:/i);
  }

  it('answers the fixed edge cases as docs/policy.md says', async () => {
    const cases: Array<[string, number]> = [
      ['mta-sts.example.org', 200],
      ['MTA-STS.EXAMPLE.ORG', 200],
      ['mta-sts.example.org.', 200],
      ['mta-sts.example.org:443', 200],
      ['mta-sts.example.org.:8443', 200],
      ['mta-sts.alias.example', 200],
      ['mta-sts.xn--bcher-kva.example', 200],
      ['mta-sts.example.org..', 404],
      ['mta-sts.example.org:65536', 404],
      ['mta-sts.example.org:', 404],
      ['mta-sts.example.org:-1', 400],
      ['mta-sts.example.com', 404],
      ['mta-sts.inactive.example', 404],
      ['mta-sts.off-alias.example', 404],
      ['mta-sts.', 404],
      ['example.org', 404],
      ['www.example.org', 404],
      ['mta-sts.mta-sts.example.org', 404],
      ['mta-sts.x.example.org', 404],
      ['mta-sts.org', 404],
      ['127.0.0.1', 404],
      ['[::1]:443', 404],
      ['mta-sts.127.0.0.1', 404],
      ['mta-sts.[::1]', 400],
      ['user@mta-sts.example.org', 400],
      ['mta-sts.example.org@evil.example', 400],
      ['mta-sts.example%2Eorg', 404],
      ['mta-sts.example.org/x', 400],
      ['mta-sts.example.org\\', 400],
      ['mta-sts.exa mple.org', 400],
      // Once: a URL-style parse split these into host and path, an IDNA mapping dropped or rewrote a character.
      ['mta-sts.example.org\\\u00fc', 400],
      ['mta-sts.example.org/-org\u00fc', 400],
      ['mta-sts.example.org .', 400],
      ['mta-sts.exam\u00adple.org', 400],
      ['mta-sts.ex\u00aample.org', 400],
      ['mta-sts.b\u00fccher.example', 200],
      ['mta-sts.example.org:443:443', 400],
      ['mta-sts.example.org:+1', 400],
      ['mta-sts.example.org%zz', 400],
    ];
    for (const [host, status] of cases) {
      const res = await rawGet(port, Buffer.from(host, 'latin1'));
      assert.equal(res.status, status, host);
    }
    assert.equal((await rawGet(port, null)).status, 400, 'no Host at all: refused by Node');
  });

  const served = fc.constantFrom(...SERVED.keys(), 'bücher.example', 'BÜCHER.EXAMPLE');
  const notServed = fc.constantFrom(
    ...NOT_SERVED,
    'x.example.org',
    'org',
    'example.org.evil.example',
    'exampleorg',
    '127.0.0.1',
    '[::1]',
    'xn--zz.example',
    'bücher.example.com',
  );
  const mixCase = (name: string) =>
    fc
      .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
      .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
  const header = fc
    .record({
      space: fc.constantFrom('', ' ', '\t', '  '),
      prefix: fc.constantFrom('mta-sts.', 'MTA-STS.', 'Mta-Sts.', 'mta-sts', 'mta_sts.', 'www.', '', 'mta-sts.mta-sts.', '.mta-sts.'),
      name: fc.oneof(served, notServed).chain(mixCase),
      dots: fc.constantFrom('', '', '.', '..'),
      port: fc.constantFrom('', '', ':443', ':80', ':0', ':65535', ':65536', ':99999', ':', ':abc', ':443:443', ':+1', ': 443', ':0443'),
      encoding: fc.constantFrom<BufferEncoding>('latin1', 'utf8'),
    })
    .map((h) => Buffer.from(`${h.space}${h.prefix}${h.name}${h.dots}${h.port}${h.space}`, h.encoding));

  it('serves exactly the served names in every spelling of prefix, case, dot and port (300 runs)', async () => {
    await fc.assert(fc.asyncProperty(header, check), { numRuns: 300, seed: 1 });
  });

  it('answers 400 or 404 as the oracle says (or Node: 431) to arbitrary strings and bytes, never a 5xx (300 runs)', async () => {
    const noLineBreak = (b: Uint8Array) => Buffer.from(b.filter((byte) => byte !== 0x0a && byte !== 0x0d));
    const arbitrary = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }).map((s) => Buffer.from(s.replace(/[\r\n]/g, ''), 'utf8')),
      fc.string({ unit: 'grapheme', maxLength: 80 }).map((s) => Buffer.from(`mta-sts.${s.replace(/[\r\n]/g, '')}`, 'utf8')),
      fc.uint8Array({ maxLength: 120 }).map(noLineBreak),
      // A served name with one byte changed, inserted or dropped.
      fc
        .tuple(
          fc.constantFrom('mta-sts.example.org', 'mta-sts.alias.example:443'),
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
          fc.constantFrom('set', 'insert', 'drop'),
        )
        .map(([host, at, byte, op]) => {
          const b = [...Buffer.from(host)];
          const i = at % b.length;
          if (op === 'set') b[i] = byte;
          else if (op === 'insert') b.splice(i, 0, byte);
          else b.splice(i, 1);
          return noLineBreak(Uint8Array.from(b));
        }),
    );
    await fc.assert(fc.asyncProperty(arbitrary, check), { numRuns: 300, seed: 2 });
  });

  it('answers very long Host headers with 404 or 431, never a 5xx (30 runs)', async () => {
    const long = fc
      .tuple(fc.constantFrom('mta-sts.', ''), fc.integer({ min: 250, max: 40_000 }), fc.constantFrom('a', 'a.', '\u00e9', '0', ':'))
      .map(([prefix, n, unit]) => Buffer.from(`${prefix}${unit.repeat(Math.ceil(n / unit.length))}example.org`, 'latin1'));
    await fc.assert(fc.asyncProperty(long, check), { numRuns: 30, seed: 3 });
  });
  // Every ASCII character (but CR and LF, which end the header) inserted at, or replacing, every
  // position of served names: the function against the oracle exhaustively, then over HTTP.
  const BASES = ['mta-sts.example.org', 'mta-sts.xn--bcher-kva.example:443', 'mta-sts.b\u00fccher.example.'];
  const asciiEdits = (base: string) => {
    const out: string[] = [];
    for (let at = 0; at <= base.length; at++) {
      for (let code = 0; code < 128; code++) {
        if (code === 10 || code === 13) continue;
        const c = String.fromCharCode(code);
        out.push(base.slice(0, at) + c + base.slice(at));
        if (at < base.length) out.push(base.slice(0, at) + c + base.slice(at + 1));
      }
    }
    return out;
  };

  it('parses every ASCII character in every position of a served host as the oracle says (parseHostHeader, exhaustive)', () => {
    let checked = 0;
    for (const base of BASES) {
      for (const header of asciiEdits(base)) {
        const want = expected(header);
        const got = parseHostHeader(header);
        if (want.status === 400) assert.equal(got.valid, false, `${JSON.stringify(header)} is invalid`);
        else assert.equal(got.valid, true, `${JSON.stringify(header)} is valid`);
        checked++;
      }
    }
    assert.ok(checked > 10_000, `${checked} headers`);
  });

  it('answers every ASCII character in any position of a served host with 200, 400 or 404 as the oracle says (400 runs)', async () => {
    const edited = fc
      .tuple(
        fc.constantFrom(...BASES),
        fc.nat(),
        fc.integer({ min: 0, max: 127 }).filter((c) => c !== 10 && c !== 13),
        fc.constantFrom('set', 'insert'),
      )
      .map(([base, at, code, op]) => {
        const i = at % (base.length + (op === 'insert' ? 1 : 0));
        const c = String.fromCharCode(code);
        return Buffer.from(base.slice(0, i) + c + base.slice(op === 'insert' ? i : i + 1), 'latin1');
      });
    await fc.assert(fc.asyncProperty(edited, check), { numRuns: 400, seed: 4 });
  });
});
