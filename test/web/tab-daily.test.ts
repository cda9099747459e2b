import assert from 'node:assert/strict';
import type { MtaStsOptions } from '../../src';
import { createMtaSts } from '../../src';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { LOOPBACK_ONLY } from '../support/loopback';
import {
  attr,
  controlByLabel,
  controlValue,
  createServer,
  csrfFrom,
  descriptions,
  formValues,
  innerHtml,
  notices,
  openingTag,
  textOf,
  type TestServer,
} from '../support/server';

// Issue 15, "the tab as a daily tool", as far as the server answers it (no JavaScript): a save is
// POST/redirect/GET, a refused save loses nothing typed, an expired login keeps the values, every
// bad MX entry is named with its reason, and the page says one thing per field and one on top.

const SAVED_PARAM = 'mta-sts-saved';

/** The page-level notice boxes (role alert/status), and how many coloured boxes are visible in all. */
const alertBoxes = (html: string) =>
  [...html.matchAll(/<div\b[^>]*class="[^"]*\balert\b[^"]*"[^>]*>/g)].map((m) => m[0]).filter((tag) => attr(tag, 'hidden') === null);

describe('the tab as a daily tool (issue 15, server side)', () => {
  let server: TestServer;
  let now: Date;
  const start = async (plugin: Partial<MtaStsOptions> = {}) => {
    now = new Date('2026-12-01T10:00:00Z');
    server = await createServer({ plugin: { ...LOOPBACK_ONLY, now: () => now, ...plugin } });
  };
  afterEach(() => server?.close());

  describe('saving: POST/redirect/GET', () => {
    it('answers a save with 303 to the tab, whose page says "Saved" once; reloading it saves nothing', async () => {
      await start();
      const page = await server.csrf('example.org');
      const post = await server.postForm('example.org', { ...formValues(page.html), mode: 'testing', mx: 'mail.example.org', active: '1' }, page);
      assert.equal(post.status, 303);
      const location = String(post.headers.location);
      assert.match(location, new RegExp(`^/mta-sts/example\\.org\\?${SAVED_PARAM}=[\\w-]+\\.[\\w-]+$`));
      const revision = (await server.row('example.org')).mta_sts_revision;

      const shown = await server.request().get(location);
      assert.equal(shown.status, 200);
      const id = String((await server.row('example.org')).mta_sts_id);
      assert.deepEqual(notices(shown.text), [`Saved. The new policy id is ${id}: publish the DNS records below.`]);
      assert.match(
        openingTag(shown.text, 'mta-sts-heading-example.org') ? shown.text : '',
        /data-after-save/,
        'the script may drop it once the form is edited',
      );
      // A reload is a GET of the same address: the tab again, never a second save.
      const reload = await server.request().get(location);
      assert.equal(reload.status, 200);
      assert.equal((await server.row('example.org')).mta_sts_revision, revision);
      assert.equal((await server.row('example.org')).mta_sts_id, id);
    });

    it('says nothing for a notice that is tampered with, expired, or for another domain', async () => {
      await start();
      const page = await server.csrf('example.org');
      const post = await server.postForm('example.org', { ...formValues(page.html), mode: 'testing', mx: 'mail.example.org', active: '1' }, page);
      const location = String(post.headers.location);
      const token = location.slice(location.indexOf('=') + 1);
      const [body, mac] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), id: '99999999999999' })).toString('base64url');
      for (const [what, url] of [
        ['a changed payload', `/mta-sts/example.org?${SAVED_PARAM}=${forged}.${mac}`],
        ['no signature', `/mta-sts/example.org?${SAVED_PARAM}=${body}`],
        ['another domain', `/mta-sts/example.com?${SAVED_PARAM}=${token}`],
      ] as const) {
        const res = await server.request().get(url);
        assert.equal(res.status, 200, what);
        assert.deepEqual(notices(res.text), [], `${what}: no notice`);
      }
      now = new Date(now.getTime() + 61_000);
      assert.deepEqual(notices((await server.request().get(location)).text), [], 'expired after 60 s');
    });

    it("redirects to the host's tabUrl(domain), and falls back to the plugin's page (logged) when it is not a path on this site", async () => {
      const logged: unknown[] = [];
      const logger = { error: (...a: unknown[]) => void logged.push(a), warn: () => undefined, info: () => undefined };
      let answer = (domain: string) => `/host/domains/${domain}?tab=mta-sts`;
      await start({ tabUrl: (domain) => answer(domain), logger });
      const save = async () => {
        const page = await server.csrf('example.org');
        return server.postForm('example.org', { ...formValues(page.html), mode: 'testing', mx: 'mail.example.org', active: '1' }, page);
      };
      const first = await save();
      assert.equal(first.status, 303);
      assert.match(String(first.headers.location), new RegExp(`^/host/domains/example\\.org\\?tab=mta-sts&${SAVED_PARAM}=`));
      // The host's page, through renderTab, shows the notice too.
      const hostPage = await server.request().get(String(first.headers.location));
      assert.ok(
        notices(hostPage.text).some((n) => /^Saved\. The new policy id is \d{14}/.test(n)),
        notices(hostPage.text).join(' | '),
      );

      for (const bad of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'relative/path']) {
        answer = () => bad;
        const res = await save();
        assert.match(String(res.headers.location), /^\/mta-sts\/example\.org\?/, `${bad} is not followed`);
      }
      assert.equal(logged.length, 4, 'each refused tabUrl is logged');
    });

    it('validates tabUrl and loginUrl when created, naming the option', () => {
      const knex = Object.assign(() => undefined, { transaction: () => undefined }) as unknown as MtaStsOptions['knex'];
      const create = (extra: Partial<MtaStsOptions>) => () => createMtaSts({ knex, mailHostname: 'mail.example.net', ...extra });
      assert.throws(create({ tabUrl: '/x' as never }), /options\.tabUrl must be a function/);
      for (const bad of ['//evil.example', 'javascript:alert(1)', 'login', '/log in', 42]) {
        assert.throws(create({ loginUrl: bad as never }), /options\.loginUrl must be/, String(bad));
      }
    });
  });

  describe('a refused save keeps what was typed', () => {
    it('after an expired login: 401 with the login link, the values, and a form that puts them back (English and German)', async () => {
      await start({ loginUrl: (req) => `/login?next=${encodeURIComponent(req.originalUrl)}` });
      const page = await server.csrf('example.org');
      server.authorize = 'unauthenticated';
      const fields = { ...formValues(page.html), mode: 'enforce', maxAge: '604800', mx: 'mail.example.org, bücher-mx.example', active: '1' };
      const res = await server.postForm('example.org', fields, page);
      assert.equal(res.status, 401);
      const text = textOf(res.text);
      assert.match(text, /Nothing was saved: your login has expired, or the panel was restarted\. Your values are kept below\./);
      assert.match(text, /Mode enforce Maximum Age 604800 MX entries mail\.example\.org, bücher-mx\.example Active yes/);
      assert.match(res.text, /<a href="\/login\?next=%2Fmta-sts%2Fexample\.org" target="_blank" rel="noopener">Log in again \(opens in a new tab\)<\/a>/);
      const restore = /<form method="get" action="([^"]+)"[\s\S]*?<\/form>/.exec(res.text);
      assert.ok(restore, 'a GET form to put the values back');
      const query = new URLSearchParams([...restore[0].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], textOf(m[2])]));
      assert.match(restore[0], /Put my values back into the form/);

      server.authorize = 'allow';
      const before = await server.row('example.org');
      const back = await server.request().get(`${restore[1]}?${query}`);
      assert.equal(back.status, 200);
      assert.ok(notices(back.text).some((n) => /^Your values from the form that could not be saved are filled in\. Nothing is saved yet/.test(n)));
      assert.equal(controlValue(back.text, controlByLabel(back.text, 'Mode').id), 'enforce');
      assert.equal(controlValue(back.text, controlByLabel(back.text, 'Maximum Age').id), '604800');
      assert.equal(controlValue(back.text, controlByLabel(back.text, 'MX entries').id), 'mail.example.org, bücher-mx.example');
      assert.notEqual(attr(controlByLabel(back.text, 'Active').tag, 'checked'), null);
      assert.deepEqual(await server.row('example.org'), before, 'a GET saves nothing');
      // One press of "Save changes" on that page saves them.
      const saved = await server.postForm('example.org', formValues(back.text), csrfFrom(back));
      assert.equal(saved.status, 303);
      assert.equal((await server.row('example.org')).mta_sts_mode, 'enforce');

      server.authorize = 'unauthenticated';
      const german = await server.postForm('example.org', fields, page).set('Accept-Language', 'de');
      assert.equal(german.status, 401);
      assert.match(
        textOf(german.text),
        /Nichts wurde gespeichert: Ihre Anmeldung ist abgelaufen.*Neu anmelden \(öffnet einen neuen Tab\).*Meine Werte wieder in das Formular eintragen/,
      );
    });

    it('after a restart (the form token no longer holds): 403, the values kept, no login link without loginUrl', async () => {
      await start();
      const page = await server.csrf('example.org');
      const res = await server.postForm(
        'example.org',
        { ...formValues(page.html), _csrf: 'stale-token-from-before-the-restart', mx: 'kept.example.org' },
        page,
      );
      assert.equal(res.status, 403);
      const text = textOf(res.text);
      assert.match(text, /Nothing was saved: this form had expired or did not come from this panel \(invalid CSRF token/);
      assert.match(text, /MX entries kept\.example\.org/);
      assert.match(text, /Log in again, in another tab of this browser\./);
      assert.doesNotMatch(res.text, /<a href=/);
      // What was typed is shown as text, never as markup.
      const hostile = await server.postForm('example.org', { ...formValues(page.html), _csrf: 'stale', mx: '"><script>alert(1)</script>' }, page);
      assert.doesNotMatch(hostile.text, /<script>alert/);
      assert.match(textOf(hostile.text), /MX entries "><script>alert\(1\)<\/script>/);
    });
  });

  describe('messages', () => {
    it('names every bad MX entry with its reason, beside the field and in the API (one error item each)', async () => {
      await start();
      const typed = '192.0.2.25, https://mx.example.org/, mail..example.org, *.*.example.org, *.com';
      const res = await server.submitTab('example.org', { mode: 'testing', mx: typed, active: '1' });
      assert.equal(res.status, 400);
      const said = descriptions(res.text, controlByLabel(res.text, 'MX entries').id)[0];
      for (const part of [
        '"192.0.2.25" is an IP address. IP addresses are not allowed: use the host name of the MX',
        '"https://mx.example.org/" is not just a host name: enter only the host name',
        '"mail..example.org" has an empty label',
        '"*.*.example.org" has a wildcard in the wrong place',
        '"*.com" would match every host under a top-level domain; RFC 8461 (section 10.4)',
      ])
        assert.ok(said.includes(part), `${part} in: ${said}`);
      assert.equal((innerHtml(res.text, 'mta-sts-mx-error') ?? '').match(/<li>/g)?.length, 5, 'one list item per bad entry');

      const api = await server.put('example.org', { mode: 'testing', mx: typed.split(', ') });
      assert.equal(api.status, 400);
      assert.deepEqual(
        api.body.errors.map((e: { field: string; code: string }) => [e.field, e.code]),
        [
          ['mx', 'field.mx.ipAddress'],
          ['mx', 'field.mx.url'],
          ['mx', 'field.mx.emptyLabel'],
          ['mx', 'field.mx.wildcard'],
          ['mx', 'field.mx.broadWildcard'],
        ],
      );
      assert.match(api.body.errors[0].message, /^MX entries have a problem: /);
    });

    it('says one thing about a Maximum Age out of range: the error, without "= ..." or a second warning', async () => {
      await start();
      for (const maxAge of ['99999999999', 'soon', '-5']) {
        const res = await server.submitTab('example.org', { maxAge });
        assert.equal(res.status, 400);
        const said = descriptions(res.text, controlByLabel(res.text, 'Maximum Age').id).filter((text) => text !== '');
        assert.match(said[0], /^Maximum Age must be a whole number of seconds from 0 to 31557600/);
        assert.ok(!said.some((text) => /^=|More than the RFC 8461 maximum|Less than one day/.test(text)), `${maxAge}: ${said.join(' | ')}`);
      }
    });

    it('answers invalid JSON with a 400 that carries a code like every other 400', async () => {
      await start();
      const res = await server.put('example.org', '{"mode": ');
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.errors, [{ field: 'body', code: 'body.invalidJson', params: {}, message: 'The request body is not valid JSON.' }]);
      const notObject = await server.put('example.org', '[1]');
      assert.equal(notObject.body.errors[0].code, 'body.notObject');
    });

    it('shows a U-label domain as "bücher.example (xn--bcher-kva.example)" in heading, title and records, and U-label MX entries as typed with the A-labels beside', async () => {
      const pages: Array<{ title: string }> = [];
      await start({
        layout: (page) => {
          pages.push(page);
          return `<title>${page.title}</title>${page.content}`;
        },
      });
      const res = await server.submitTab('bücher.example', { mode: 'testing', mx: 'mail.bücher.example, *.Bücher.example', active: '1' });
      assert.equal(res.status, 200);
      const both = 'bücher.example (xn--bcher-kva.example)';
      assert.equal(textOf(innerHtml(res.text, 'mta-sts-heading-xn--bcher-kva.example') ?? ''), `MTA-STS for ${both}`);
      assert.equal(pages.at(-1)?.title, `MTA-STS: ${both}`);
      assert.match(textOf(res.text), new RegExp(`DNS records to publish for ${both.replace(/[()]/g, '\\$&')}`));
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'MX entries').id), 'mail.bücher.example, *.bücher.example');
      assert.ok(
        descriptions(res.text, controlByLabel(res.text, 'MX entries').id).some((d) =>
          d.includes('Stored in DNS form (A-labels): mail.xn--bcher-kva.example, *.xn--bcher-kva.example'),
        ),
      );
      assert.equal((await server.row('bücher.example')).mta_sts_mx, 'mail.xn--bcher-kva.example,*.xn--bcher-kva.example');
    });
  });

  describe('calmer: one notice per field, one on top', () => {
    let dns: TestDnsServer;
    before(async () => {
      dns = await startDnsServer();
      dns.setZone([
        { name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mail.example.org' } },
        { name: 'example.org', type: 'MX', data: { preference: 20, exchange: 'mx2.example.org' } },
      ]);
    });
    after(() => dns.close());

    it('mode none saved as enforce with an uncovered MX host and a stale entry: one box on top, one beside MX entries, the rest folded', async () => {
      await start({ dns: { servers: [dns.address], timeoutMs: 300, retries: 0 } });
      const res = await server.submitTab('example.org', { mode: 'enforce', mx: 'mail.example.org, old.example.org', active: '1' });
      assert.equal(res.status, 200);
      const boxes = alertBoxes(res.text);
      assert.equal(boxes.length, 2, boxes.join('\n'));
      // On top: the most severe (testing skipped), "Saved" folded under it.
      const top = notices(res.text);
      assert.equal(top.length, 1);
      assert.match(top[0], /^You moved straight from none to enforce\. .* and 1 more note Saved\. The new policy id is \d{14}/);
      assert.match(res.text, /<details class="mt-1 small" data-more-notices><summary>and 1 more note<\/summary>/);
      // Beside MX entries: "mail would be refused", the others in "and 2 more notes".
      const from = res.text.indexOf('id="mta-sts-mx-advice"');
      const advice = res.text.slice(from, res.text.indexOf('</details>', from));
      assert.match(advice, /<div data-hint-slot><div class="alert alert-danger[^"]*" data-hint="consequence">Mail would be refused/);
      assert.match(textOf(advice), /and 2 more notes The MX host mx2\.example\.org matches no entry\. old\.example\.org matches none of the MX hosts/);
    });

    it('puts the long help of Mode, Maximum Age and MX entries one click away behind a "?" named for its field', async () => {
      await start();
      const html = (await server.request().get('/mta-sts/example.org')).text;
      for (const [field, more, says] of [
        ['Mode', 'mta-sts-mode-more', /none ?: .*testing ?: .*enforce ?: /],
        ['Maximum Age', 'mta-sts-max-age-more', /Recommended: 86400 \(1 day\); at most 31557600/],
        ['MX entries', 'mta-sts-mx-more', /A wildcard \*\.example\.org matches exactly one label/],
      ] as const) {
        assert.match(
          html,
          new RegExp(
            `<summary class="[^"]*" title="Help: ${field}" data-help-for="[a-zA-Z]+">\\?<span class="visually-hidden"> Help: ${field}</span></summary>`,
          ),
        );
        assert.match(textOf(innerHtml(html, more) ?? ''), says);
        assert.ok(
          descriptions(html, controlByLabel(html, field).id).some((d) => says.test(d)),
          `${field} is still described by it for screen readers`,
        );
      }
    });
  });
});
