import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { COLUMNS } from '../../src/store/columns';
import { VIEWS_DIR } from '../../src/web/pages';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { MAIL_HOSTNAME, TestServer, createServer, csrfFrom, decodeEntities, textOf } from '../support/server';

// Markup stored in every field the plugin's pages show, and sent in every part of the request they
// echo, must come out as text: the page keeps exactly the elements and attributes of its templates.

/** Tag and attribute names the plugin's own templates write; a page may contain no others. */
function templateVocabulary(): { tags: Set<string>; attributes: Set<string> } {
  const tags = new Set<string>();
  const attributes = new Set<string>();
  for (const file of readdirSync(VIEWS_DIR).filter((f) => f.endsWith('.ejs'))) {
    const raw = readFileSync(join(VIEWS_DIR, file), 'utf8');
    for (const m of raw.replace(/<%[\s\S]*?%>/g, ' ').matchAll(/<\/?([a-z][a-z0-9]*)\b/gi)) tags.add(m[1].toLowerCase());
    // Attributes may also come from the templates' code (' checked', ' selected'): every word
    // of the source counts, which still leaves out anything a payload would have to add.
    for (const m of raw.matchAll(/[a-z][a-z0-9-]*/gi)) attributes.add(m[0].toLowerCase());
  }
  tags.add('html'); // the doctype line
  return { tags, attributes };
}

const VOCABULARY = templateVocabulary();

