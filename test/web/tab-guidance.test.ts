import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { attr, controlByLabel, controlValue, createServer, descriptions, notices, openingTag, textOf, type TestServer } from '../support/server';

// The guidance of the tab as the server renders it, which is all a browser without JavaScript
// gets: the MX hosts from DNS, mismatches flagged, "mail would be refused", testing before
// enforce, maximum age in words, and retiring a policy the RFC 8461 way.

/** The whole element with this id, nested elements of the same name included. */
function element(html: string, id: string): string {
  const open = openingTag(html, id);
  assert.ok(open, `no #${id}`);
  const tags = new RegExp(`<(/?)${open.name}\\b[^>]*>`, 'gi');
  tags.lastIndex = open.index + open.tag.length;
  let depth = 1;
  for (let m = tags.exec(html); m; m = tags.exec(html)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return html.slice(open.index, m.index + m[0].length);
  }
  throw new Error(`#${id} is not closed`);
}

/** Leaves out <div hidden> hints, which nobody sees or hears. */
function withoutHidden(html: string): string {
  return html.replace(/<div\b[^>]*\shidden\b[^>]*>[^<]*<\/div>/g, '');
}

describe('the MTA-STS tab guidance (server side, no JavaScript needed)', () => {
  let dns: TestDnsServer;
  let server: TestServer;
  before(async () => {
    dns = await startDnsServer();
    dns.setZone([
      { name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mail.example.org' } },
      { name: 'example.org', type: 'MX', data: { preference: 20, exchange: 'mx2.example.org' } },
      { name: 'example.com', type: 'MX', data: { preference: 0, exchange: '.' } },
    ]);
  });
  after(() => dns.close());
  beforeEach(async () => {
    server = await createServer({ plugin: { dns: { servers: [dns.address], timeoutMs: 300, retries: 0 } } });
  });
  afterEach(() => server.close());

  /** What the MX entries field says (its aria-describedby texts, hidden hints left out), read with nesting. */
  const mxSays = (html: string) => {
    const ids = (attr(controlByLabel(html, 'MX entries').tag, 'aria-describedby') ?? '').split(/\s+/).filter(Boolean);
    return ids
      .map((id) => textOf(withoutHidden(element(html, id))))
      .filter(Boolean)
      .join(' | ');
  };
  const visible = (html: string, hint: string) => {
    const tag = new RegExp(`<div [^>]*data-hint="${hint}"[^>]*>`).exec(html)?.[0];
    assert.ok(tag, `no ${hint} hint`);
    return attr(tag, 'hidden') === null;
  };

  it("offers the domain's MX hosts from DNS, as a link that fills them in without saving", async () => {
    const page = await server.request().get('/mta-sts/example.org');
    assert.match(mxSays(page.text), /MX hosts of example\.org in DNS: mail\.example\.org, mx2\.example\.org\./);
    const link = /<a href="([^"]+)"[^>]*data-fill-mx>([^<]*)<\/a>/.exec(page.text);
    assert.ok(link, 'a link to fill them in');
    assert.equal(textOf(link[2]), 'Use these as MX entries');
    const filled = await server.request().get(link[1].replace(/&amp;/g, '&'));
    assert.equal(filled.status, 200);
    assert.equal(controlValue(filled.text, controlByLabel(filled.text, 'MX entries').id), 'mail.example.org, mx2.example.org');
    assert.ok(notices(filled.text).some((n) => /filled in from DNS.*nothing is saved yet/.test(n)));
    assert.equal((await server.row('example.org')).mta_sts_revision, 0);
  });

  it('flags entries that match no MX host, and says when mail would be refused in enforce mode', async () => {
    const res = await server.submitTab('example.org', { mode: 'enforce', mx: 'mail.example.org, old.example.org', active: '1' });
    assert.equal(res.status, 200);
    const says = mxSays(res.text);
    assert.match(says, /old\.example\.org matches none of the MX hosts in DNS: remove it if left over\./);
    assert.match(says, /The MX host mx2\.example\.org matches no entry\./);
    assert.match(says, /Mail would be refused: in enforce mode, senders refuse to deliver to mx2\.example\.org/);
    assert.ok(visible(res.text, 'consequence'));
    assert.match(/<div [^>]*data-hint="consequence"[^>]*>/.exec(res.text)?.[0] ?? '', /alert-danger/);
    // Straight from none to enforce: the guide's Step 4 says testing first.
    assert.ok(notices(res.text).some((n) => /You moved straight from none to enforce/.test(n)));

    const testing = await server.submitTab('example.org', { mode: 'testing' });
    assert.match(mxSays(testing.text), /In testing mode, senders report failures for mx2\.example\.org/);
    assert.ok(!notices(testing.text).some((n) => /straight from none/.test(n)));
    const covered = await server.submitTab('example.org', { mode: 'enforce', mx: 'mail.example.org, mx2.example.org' });
    assert.match(mxSays(covered.text), /Every MX host in DNS matches an entry\./);
    assert.ok(!visible(covered.text, 'consequence'));
    assert.ok(!notices(covered.text).some((n) => /straight from none/.test(n)), 'testing came first');
  });

  it('says when DNS has no MX hosts to suggest (null MX, none, no answer in time)', async () => {
    const cases: Array<[string, RegExp]> = [
      ['example.com', /example\.com publishes a null MX/],
      ['inactive.example', /DNS has no MX records for inactive\.example/],
    ];
    for (const [domain, says] of cases) assert.match(mxSays((await server.request().get(`/mta-sts/${domain}`)).text), says);
    dns.setFault('drop', { name: 'example.org' });
    try {
      const slow = await server.request().get('/mta-sts/example.org');
      assert.equal(slow.status, 200, 'the tab is shown without the MX hosts');
      assert.match(mxSays(slow.text), /could not be looked up/);
    } finally {
      dns.setFault(null);
    }
  });

  it('shows the Maximum Age in words beside the seconds, and warns below one day', async () => {
    const shown = async (maxAge: string) => {
      const res = await server.submitTab('example.org', { maxAge });
      return descriptions(res.text, controlByLabel(res.text, 'Maximum Age').id).join(' | ');
    };
    assert.match(await shown('604800'), /^= 1 week \|/);
    assert.match(await shown('1209600'), /^= 2 weeks \|/);
    assert.doesNotMatch(await shown('86400'), /Less than one day/);
    assert.match(await shown('3600'), /^= 1 hour \| Less than one day/);
    assert.match(await shown('0'), /^= 0 seconds \| Less than one day/);
  });

  it('asks before turning off a policy in enforce or testing, explaining RFC 8461 retirement; nothing is saved', async () => {
    await server.submitTab('example.org', { mode: 'enforce', mx: 'mail.example.org, mx2.example.org', maxAge: '604800', active: '1' });
    const before = await server.row('example.org');
    const res = await server.submitTab('example.org', { active: undefined });
    assert.equal(res.status, 200);
    assert.ok(notices(res.text).some((n) => /^Not saved yet: turning MTA-STS off now would leave senders applying the cached policy for up to 1 week/.test(n)));
    const panel = openingTag(res.text, 'mta-sts-retire');
    assert.ok(panel && attr(panel.tag, 'hidden') === null, 'the explanation is shown');
    const text = textOf(res.text);
    assert.match(text, /Serve mode none with a new id and a small Maximum Age/);
    assert.match(text, /Then remove the TXT record at _mta-sts\.example\.org and the CNAME mta-sts\.example\.org, and uncheck Active/);
    assert.match(res.text, /<button type="submit" name="intent" value="retire"[^>]*>Retire the policy \(mode none, new id\)<\/button>/);
    assert.match(res.text, /<button type="submit" name="intent" value="deactivate"[^>]*>Turn MTA-STS off anyway<\/button>/);
    assert.equal(attr(controlByLabel(res.text, 'Active').tag, 'checked'), null, 'the form keeps Active unchecked');
    assert.deepEqual(await server.row('example.org'), before, 'nothing saved');
    // Before "Save changes" no other submit button: Enter in a field still saves.
    assert.match(/<button\b[^>]*>([\s\S]*?)<\/button>/.exec(res.text)?.[1] ?? '', /Save changes/);
  });

  it('retires instead: mode none with a new id and a one-day maximum age, still served, saying until when', async () => {
    await server.submitTab('example.org', { mode: 'enforce', mx: 'mail.example.org, mx2.example.org', maxAge: '604800', active: '1' });
    const oldId = (await server.row('example.org')).mta_sts_id;
    const res = await server.submitTab('example.org', { active: undefined, intent: 'retire', mx: 'typed.but.ignored.example' });
    assert.equal(res.status, 200);
    const row = await server.row('example.org');
    assert.deepEqual(
      [Boolean(row.mta_sts_active), row.mta_sts_mode, Number(row.mta_sts_max_age), row.mta_sts_mx],
      [true, 'none', 86400, 'mail.example.org,mx2.example.org'],
    );
    assert.notEqual(row.mta_sts_id, oldId);
    assert.ok(
      notices(res.text).some(
        (n) =>
          n.startsWith(`The policy is being retired: mode none is served with the new id ${row.mta_sts_id}.`) &&
          /until at least \d{4}-\d\d-\d\d \d\d:\d\d UTC/.test(n),
      ),
    );
    assert.ok(!notices(res.text).some((n) => /This policy is in mode none/.test(n)), 'the standing note is not repeated');
    assert.equal(
      (await server.policy('mta-sts.example.org')).text,
      'version: STSv1\r\nmode: none\r\nmx: mail.example.org\r\nmx: mx2.example.org\r\nmax_age: 86400\r\n',
    );
    // Later visits remind what retiring takes.
    const later = await server.request().get('/mta-sts/example.org');
    assert.ok(notices(later.text).some((n) => /^This policy is in mode none: senders that fetch it drop the policy they cached/.test(n)));
    // A none policy may be switched off directly.
    const off = await server.submitTab('example.org', { active: undefined });
    assert.ok(notices(off.text).some((n) => /^Saved\./.test(n)));
    assert.equal(Boolean((await server.row('example.org')).mta_sts_active), false);
  });

  it('keeps a short maximum age short when retiring', async () => {
    await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', maxAge: '600', active: '1' });
    await server.submitTab('example.org', { intent: 'retire' });
    assert.equal(Number((await server.row('example.org')).mta_sts_max_age), 600);
  });

  it('turns off at once with "Turn MTA-STS off anyway"', async () => {
    await server.submitTab('example.org', { mode: 'testing', mx: 'mail.example.org', active: '1' });
    const res = await server.submitTab('example.org', { active: undefined, intent: 'deactivate' });
    assert.equal(res.status, 200);
    assert.equal(Boolean((await server.row('example.org')).mta_sts_active), false);
    assert.equal((await server.policy('mta-sts.example.org')).status, 404);
  });

  it('asks nothing for a policy senders never had in testing or enforce', async () => {
    await server.submitTab('example.org', { mode: 'none', active: '1' });
    const res = await server.submitTab('example.org', { active: undefined });
    assert.ok(notices(res.text).some((n) => /^Saved\./.test(n)));
    assert.equal(openingTag(res.text, 'mta-sts-retire'), null);
  });

  it('serves its script from the plugin: versioned, cacheable, JavaScript type, no login needed', async () => {
    const page = await server.request().get('/mta-sts/example.org');
    const src = /<script type="module" src="([^"]+)"><\/script>/.exec(page.text)?.[1];
    assert.ok(src && /^\/mta-sts\/assets\/tab\.mjs\?v=[\w-]+$/.test(src), `script tag: ${src}`);
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>(?!<\/script>)/, 'no inline script');
    server.authorize = 'unauthenticated';
    const script = await server.request().get(src);
    assert.equal(script.status, 200);
    assert.match(script.headers['content-type'] ?? '', /^text\/javascript/);
    assert.equal(script.headers['x-content-type-options'], 'nosniff');
    assert.match(script.headers['cache-control'] ?? '', /immutable/);
    assert.doesNotMatch(script.text, /\beval\(|new Function|innerHTML|document\.write/);
    const unversioned = await server.request().get('/mta-sts/assets/tab.mjs');
    assert.equal(unversioned.headers['cache-control'], 'no-cache');
    const again = await server.request().get(src).set('If-None-Match', script.headers.etag);
    assert.equal(again.status, 304);
    assert.equal((await server.request().get('/mta-sts/assets/other.js')).status, 401, 'nothing else is public');
  });

  it('escapes what it hands the script (texts in an attribute, never markup)', async () => {
    await server.close();
    server = await createServer({ plugin: { dns: { servers: [dns.address], timeoutMs: 300, retries: 0 }, locale: 'de' } });
    const page = await server.request().get('/mta-sts/example.org');
    const section = /<section [^>]*data-l10n="([^"]*)"/.exec(page.text);
    assert.ok(section, 'the texts are in data-l10n');
    const l10n = JSON.parse(
      section[1]
        .replace(/&#34;/g, '"')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    );
    assert.equal(l10n['tab.copy'], 'Kopieren');
    assert.equal(l10n['duration.week.other'], '{count} Wochen');
  });
});
