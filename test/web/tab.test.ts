import assert from 'node:assert/strict';
import type { PageContext } from '../../src';
import { CATALOGUES } from '../../src/i18n';
import {
  MAIL_HOSTNAME,
  ServerOptions,
  TestServer,
  attr,
  controlByLabel,
  controlValue,
  createServer,
  csrfFrom,
  descriptions,
  dnsRecords,
  formValues,
  innerHtml,
  notices,
  openingTag,
  textOf,
  tlsRptRecord,
} from '../support/server';

const POLICY_COLUMNS = [
  'mta_sts_active',
  'mta_sts_version',
  'mta_sts_mode',
  'mta_sts_max_age',
  'mta_sts_mx',
  'mta_sts_id',
  'mta_sts_updated_at',
  'mta_sts_revision',
];

/** The plugin's columns of a host row, to prove that nothing was saved. */
async function stored(server: TestServer, domain: string): Promise<Record<string, unknown>> {
  const row = await server.row(domain);
  return Object.fromEntries(POLICY_COLUMNS.map((c) => [c, row[c]]));
}

function policyId(html: string): string {
  const match = /<[a-z]+\b[^>]*\bdata-policy-id\b[^>]*>([^<]*)</.exec(html);
  assert.ok(match, 'the page shows the current policy id');
  return textOf(match[1]);
}

