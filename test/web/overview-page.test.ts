import assert from 'node:assert/strict';
import type { AuthorizeTarget } from '../../src';
import { TestServer, createServer, csrfFrom, formValues, textOf } from '../support/server';

const DOMAINS = Array.from({ length: 12 }, (_, i) => ({ domain: `d${String(i).padStart(2, '0')}.example` }));

describe('the overview page, bulk changes, defaults and the history page', function () {
  this.timeout(60_000);
  let server: TestServer;

  beforeEach(async () => {
    server = await createServer({ domains: DOMAINS });
  });
  afterEach(() => server.close());

  const page = (path = '/', lang = 'en') => server.request().get(`${server.adminPath}${path}`).set('Accept-Language', lang);

  it('lists the domains with filters, sorting links and pages, in English and German', async () => {
    await server.put('d01.example', { mode: 'testing', mx: ['mx.example.net'], active: true }).expect(200);
    const res = await page('/?size=25').expect(200);
    const text = textOf(res.text);
    assert.match(text, /12 domains/);
    assert.match(res.text, /data-domain="d01\.example"/);
    assert.match(res.text, /<a href="\/mta-sts\/d01\.example">/);
    const filtered = await page('/overview?mode=testing').expect(200);
    assert.match(textOf(filtered.text), /1 domain\b/);
    assert.doesNotMatch(filtered.text, /data-domain="d02\.example"/);
    const paged = await page('/?size=25&page=1').expect(200);
    assert.doesNotMatch(paged.text, /rel="next"/);
    const small = await page('/?size=25&sort=domain&desc=1').expect(200);
    assert.ok(small.text.indexOf('d11.example') < small.text.indexOf('d00.example'), 'sorted descending');
    const german = await page('/', 'de').expect(200);
    assert.match(textOf(german.text), /12 Domains/);
    assert.match(textOf(german.text), /Mehrere Domains ändern/);
    assert.equal((await page('/?mode=strict').expect(400)).status, 400);
  });

  it('previews a bulk change, saves it only on confirmation, and refuses a form without its token', async () => {
    const res = await page('/').expect(200);
    const csrf = csrfFrom(res);
    const fields = {
      domains: ['d02.example', 'd03.example'],
      scope: 'selected',
      action: 'set',
      mode: 'testing',
      maxAge: '3600',
      mx: 'mx.example.net',
      mxAction: 'replace',
    };
    const preview = await server
      .request()
      .post(`${server.adminPath}/bulk`)
      .type('form')
      .set('Cookie', csrf.cookie)
      .send({ ...fields, _csrf: csrf.token })
      .expect(200);
    assert.match(textOf(preview.text), /nothing is saved yet/);
    assert.match(textOf(preview.text), /2 would change/);
    assert.equal((await server.row('d02.example')).mta_sts_id, null, 'the preview saved nothing');
    const confirm = formValues(preview.text.slice(preview.text.indexOf('<form')));
    assert.equal(confirm.confirm, '1');
    const done = await server
      .request()
      .post(`${server.adminPath}/bulk`)
      .type('form')
      .set('Cookie', csrf.cookie)
      .send({ ...fields, confirm: '1', _csrf: csrf.token })
      .expect(200);
    assert.match(textOf(done.text), /2 changed/);
    const row = await server.row('d02.example');
    assert.equal(row.mta_sts_mode, 'testing');
    assert.equal(Number(row.mta_sts_max_age), 3600);
    await server.request().post(`${server.adminPath}/bulk`).type('form').send(fields).expect(403);

    // The whole filter, not just a selection: retire every testing domain.
    const retire = await server
      .request()
      .post(`${server.adminPath}/bulk`)
      .type('form')
      .set('Cookie', csrf.cookie)
      .send({ scope: 'filtered', mode_filter: 'testing', action: 'retire', confirm: '1', _csrf: csrf.token })
      .expect(200);
    assert.match(textOf(retire.text), /2 changed/);
    assert.equal((await server.row('d03.example')).mta_sts_mode, 'none');
    const none = await server
      .request()
      .post(`${server.adminPath}/bulk`)
      .type('form')
      .set('Cookie', csrf.cookie)
      .send({ action: 'set', mode: 'none', _csrf: csrf.token })
      .expect(400);
    assert.match(textOf(none.text), /Select at least one domain/);
  });

  it('saves the defaults from the page and offers them on the tab of a domain without a policy', async () => {
    const res = await page('/').expect(200);
    const csrf = csrfFrom(res);
    const bad = await server
      .request()
      .post(`${server.adminPath}/defaults`)
      .type('form')
      .set('Cookie', csrf.cookie)
      .send({ mode: 'enforce', maxAge: '600', mx: '', _csrf: csrf.token })
      .expect(400);
    assert.match(textOf(bad.text), /The defaults were not saved/);
    await server
      .request()
      .post(`${server.adminPath}/defaults`)
      .type('form')
      .set('Cookie', csrf.cookie)
      .send({ mode: 'testing', maxAge: '604800', mx: 'mx.example.net', _csrf: csrf.token })
      .expect(303)
      .expect('Location', '/mta-sts/?mta-sts-defaults=1');
    const tab = await page('/d05.example').expect(200);
    assert.match(tab.text, /data-fill-defaults/);
    const filled = await page('/d05.example?fill=defaults').expect(200);
    const form = formValues(filled.text);
    assert.deepEqual([form.mode, form.maxAge, form.mx], ['testing', '604800', 'mx.example.net']);
    assert.equal((await server.row('d05.example')).mta_sts_id, null, 'a prefill saves nothing');
  });

  it('shows the history newest first and, while retiring, when the DNS records may go', async () => {
    await server.put('d01.example', { mode: 'enforce', mx: ['mx.example.net'], active: true, maxAge: 1209600 }).expect(200);
    await server.put('d01.example', { mode: 'none', maxAge: 86400 }).expect(200);
    const res = await page('/d01.example/history').expect(200);
    const text = textOf(res.text);
    assert.ok(text.indexOf('enforce, 1209600 s') > -1);
    assert.match(text, /Retiring: senders may still apply an earlier testing or enforce policy until/);
    assert.match(text, /Largest Maximum Age served in mode enforce: 2 weeks/);
    const tab = await page('/d01.example').expect(200);
    // On the tab, among its page-level notices (one shown, the others folded).
    assert.match(textOf(tab.text), /Retiring: senders may still apply an earlier testing or enforce policy until/);
    assert.match(tab.text, /href="\/mta-sts\/d01\.example\/history"/);
    const german = await page('/d01.example/history', 'de').expect(200);
    assert.match(textOf(german.text), /Änderungsverlauf von d01\.example/);
  });

  it('shows a domain administrator only their domains and forbids bulk changes on others', async () => {
    server.authorize = (_req, target: AuthorizeTarget) => target.domain === null || target.domain === 'd04.example';
    const res = await page('/').expect(200);
    assert.match(textOf(res.text), /1 domain\b/);
    assert.doesNotMatch(res.text, /d05\.example/);
    const csrf = csrfFrom(res);
    const out = await server
      .request()
      .post(`${server.adminPath}/bulk`)
      .type('form')
      .set('Cookie', csrf.cookie)
      .send({ domains: ['d04.example', 'd05.example'], action: 'activate', confirm: '1', _csrf: csrf.token })
      .expect(200);
    assert.match(out.text, /data-status="forbidden"/);
    assert.equal((await server.row('d05.example')).mta_sts_id, null);
  });
});