/** Fails unless every element and attribute of `html` is one the templates write themselves. */
function assertOnlyTemplateMarkup(html: string, what: string): void {
  assert.ok(VOCABULARY.tags.size > 10 && VOCABULARY.attributes.has('class'), 'read the templates');
  for (const m of html.matchAll(/<(\/?)([a-z][a-z0-9]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi)) {
    const tag = m[2].toLowerCase();
    assert.ok(VOCABULARY.tags.has(tag), `${what}: an element <${tag}> the templates never write: ${m[0].slice(0, 120)}`);
    for (const a of m[3].matchAll(/\s([^\s"'>/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?/g)) {
      const name = a[1].toLowerCase();
      assert.ok(VOCABULARY.attributes.has(name) && !name.startsWith('on'), `${what}: an attribute ${name} the templates never write, in ${m[0].slice(0, 160)}`);
    }
  }
  assert.doesNotMatch(html, /<!--|<!\[CDATA\[|javascript:/i, `${what}: no comment, CDATA or script URL`);
}

// Each payload breaks out of a different context: element content, a double- or single-quoted
// attribute, the textarea, a comment; plus text that is already escaped (must not be unescaped).
const PAYLOAD = {
  id: '</textarea><script>alert(1)</script>',
  updatedAt: '"><img src=x onerror=alert(2)>',
  mode: "' onmouseover='alert(3)",
  version: '<!--<style>',
  mx: '<svg onload=alert(4)>,mail.example.org',
  description: '<script>alert("description")</script>',
  typedMx: "'><script>alert(6)</script>",
  typedMaxAge: '" autofocus onfocus="alert(7)',
  typedMode: '</select><script>alert(8)</script>',
  typedVersion: '&lt;b&gt;not bold&lt;/b&gt;',
  txt: 'v=STSv1; id=<script>alert(9)</script>',
  mxHost: '<img src=x onerror=alert(10)>.example',
  tlsrpt: 'v=TLSRPTv1; rua=mailto:"><script>alert(11)</script>',
  cname: '"onmouseover=alert(12).example',
};

describe('escaping: markup from the database and the request is shown as text', () => {
  let dns: TestDnsServer;
  let server: TestServer;

  before(async () => {
    dns = await startDnsServer();
    server = await createServer({
      domains: [
        { domain: 'example.org', description: PAYLOAD.description },
        { domain: 'bücher.example', description: '<b>IDN</b>' },
        // Host rows whose names are markup: they are no domain, so no page may show them.
        { domain: '<img src=x onerror=alert(13)>.example' },
        { domain: '"><script>alert(14)</script>' },
      ],
      aliases: [{ alias: '<script>alert(15)</script>.example', target: 'example.org' }],
      plugin: {
        dns: { servers: [dns.address], timeoutMs: 300, retries: 0 },
        dnsCheck: { https: { enabled: false }, smtp: { enabled: false } },
      },
    });
    await server.setPolicy('example.org', {
      active: true,
      id: PAYLOAD.id,
      updatedAt: PAYLOAD.updatedAt,
      mode: PAYLOAD.mode,
      version: PAYLOAD.version,
      mx: PAYLOAD.mx,
    });
    await server.setPolicy('bücher.example', { active: true, id: '<b>bold</b>', updatedAt: '<i>x</i>', mode: 'enforce', mx: 'mail.example.org' });
    await server.setPolicy('<img src=x onerror=alert(13)>.example', { active: true, mode: 'enforce', mx: 'mail.example.org', id: '1' });
    dns.setZone([
      { name: '_mta-sts.example.org', type: 'TXT', data: PAYLOAD.txt },
      { name: 'example.org', type: 'TXT', data: PAYLOAD.txt },
      { name: 'example.org', type: 'MX', data: { preference: 10, exchange: PAYLOAD.mxHost } },
      { name: '_smtp._tls.example.org', type: 'TXT', data: PAYLOAD.tlsrpt },
      { name: 'mta-sts.example.org', type: 'CNAME', data: PAYLOAD.cname },
      { name: MAIL_HOSTNAME, type: 'A', data: '127.0.0.1' },
    ]);
  });
  after(async () => {
    await server?.close();
    await dns?.close();
  });

  it('shows the stored id and time of change as text, in the card, the record table and the textarea', async () => {
    const res = await server.request().get('/mta-sts/example.org');
    assert.equal(res.status, 200);
    assertOnlyTemplateMarkup(res.text, 'tab');
    const text = textOf(res.text);
    assert.ok(text.includes(PAYLOAD.id), 'the id is shown');
    assert.ok(text.includes(PAYLOAD.updatedAt), 'the time of change is shown');
    assert.equal(decodeEntities(/data-policy-id>([\s\S]*?)<\/strong>/.exec(res.text)?.[1] ?? ''), PAYLOAD.id, 'exactly as stored');
    assert.ok(
      decodeEntities(/<textarea[^>]*>([\s\S]*?)<\/textarea>/.exec(res.text)?.[1] ?? '').includes(`"v=STSv1; id=${PAYLOAD.id}"`),
      'inside the textarea too',
    );
    // Values the plugin would never write are not shown at all, only reported as invalid.
    assert.ok(!text.includes(PAYLOAD.mode) && !text.includes(PAYLOAD.version) && !text.includes('svg onload'));
    assert.match(text, /not valid/);
    assert.ok(!text.includes('alert("description")'), 'host columns the tab does not show stay out of it');
  });

  it('shows a U-label domain and its stored values as text', async () => {
    for (const path of ['/mta-sts/b%C3%BCcher.example', '/mta-sts/xn--bcher-kva.example', '/host/domains/xn--bcher-kva.example']) {
      const res = await server.request().get(path);
      assert.equal(res.status, 200, path);
      assertOnlyTemplateMarkup(res.text, path);
      assert.ok(textOf(res.text).includes('MTA-STS for bücher.example'));
      assert.ok(textOf(res.text).includes('<b>bold</b>') && textOf(res.text).includes('<i>x</i>'));
    }
  });

  it('never shows host rows whose names are markup, nor serves or certifies them', async () => {
    for (const path of [
      '/mta-sts/%3Cimg%20src%3Dx%20onerror%3Dalert(13)%3E.example',
      '/mta-sts/%22%3E%3Cscript%3Ealert(14)%3C%2Fscript%3E',
      '/mta-sts/%3Cscript%3Ealert(15)%3C%2Fscript%3E.example',
    ]) {
      const res = await server.request().get(path);
      assert.equal(res.status, 404, path);
      assertOnlyTemplateMarkup(res.text, path);
      assert.ok(!textOf(res.text).includes('alert('), 'the name is not echoed');
    }
    assert.ok((await server.mtaSts.certificateNames()).every((name) => /^[a-z0-9.-]+$/.test(name)));
  });

  it('shows what was typed into every field, and the messages quoting it, as text', async () => {
    const page = await server.request().get('/mta-sts/example.org?tab=%3Cscript%3Ealert(16)%3C/script%3E');
    assertOnlyTemplateMarkup(page.text, 'tab with a query string');
    const csrf = csrfFrom(page);
    const revision = String((await server.row('example.org')).mta_sts_revision);
    const res = await server.postForm(
      'example.org',
      {
        version: PAYLOAD.typedVersion,
        mode: PAYLOAD.typedMode,
        maxAge: PAYLOAD.typedMaxAge,
        mx: PAYLOAD.typedMx,
        active: '1',
        revision,
        '<script>alert(17)</script>': 'x',
      },
      csrf,
    );
    assert.equal(res.status, 400);
    assertOnlyTemplateMarkup(res.text, 'tab after invalid input');
    assert.equal(decodeEntities(/id="mta-sts-mx"[^>]*value="([^"]*)"/.exec(res.text)?.[1] ?? ''), PAYLOAD.typedMx);
    assert.equal(decodeEntities(/id="mta-sts-max-age"[^>]*value="([^"]*)"/.exec(res.text)?.[1] ?? ''), PAYLOAD.typedMaxAge);
    assert.ok(textOf(res.text).includes(PAYLOAD.typedMx.slice(2)), 'the MX message quotes the entry');
  });

  it('shows DNS answers (TXT, MX, CNAME) in the DNS Check results as text', async () => {
    const res = await server.dnsCheckTab('example.org');
    assert.equal(res.status, 200);
    assertOnlyTemplateMarkup(res.text, 'DNS Check results');
    const text = textOf(res.text);
    for (const value of [PAYLOAD.txt, PAYLOAD.mxHost, PAYLOAD.tlsrpt]) assert.ok(text.includes(value), `shows ${value}`);
    assert.ok(text.includes(PAYLOAD.cname.toLowerCase()));
  });

  it('escapes any stored id and time of change (property, 80 runs)', async () => {
    const markup = fc.constantFrom('<', '>', '"', "'", '&', '</textarea>', '<script>', '-->', '&amp;', '\u00a0', '\u202e', '${x}', '<%= x %>');
    const value = fc
      .array(fc.oneof(markup, fc.string({ unit: 'grapheme', maxLength: 6 })), { minLength: 1, maxLength: 8 })
      .map((parts) => parts.join(''))
      .filter((v) => v.trim() === v && !/[\x00-\x1f\x7f]/.test(v) && v !== '');
    await fc.assert(
      fc.asyncProperty(value, value, async (id, updatedAt) => {
        await server.db
          .knex(server.db.domainTable)
          .where('domain', 'bücher.example')
          .update({ [COLUMNS.id]: id, [COLUMNS.updatedAt]: updatedAt });
        const res = await server.request().get('/mta-sts/xn--bcher-kva.example');
        assert.equal(res.status, 200);
        assertOnlyTemplateMarkup(res.text, 'tab');
        assert.equal(decodeEntities(/data-policy-id>([\s\S]*?)<\/strong>/.exec(res.text)?.[1] ?? ''), id);
      }),
      { numRuns: 80, seed: 8461 },
    );
  });
});