describe('the MTA-STS tab (admin pages)', () => {
  let server: TestServer;
  const start = async (options: ServerOptions = {}) => {
    server = await createServer(options);
    return server;
  };
  afterEach(async () => {
    await server?.close();
  });

  describe('the page', () => {
    beforeEach(() => start());

    it('shows a labelled field for Version, Mode, Maximum Age, MX entries and Active', async () => {
      const res = await server.request().get('/mta-sts/example.org');
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'] ?? '', /^text\/html/);
      const html = res.text;
      const version = controlByLabel(html, 'Version');
      assert.equal(version.name, 'select');
      assert.equal(controlValue(html, version.id), 'STSv1');
      const mode = controlByLabel(html, 'Mode');
      assert.equal(mode.name, 'select');
      assert.equal(controlValue(html, mode.id), 'none', 'a new domain starts in mode none');
      const maxAge = controlByLabel(html, 'Maximum Age');
      assert.equal(maxAge.name, 'input');
      assert.equal(controlValue(html, maxAge.id), '86400', 'the recommended maximum age is the default');
      const mx = controlByLabel(html, 'MX entries');
      assert.equal(mx.name, 'input');
      assert.equal(controlValue(html, mx.id), '');
      const active = controlByLabel(html, 'Active');
      assert.equal(attr(active.tag, 'type'), 'checkbox');
      assert.equal(attr(active.tag, 'checked'), null, 'a new domain starts inactive');
    });

    it('offers the three modes, each explained beside the Mode field', async () => {
      const html = (await server.request().get('/mta-sts/example.org')).text;
      const mode = controlByLabel(html, 'Mode');
      const options = [...(innerHtml(html, mode.id) ?? '').matchAll(/<option\b[^>]*>/g)].map((m) => attr(m[0], 'value'));
      assert.deepEqual(options, ['none', 'testing', 'enforce']);
      const help = descriptions(html, mode.id).join(' ').replace(/\s+:/g, ':');
      for (const [name, text] of Object.entries({
        none: CATALOGUES.en['tab.mode.none'],
        testing: CATALOGUES.en['tab.mode.testing'],
        enforce: CATALOGUES.en['tab.mode.enforce'],
      }))
        assert.ok(help.includes(`${name}: ${text}`), `explains ${name}`);
    });

    it('has a "Save changes" button that submits the form by POST to the tab', async () => {
      const html = (await server.request().get('/mta-sts/example.org')).text;
      const form = /<form\b[^>]*>/.exec(html)?.[0] ?? '';
      assert.equal(attr(form, 'method'), 'post');
      assert.equal(attr(form, 'action'), '/mta-sts/example.org');
      const button = /<button\b[^>]*>([\s\S]*?)<\/button>/.exec(html);
      assert.ok(button, 'the page has a button');
      assert.equal(textOf(button[1]), 'Save changes');
      assert.equal(attr(button[0], 'type'), 'submit');
    });

    it('is not cached by browsers or proxies', async () => {
      const res = await server.request().get('/mta-sts/example.org');
      assert.match(res.headers['cache-control'] ?? '', /no-store/);
    });

    it('shows the Unicode form of a domain the host holds as U-label, whichever form the URL uses', async () => {
      for (const path of ['/mta-sts/xn--bcher-kva.example', `/mta-sts/${encodeURIComponent('bücher.example')}`]) {
        const res = await server.request().get(path);
        assert.equal(res.status, 200, path);
        assert.match(textOf(res.text), /MTA-STS for bücher\.example/);
      }
    });

    // SQLite's `=` is case-sensitive: the lookup must still find a row spelled "Example.ORG".
    it('finds a domain the host stored in mixed case by its A-label, so its form can be saved (SQLite)', async () => {
      await server.close();
      await start({ domains: [{ domain: 'Example.ORG' }], aliases: [] });
      assert.equal((await server.request().get('/mta-sts/example.org')).status, 200);
    });

    it('answers 404 with a page for a domain the host does not have', async () => {
      for (const domain of ['unknown.example', 'not a domain', 'localhost']) {
        const res = await server.request().get(`/mta-sts/${encodeURIComponent(domain)}`);
        assert.equal(res.status, 404, domain);
        assert.match(res.headers['content-type'] ?? '', /^text\/html/);
        assert.match(textOf(res.text), /no such domain/i);
      }
    });
  });

  describe('authorization', () => {
    const denials: Array<['missing' | 'deny' | 'unauthenticated', number, RegExp]> = [
      ['missing', 403, /not allowed/i],
      ['deny', 403, /not allowed/i],
      ['unauthenticated', 401, /log in/i],
    ];
    for (const [mode, status, message] of denials) {
      it(`answers ${status} to GET and POST when authorize is ${mode}, and saves nothing`, async () => {
        await start({ authorize: mode === 'missing' ? 'missing' : 'allow' });
        // A token obtained while allowed, so that only the authorization can refuse the POST.
        const csrf = mode === 'missing' ? null : await server.csrf('example.org');
        if (mode !== 'missing') server.authorize = mode!;
        const before = await stored(server, 'example.org');

        const get = await server.request().get('/mta-sts/example.org');
        assert.equal(get.status, status);
        assert.match(textOf(get.text), message);
        assert.doesNotMatch(get.text, /name="mx"/, 'the form is not shown');

        const post = await server.postForm(
          'example.org',
          { version: 'STSv1', mode: 'enforce', maxAge: '86400', mx: 'mail.example.org', active: '1', revision: '0' },
          csrf,
        );
        assert.equal(post.status, status);
        assert.deepEqual(await stored(server, 'example.org'), before);
      });
    }

    it('asks the hook on every request, with the request itself', async () => {
      await start();
      server.authorize = (req) => (req.get('x-panel-admin') === 'yes' ? true : 'unauthenticated');
      assert.equal((await server.request().get('/mta-sts/example.org')).status, 401);
      assert.equal((await server.request().get('/mta-sts/example.org').set('X-Panel-Admin', 'yes')).status, 200);
      server.authorize = async () => false;
      assert.equal((await server.request().get('/mta-sts/example.org').set('X-Panel-Admin', 'yes')).status, 403);
    });

    it('answers 500 without details when the hook throws, and logs the error', async () => {
      await start();
      server.authorize = () => {
        throw new Error('session store exploded: secret-detail');
      };
      const logged: unknown[][] = [];
      const realError = console.error;
      console.error = (...args: unknown[]) => void logged.push(args);
      try {
        const res = await server.request().get('/mta-sts/example.org');
        assert.equal(res.status, 500);
        assert.doesNotMatch(res.text, /secret-detail|exploded|at .*\.js/);
        assert.doesNotMatch(res.text, /name="mx"/);
      } finally {
        console.error = realError;
      }
      assert.ok(
        logged.some((args) => args.some((a) => a instanceof Error && a.message.includes('secret-detail'))),
        'the error is logged',
      );
    });
  });

  describe('CSRF protection of the form', () => {
    beforeEach(() => start());
    const fields = { version: 'STSv1', mode: 'enforce', maxAge: '86400', mx: 'mail.example.org', active: '1', revision: '0' };

    it('refuses a POST without token or cookie with 403, saving nothing', async () => {
      const before = await stored(server, 'example.org');
      const res = await server.postForm('example.org', fields, null);
      assert.equal(res.status, 403);
      assert.match(textOf(res.text), /CSRF|reload/i);
      assert.deepEqual(await stored(server, 'example.org'), before);
    });

    it('refuses a wrong token, a token without its cookie and a cookie without its token', async () => {
      const before = await stored(server, 'example.org');
      const csrf = await server.csrf('example.org');
      const wrong = csrf.token.slice(0, -4) + (csrf.token.endsWith('aaaa') ? 'bbbb' : 'aaaa');
      const attempts = [
        server.postForm('example.org', { ...fields, _csrf: wrong }, csrf),
        server.postForm('example.org', { ...fields, _csrf: csrf.token }, null),
        server.postForm('example.org', { ...fields, _csrf: '' }, csrf),
        server.request().post('/mta-sts/example.org').type('form').set('Cookie', csrf.cookie).send(fields),
      ];
      for (const res of await Promise.all(attempts)) assert.equal(res.status, 403);
      assert.deepEqual(await stored(server, 'example.org'), before);
    });

    it("refuses a token and cookie pair signed with another panel's secret", async () => {
      const other = await createServer({ plugin: { csrf: { secret: 'another-secret-0123456789-0123456789-01' } } });
      try {
        const foreign = await other.csrf('example.org');
        const res = await server.postForm('example.org', fields, foreign);
        assert.equal(res.status, 403);
      } finally {
        await other.close();
      }
    });

    it('sets the CSRF cookie HttpOnly, SameSite=Strict, Secure and __Host- prefixed', async () => {
      const res = await server.request().get('/mta-sts/example.org');
      const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-mta-sts.csrf='));
      assert.ok(cookie, 'the page sets the CSRF cookie');
      assert.match(cookie, /; HttpOnly/i);
      assert.match(cookie, /; SameSite=Strict/i);
      assert.match(cookie, /; Secure/i);
      assert.match(cookie, /; Path=\//i);
    });

    it("with csrf.secureCookie 'auto', uses the plain cookie on a plain-HTTP request, and never a TLS cookie there", async () => {
      const auto = await createServer({ plugin: { csrf: { secret: 'test-secret-0123456789-0123456789-0123456789', secureCookie: 'auto' } } });
      try {
        const page = await auto.request().get('/mta-sts/example.org');
        const cookies = ([] as string[]).concat(page.headers['set-cookie'] ?? []);
        const plain = cookies.find((c) => c.startsWith('mta-sts.csrf='));
        assert.ok(plain, cookies.join(' | '));
        assert.doesNotMatch(plain, /; Secure/i);
        const csrf = csrfFrom(page);
        assert.equal((await auto.postForm('example.org', fields, csrf)).status, 303, 'the form posts with it');
        // The same token under the TLS name (as a cookie of an HTTPS request) does not count over plain HTTP.
        const renamed = { ...csrf, cookie: `__Host-${csrf.cookie}` };
        assert.equal((await auto.postForm('example.org', fields, renamed)).status, 403);
      } finally {
        await auto.close();
      }
    });
  });

  describe('saving', () => {
    beforeEach(() => start());

    it("saves a valid policy: success message, a new policy id and the DNS records to publish, the panel's TLS-RPT among them", async () => {
      const res = await server.submitTab('example.org', { mode: 'enforce', maxAge: '604800', mx: 'MAIL.example.org, *.mx.example.net.', active: '1' });
      assert.equal(res.status, 200);
      const row = await server.row('example.org');
      const id = String(row.mta_sts_id);
      assert.match(id, /^[A-Za-z0-9]{1,32}$/, 'a valid RFC 8461 id');
      assert.ok(
        notices(res.text).some((n) => /saved/i.test(n) && n.includes(id)),
        `a success message with the id (got ${notices(res.text)})`,
      );
      assert.equal(policyId(res.text), id);
      const records = dnsRecords(res.text);
      assert.deepEqual(records.TXT, { name: '_mta-sts.example.org', value: `v=STSv1; id=${id}` });
      assert.deepEqual(records.CNAME, { name: 'mta-sts.example.org', value: MAIL_HOSTNAME });
      assert.match(tlsRptRecord(res.text) ?? '', /^v=TLSRPTv1; rua=https:\/\/mail\.example\.net\/tlsrpt\/v1\/[A-Za-z0-9_-]{22}$/);
      // The form now shows what was stored, normalised.
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'Mode').id), 'enforce');
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'MX entries').id), 'mail.example.org, *.mx.example.net');
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'Maximum Age').id), '604800');
      assert.notEqual(attr(controlByLabel(res.text, 'Active').tag, 'checked'), null);
      assert.equal(row.mta_sts_mode, 'enforce');
      assert.equal(row.mta_sts_mx, 'mail.example.org,*.mx.example.net');
      assert.equal(Number(row.mta_sts_max_age), 604800);
    });

    it('keeps the id when the form is saved again unchanged, and gives a new one for a real change', async () => {
      const first = await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', active: '1' });
      assert.equal(first.status, 200);
      const id = policyId(first.text);
      const revision = (await server.row('example.org')).mta_sts_revision;

      const again = await server.submitTab('example.org');
      assert.equal(again.status, 200);
      assert.equal(policyId(again.text), id);
      assert.ok(
        notices(again.text).some((n) => /nothing changed/i.test(n) && n.includes(id)),
        `says nothing changed (got ${notices(again.text)})`,
      );
      assert.equal((await server.row('example.org')).mta_sts_id, id);
      assert.equal((await server.row('example.org')).mta_sts_revision, revision);

      const changed = await server.submitTab('example.org', { mode: 'enforce' });
      assert.equal(changed.status, 200);
      assert.notEqual(policyId(changed.text), id);
      assert.equal(dnsRecords(changed.text).TXT?.value, `v=STSv1; id=${policyId(changed.text)}`);
    });

    it('shows no DNS records before the first save', async () => {
      const html = (await server.request().get('/mta-sts/example.org')).text;
      assert.deepEqual(dnsRecords(html), {});
    });

    it('posts to the adminPath the host chose', async () => {
      await server.close();
      await start({ plugin: { adminPath: '/admin/mail/mta-sts' } });
      const page = await server.request().get('/admin/mail/mta-sts/example.org');
      assert.equal(page.status, 200);
      const form = /<form\b[^>]*>/.exec(page.text)?.[0] ?? '';
      assert.equal(attr(form, 'action'), '/admin/mail/mta-sts/example.org');
      const res = await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', active: '1' });
      assert.equal(res.status, 200);
      assert.equal((await server.row('example.org')).mta_sts_mode, 'testing');
    });
  });

  describe('invalid input', () => {
    beforeEach(() => start());

    const cases: Array<{ what: string; fields: Record<string, string>; field: 'mx' | 'maxAge' | 'mode'; label: string; message: RegExp }> = [
      {
        what: 'a bad MX entry',
        fields: { mode: 'enforce', mx: 'mail.example.org, mail..example.org', maxAge: '86400' },
        field: 'mx',
        label: 'MX entries',
        message: /mail\.\.example\.org/,
      },
      {
        what: 'a wildcard inside a name',
        fields: { mode: 'enforce', mx: 'mx.*.example.org', maxAge: '86400' },
        field: 'mx',
        label: 'MX entries',
        message: /wildcard/,
      },
      {
        what: 'a maximum age over one year',
        fields: { mode: 'enforce', mx: 'mail.example.org', maxAge: '99999999999' },
        field: 'maxAge',
        label: 'Maximum Age',
        message: /31557600/,
      },
      {
        what: 'a maximum age that is not a number',
        fields: { mode: 'enforce', mx: 'mail.example.org', maxAge: '1 day' },
        field: 'maxAge',
        label: 'Maximum Age',
        message: /whole number/,
      },
      {
        what: 'an unknown mode',
        fields: { mode: 'bogus', mx: 'mail.example.org', maxAge: '86400' },
        field: 'mode',
        label: 'Mode',
        message: /none, testing or enforce/,
      },
      { what: 'testing without MX entries', fields: { mode: 'testing', mx: '', maxAge: '86400' }, field: 'mx', label: 'MX entries', message: /at least one/ },
    ];
    for (const c of cases) {
      it(`refuses ${c.what} with 400, keeps what was typed, explains it beside the field, saves nothing`, async () => {
        const before = await stored(server, 'example.org');
        const res = await server.submitTab('example.org', { ...c.fields, active: '1' });
        assert.equal(res.status, 400);
        const html = res.text;
        assert.ok(
          notices(html).some((n) => /nothing was saved/i.test(n)),
          'a message says nothing was saved',
        );
        const control = controlByLabel(html, c.label);
        const described = descriptions(html, control.id).join(' | ');
        assert.match(described, c.message, `the ${c.label} field is described by its error (got: ${described})`);
        assert.match(attr(control.tag, 'class') ?? '', /is-invalid/);
        // What was typed is still there, so nothing has to be typed again.
        assert.equal(controlValue(html, controlByLabel(html, 'MX entries').id), c.fields.mx);
        assert.equal(controlValue(html, controlByLabel(html, 'Maximum Age').id), c.fields.maxAge);
        if (c.field !== 'mode') assert.equal(controlValue(html, controlByLabel(html, 'Mode').id), c.fields.mode);
        assert.notEqual(attr(controlByLabel(html, 'Active').tag, 'checked'), null, 'Active stays checked');
        // Fields without a problem carry no error.
        for (const other of ['Version', 'Mode', 'Maximum Age', 'MX entries'].filter((l) => l !== c.label)) {
          assert.doesNotMatch(attr(controlByLabel(html, other).tag, 'class') ?? '', /is-invalid/, `${other} is not marked`);
        }
        assert.deepEqual(await stored(server, 'example.org'), before);
      });
    }

    it('refuses a form without its revision field with 400, saving nothing', async () => {
      const before = await stored(server, 'example.org');
      const res = await server.submitTab('example.org', { revision: undefined, mode: 'enforce', mx: 'mail.example.org' });
      assert.equal(res.status, 400);
      assert.deepEqual(await stored(server, 'example.org'), before);
    });
  });

  describe('a stale form', () => {
    beforeEach(() => start());

    it('answers 409 when another administrator saved first, saves nothing and shows the current values', async () => {
      const page = await server.csrf('example.org');
      // Someone else saves meanwhile.
      const other = await server.put('example.org', { mode: 'testing', mx: ['other.example.org'], active: true });
      assert.equal(other.status, 200);
      const afterOther = await stored(server, 'example.org');

      const res = await server.postForm(
        'example.org',
        { version: 'STSv1', mode: 'enforce', maxAge: '600', mx: 'mine.example.org', active: '1', revision: '0' },
        page,
      );
      assert.equal(res.status, 409);
      assert.ok(notices(res.text).some((n) => /nothing was saved/i.test(n) && /another administrator/i.test(n)));
      assert.deepEqual(await stored(server, 'example.org'), afterOther);
      // Nothing typed is lost: the fields keep this admin's values, the stored ones are shown beside them.
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'MX entries').id), 'mine.example.org');
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'Mode').id), 'enforce');
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'Maximum Age').id), '600');
      const panel = textOf(innerHtml(res.text, 'mta-sts-conflict') ?? '');
      assert.match(panel, /Another administrator saved this policy at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      assert.match(panel, /MX entries mine\.example\.org other\.example\.org differs/);
      assert.match(panel, /Mode enforce testing differs/);
      assert.match(res.text, /<button type="submit"[^>]*>Save my values over theirs<\/button>/);
      // The re-shown form carries the current revision: one press saves this admin's values over the other's.
      const form = formValues(res.text);
      assert.equal(form.revision, String(afterOther.mta_sts_revision));
      const newCookie = ([] as string[])
        .concat(res.headers['set-cookie'] ?? [])
        .map((c) => c.split(';')[0])
        .find((c) => /mta-sts\.csrf=/.test(c));
      const retry = await server.postForm('example.org', form, { token: form._csrf, cookie: newCookie ?? page.cookie }).redirects(1);
      assert.equal(retry.status, 200);
      assert.deepEqual([(await server.row('example.org')).mta_sts_mx, (await server.row('example.org')).mta_sts_mode], ['mine.example.org', 'enforce']);
    });
  });

  describe('escaping', () => {
    it('escapes markup typed into the fields, in the inputs and in the messages', async () => {
      await start();
      const mx = '<script>alert(1)</script>.example.org';
      const maxAge = '"><img src=x onerror=alert(2)>';
      const res = await server.submitTab('example.org', { mode: 'enforce', mx, maxAge });
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.text, /<script>alert\(1\)|<img src=x/);
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'MX entries').id), mx);
      assert.equal(controlValue(res.text, controlByLabel(res.text, 'Maximum Age').id), maxAge);
      assert.match(
        descriptions(res.text, controlByLabel(res.text, 'MX entries').id).join(' '),
        /<script>alert\(1\)<\/script>/,
        'the message quotes the entry as text',
      );
    });

    it('escapes markup stored in the host table and never reflects markup from the URL', async () => {
      await start({
        domains: [{ domain: 'example.org', description: '<script>alert("description")</script>' }, { domain: '<img src=x onerror=alert(3)>.example' }],
        aliases: [],
      });
      await server.setPolicy('<img src=x onerror=alert(3)>.example', { active: true, mode: 'enforce', mx: 'mail.example.org' });
      const page = await server.request().get('/mta-sts/example.org');
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.text, /<script>alert/);
      for (const path of ['/mta-sts/%3Cimg%20src%3Dx%20onerror%3Dalert(3)%3E.example', '/mta-sts/%3Cscript%3Ealert(4)%3C%2Fscript%3E']) {
        const res = await server.request().get(path);
        assert.equal(res.status, 404);
        assert.doesNotMatch(res.text, /<img src=x|<script>alert/);
      }
      // The row with markup for a name is no domain: nothing is served or certified for it.
      assert.deepEqual(await server.mtaSts.certificateNames(), []);
    });
  });

  describe('renderTab (the fragment for the host domain edit page)', () => {
    beforeEach(() => start());

    it("returns the tab as a fragment with a working CSRF token, for the host's own page", async () => {
      const res = await server.request().get('/host/domains/example.org');
      assert.equal(res.status, 200);
      const fragment = innerHtml(res.text, 'host-domain-page') ?? '';
      assert.match(fragment, /^\s*<section\b/, 'starts with the tab section');
      assert.doesNotMatch(fragment, /<html|<body|<!doctype/i, 'no page around it');
      assert.equal(controlValue(fragment, controlByLabel(fragment, 'Version').id), 'STSv1');
      const form = /<form\b[^>]*>/.exec(fragment)?.[0] ?? '';
      assert.equal(attr(form, 'action'), '/mta-sts/example.org');
      // The fragment's token and cookie are good for the form post.
      const csrf = csrfFrom(res);
      const post = await server.postForm(
        'example.org',
        { version: 'STSv1', mode: 'testing', maxAge: '86400', mx: 'mail.example.org', active: '1', revision: '0' },
        csrf,
      );
      assert.equal(post.status, 303, 'POST/redirect/GET');
      assert.match(post.headers.location, /^\/mta-sts\/example\.org\?mta-sts-saved=[\w-]+\.[\w-]+$/, "to tabUrl(domain), by default the plugin's tab page");
      assert.equal((await server.row('example.org')).mta_sts_mode, 'testing');
    });

    const rejections: Array<['deny' | 'unauthenticated', number]> = [
      ['deny', 403],
      ['unauthenticated', 401],
    ];
    for (const [mode, status] of rejections) {
      it(`rejects with status ${status} when authorize is ${mode}, leaving the answer to the host`, async () => {
        server.authorize = mode!;
        const res = await server.request().get('/host/domains/example.org');
        assert.equal(res.text, 'host error');
        assert.equal(res.status, status);
        assert.equal(server.hostErrors.length, 1);
        assert.equal((server.hostErrors[0] as { status?: number }).status, status);
      });
    }

    it('rejects with status 404 for a domain the host does not have', async () => {
      const res = await server.request().get('/host/domains/unknown.example');
      assert.equal(res.status, 404);
      assert.equal((server.hostErrors[0] as { status?: number }).status, 404);
    });
  });

  describe('the host layout', () => {
    let pages: Array<Omit<PageContext, 'req' | 'res'>>;
    beforeEach(async () => {
      pages = [];
      await start({
        plugin: {
          layout: async ({ req, res, ...page }) => {
            assert.ok(req && res, 'the layout gets the request and response');
            pages.push(page);
            return `<!doctype html><html><body><header id="host-layout-marker">Host panel</header><main>${page.content}</main></body></html>`;
          },
        },
      });
    });

    const wrapped = (res: { text: string }) => openingTag(res.text, 'host-layout-marker') !== null;

    it('wraps the tab page, the page after a save, after errors, a conflict and a 404', async () => {
      const shown = await server.request().get('/mta-sts/example.org');
      const saved = await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', active: '1' });
      const invalid = await server.submitTab('example.org', { maxAge: 'soon' });
      const conflict = await server.postForm(
        'example.org',
        { version: 'STSv1', mode: 'none', maxAge: '1', mx: '', revision: '0' },
        await server.csrf('example.org'),
      );
      const missing = await server.request().get('/mta-sts/unknown.example');
      const statuses = [shown, saved, invalid, conflict, missing].map((r) => r.status);
      assert.deepEqual(statuses, [200, 200, 400, 409, 404]);
      for (const res of [shown, saved, invalid, conflict, missing]) assert.ok(wrapped(res), `status ${res.status} is wrapped in the host layout`);
      // Every page names its domain, for the host to show its domain page around it; the 404 has none.
      assert.deepEqual(
        pages.map((p) => p.domain),
        [...Array(7).fill('example.org'), null],
      );
      assert.deepEqual(
        pages.map((p) => p.status),
        [200, 200, 200, 200, 400, 200, 409, 404],
      );
      assert.ok(pages.every((p) => p.title.length > 0 && p.content.includes('<')));
    });

    it('wraps the refusals too: 401, 403 and a CSRF failure', async () => {
      server.authorize = 'unauthenticated';
      const unauthenticated = await server.request().get('/mta-sts/example.org');
      server.authorize = 'deny';
      const forbidden = await server.request().get('/mta-sts/example.org');
      server.authorize = 'allow';
      const csrf = await server.postForm('example.org', { mode: 'none', revision: '0' }, null);
      assert.deepEqual([unauthenticated.status, forbidden.status, csrf.status], [401, 403, 403]);
      for (const res of [unauthenticated, forbidden, csrf]) assert.ok(wrapped(res), `status ${res.status} is wrapped`);
      assert.deepEqual(
        pages.map((p) => p.status),
        [401, 403, 403],
      );
    });
  });
});
