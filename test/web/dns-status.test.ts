// The publishing state the publisher keeps (`<prefix>dns_states`) as the overview and the alerts
// read it: a real BIND primary takes the records signed with the right TSIG key and refuses the
// wrong one; the overview's column and filter (API and page, English and German) and the
// scheduled checks' dns-not-published alert (a signed webhook on loopback) follow, without DNS.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rfc2136Publisher } from '../../src/publish/rfc2136';
import { DnsStateStore } from '../../src/store/dns-state-store';
import { DB_KINDS } from '../support/db';
import { startBind, type TestBind } from '../support/dns-primaries';
import { createServer, textOf, type TestServer } from '../support/server';

const API = '/api/v1/mta-sts';
const SECRET = 'webhook-secret-0123456789';

for (const kind of DB_KINDS)
  describe(`the publishing state in the overview and the alerts (${kind})`, function () {
    this.timeout(60_000);
    let bind: TestBind;
    let server: TestServer;
    let hook: HttpServer;
    const received: Array<Record<string, unknown>> = [];
    let clock = Date.parse('2026-12-01T08:00:00Z');

    before(async () => {
      bind = await startBind({ 'example.org': '', 'example.com': '' });
      hook = createHttpServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
          res.writeHead(204).end();
        });
      });
      hook.listen(0, '127.0.0.1');
      await once(hook, 'listening');
      server = await createServer({
        db: kind,
        domains: [{ domain: 'example.org' }, { domain: 'example.com' }, { domain: 'example.net' }],
        plugin: {
          now: () => new Date(clock),
          logger: { error: () => undefined, warn: () => undefined, info: () => undefined },
          alerts: { locale: 'en', webhook: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, secret: SECRET } },
        },
      });
    });
    after(async () => {
      await server?.close();
      hook?.close();
      await bind?.close();
    });

    /** Publishes from this process with `key` while `work` runs, then stops (and releases the lease). */
    const publishing = async (key: TestBind['key'], work: () => Promise<void>) => {
      const publisher = rfc2136Publisher({ host: '127.0.0.1', port: bind.port, key, timeoutMs: 2000 });
      const p = server.mtaSts.createDnsPublishing(publisher, { repairMs: 0, leaseMs: 1000 });
      p.start();
      // A change saved before the lease is taken is left to the first repair: wait for the lease.
      for (let i = 0; i < 200 && !p.active; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(p.active, 'the publisher took its lease');
      try {
        await work();
      } finally {
        await p.stop();
      }
    };
    const stateOf = async (name: string): Promise<string | undefined> => {
      const stored = await new DnsStateStore(server.db.knex, `${server.db.tablePrefix}dns_states`).get([name.replace(/^_mta-sts\./, '')]);
      return stored.find((r) => r.name === name)?.state;
    };
    /** A bounded wait for the publisher's stored state (it publishes within a second or two of a save). */
    const until = async (name: string, state: string) => {
      for (let i = 0; i < 200; i++) {
        if ((await stateOf(name)) === state) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.fail(`${name} never became ${state} (is ${String(await stateOf(name))})`);
    };
    const overview = async (query: string) =>
      (await server.request().get(`${API}/${query}`).expect(200)).body as {
        total: number;
        domains: Array<{ domain: string; dns: { state: string; checkedAt: string } | null }>;
      };
    /** The tab of `domain`: each record row's name and publishing state, its text and HTML. */
    const tab = async (domain: string, lang: string) => {
      const res = await server.request().get(`${server.adminPath}/${domain}`).set('Accept-Language', lang).expect(200);
      const rows = [...res.text.matchAll(/<tr class="d-block d-md-table-row border-bottom">([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
      const states = rows.flatMap((row) => {
        const state = /data-dns-state="([a-z]+)"/.exec(row)?.[1];
        return state ? [[textOf(/data-record-name>([\s\S]*?)<\/code>/.exec(row)?.[1] ?? ''), state]] : [];
      });
      return { html: res.text, text: textOf(res.text), states };
    };
    const dnsAlerts = () => received.filter((m) => m.condition === 'dns-not-published');

    it('stores published after a save, differs after a refused update; the overview shows and filters it; past 10 minutes it is an alert', async () => {
      await publishing(bind.key, async () => {
        await server.put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true }).expect(200);
        await server.put('example.com', { mode: 'testing', mx: ['mail.example.com'], active: true }).expect(200);
        await until('_mta-sts.example.org', 'published');
        await until('_mta-sts.example.com', 'published');
      });
      const published = await overview('?dns=published');
      assert.deepEqual(
        published.domains.map((d) => [d.domain, d.dns?.state, d.dns?.checkedAt]),
        [
          ['example.com', 'published', '2026-12-01T08:00:00.000Z'],
          ['example.org', 'published', '2026-12-01T08:00:00.000Z'],
        ],
      );
      assert.deepEqual(
        (await overview('?dns=unknown')).domains.map((d) => [d.domain, d.dns]),
        [['example.net', null]],
      );
      // The tab: the state next to each record the publisher wrote, with when; nothing for the CNAME.
      const tabEn = await tab('example.org', 'en');
      assert.deepEqual(tabEn.states, [['_mta-sts.example.org', 'published']]);
      assert.match(tabEn.text, /Published/);
      assert.match(tabEn.text, /published \(checked [^)]*2026[^)]*\)/);
      const tabDe = await tab('example.org', 'de');
      assert.match(tabDe.text, /Veröffentlicht/);
      assert.match(tabDe.text, /veröffentlicht \(geprüft [^)]*2026[^)]*\)/);
      // A domain the publisher never wrote: no new column, no error.
      const untouched = await tab('example.net', 'en');
      assert.deepEqual(untouched.states, []);
      assert.doesNotMatch(untouched.html, /<th scope="col">Published<\/th>/);

      // A key the server does not know: the next change is refused, and the record differs.
      const wrong = { ...bind.key, secret: randomBytes(32) };
      await publishing(wrong, async () => {
        await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org'], active: true }).expect(200);
        await until('_mta-sts.example.org', 'differs');
      });
      assert.deepEqual(
        (await overview('?dns=differs')).domains.map((d) => [d.domain, d.dns?.state]),
        [['example.org', 'differs']],
      );
      assert.deepEqual(
        (await overview('?dns=published')).domains.map((d) => d.domain),
        ['example.com'],
      );
      assert.deepEqual((await tab('example.org', 'en')).states, [['_mta-sts.example.org', 'differs']]);
      assert.match((await tab('example.org', 'de')).text, /weicht ab \(geprüft /);
      // A change saved after the publisher last looked (none is running now): its new id is pending.
      clock += 1000;
      await server.put('example.org', { mode: 'enforce', mx: ['mail.example.org', 'mx2.example.org'], active: true }).expect(200);
      assert.deepEqual((await tab('example.org', 'en')).states, [['_mta-sts.example.org', 'pending']]);
      assert.match((await tab('example.org', 'de')).text, /ausstehend \(geprüft /);
      const bad = await server.request().get(`${API}/?dns=broken`).expect(400);
      assert.equal(bad.body.errors[0].field, 'dns');

      // The page: a column and a filter, in English and German.
      const en = await server.request().get(`${server.adminPath}/?dns=differs`).set('Accept-Language', 'en').expect(200);
      assert.match(en.text, /data-domain="example\.org"[^>]*data-dns="differs"/);
      assert.doesNotMatch(en.text, /data-domain="example\.com"/);
      assert.match(textOf(en.text), /DNS records/);
      assert.match(textOf(en.text), /differs, /);
      assert.match(en.text, /<option value="differs" selected>differs<\/option>/);
      const de = await server.request().get(`${server.adminPath}/`).set('Accept-Language', 'de').expect(200);
      assert.match(textOf(de.text), /DNS-Einträge/);
      assert.match(textOf(de.text), /weicht ab am /);
      assert.match(textOf(de.text), /veröffentlicht am /);
      assert.match(textOf(de.text), /nicht verwaltet/);

      // Different for less than 10 minutes: no alert yet; past them, one, naming the record.
      clock += 5 * 60_000;
      await server.mtaSts.runScheduledChecks();
      assert.deepEqual(dnsAlerts(), []);
      clock += 6 * 60_000;
      await server.mtaSts.runScheduledChecks();
      assert.deepEqual(
        dnsAlerts().map((m) => [m.domain, m.state, m.records]),
        [['example.org', 'raised', [{ name: '_mta-sts.example.org', state: 'differs', since: '2026-12-01T08:00:00.000Z' }]]],
      );
      assert.match(String(dnsAlerts()[0].text), /_mta-sts\.example\.org: differs since 2026-12-01T08:00:00\.000Z/);

      // Published again with the right key: the alert recovers (once a day at most: a day later).
      await publishing(bind.key, async () => {
        await server.put('example.org', { mode: 'testing', mx: ['mail.example.org'], active: true }).expect(200);
        await until('_mta-sts.example.org', 'published');
      });
      clock += 86_400_000;
      await server.mtaSts.runScheduledChecks();
      assert.deepEqual(
        dnsAlerts().map((m) => `${String(m.domain)}:${String(m.state)}`),
        ['example.org:raised', 'example.org:recovered'],
      );
    });
  });
