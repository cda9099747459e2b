import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { CATALOGUES } from '../../src/i18n';
import { startDnsServer, type TestDnsServer, type ZoneRecord } from '../support/dns-server';
import {
  MAIL_HOSTNAME, PASSWORD, assertAccessible, clearScreenshots, description, mailZone, newPage, policyFile, screenshot, showTab, speak, startBrowser, startPanel, stored,
  type Browser, type Panel,
} from './harness';

// The guide ("Setting up MTA-STS", Steps 1 to 4) walked in a real browser, as a person does it:
// fields found by their labels, buttons by their names. Every test leaves a screenshot in
// test-artifacts/. axe-core checks the states that together hold every part of the tab: field
// errors; the saved policy with its records, the DNS Check table and the "mail would be refused"
// alert; the maximum age warning; the retiring explanation, with and without JavaScript; and all
// of it in German.

/** The German part runs on an internationalised domain. */
const IDN = 'xn--bcher-kva.example';
const STATUS_WORDS = ['OK', 'Warnung', 'Fehler', 'Hinweis'];

/** English catalogue sentences (long enough to be unmistakable) found in a text. */
function englishIn(text: string): string[] {
  return Object.entries(CATALOGUES.en)
    .filter(([key, value]) => !/\{/.test(value) && value.length > 15 && value !== CATALOGUES.de[key as keyof typeof CATALOGUES.de])
    .map(([, value]) => value)
    .filter((value) => text.includes(value));
}

const ZONE: ZoneRecord[] = [
  ...mailZone('example.org', ['mail.example.org', 'mx2.example.org']),
  ...mailZone('example.net', ['mail.example.net', 'backup.example.net']),
  ...mailZone('example.com', ['mx1.example.com', 'mx2.example.com']),
  ...mailZone('retire.example', ['mail.retire.example']),
  ...mailZone('nojs.example', ['mail.nojs.example', 'mx2.nojs.example']),
  ...mailZone(IDN, [`mail.${IDN}`, `mx2.${IDN}`]),
  { name: MAIL_HOSTNAME, type: 'A', data: '127.0.0.1' },
];

describe('the MTA-STS tab in a browser (Chromium), in English and German', function () {
  this.timeout(60_000);
  let dns: TestDnsServer;
  let panel: Panel;
  let browser: Browser;
  let page: Page;

  before(async () => {
    dns = await startDnsServer();
    dns.setZone(ZONE);
    panel = await startPanel(dns, ['example.org', 'example.net', 'example.com', 'retire.example', 'nojs.example', 'bücher.example']);
    clearScreenshots('tab-');
    browser = await startBrowser();
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: panel.origin });
  });
  after(async () => {
    await browser?.close();
    await panel?.close();
    await dns?.close();
  });
  beforeEach(async () => {
    page = await browser.context.newPage();
  });
  afterEach(async function () {
    // Also after a failure: the screenshot shows what the test saw.
    if (this.currentTest?.state === 'failed') await screenshot(page, `tab-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
    await page?.close();
  });

  /** A policy as an earlier save would have left it. */
  async function setPolicy(domain: string, policy: { mode: string; mx: string; maxAge: number; id: string }): Promise<void> {
    await panel.knex('domain').where('domain', domain).update({
      mta_sts_active: true, mta_sts_mode: policy.mode, mta_sts_mx: policy.mx, mta_sts_max_age: policy.maxAge, mta_sts_id: policy.id,
      mta_sts_updated_at: '2026-11-01T10:00:00.000Z', mta_sts_revision: 1,
    });
  }

  /** Step 1 of the guide: the fields, Active checked, "Save changes". */
  async function save(values: { mode: string; mx: string; maxAge?: string }): Promise<void> {
    await page.getByLabel('Mode').selectOption(values.mode);
    if (values.maxAge !== undefined) await page.getByLabel('Maximum Age').fill(values.maxAge);
    await page.getByLabel('MX entries').fill(values.mx);
    await page.getByLabel('Active').check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForLoadState();
  }

  /** A DNS Check row, by its row header (the check's title and machine name, which ends it). */
  function checkRow(domain: string, name: string) {
    const table = page.getByRole('table', { name: `DNS Check results for ${domain}` });
    return table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`${name}$`) }) });
  }

  function statusMessages(): Promise<string[]> {
    return page.getByRole('status').or(page.getByRole('alert')).allInnerTexts();
  }

  it('Step 1: logs in, opens the domain and its "MTA-STS" tab, with the mouse and with the keyboard', async () => {
    const fresh = await newPage(browser);
    try {
      await fresh.goto(`${panel.origin}/login`);
      await fresh.getByLabel('Username').fill('admin');
      await fresh.getByLabel('Password').fill(PASSWORD);
      await fresh.getByRole('button', { name: 'Log in' }).click();
      await fresh.waitForURL(`${panel.origin}/domains`);
      await fresh.goto(`${panel.origin}/domains/example.org`);
      await fresh.getByRole('link', { name: 'MTA-STS', exact: true }).click();
      await fresh.getByRole('heading', { name: 'MTA-STS for example.org' }).waitFor();
      for (const label of ['Version', 'Mode', 'Maximum Age', 'MX entries', 'Active']) assert.equal(await fresh.getByLabel(label, { exact: true }).count(), 1, label);
      assert.equal(await fresh.getByRole('link', { name: 'MTA-STS', exact: true }).getAttribute('aria-current'), 'page');
      // The domain's MX hosts, from DNS, offered to fill in.
      assert.match(await description(fresh.getByLabel('MX entries')), /MX hosts of example\.org in DNS: mail\.example\.org, mx2\.example\.org/);
      assert.equal(await fresh.getByRole('button', { name: 'Use these as MX entries' }).count(), 1);
      await screenshot(fresh, 'tab-en-01-step1-tab');

      // The same with the keyboard only: Tab to the "MTA-STS" tab link, Enter.
      await fresh.goto(`${panel.origin}/domains/example.org`);
      let focused = '';
      for (let presses = 0; presses < 15 && focused !== 'MTA-STS'; presses++) {
        await fresh.keyboard.press('Tab');
        focused = await fresh.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText?.trim() ?? '');
      }
      assert.equal(focused, 'MTA-STS', 'the tab link is reachable with Tab');
      await fresh.keyboard.press('Enter');
      await fresh.getByRole('heading', { name: 'MTA-STS for example.org' }).waitFor();
      // And on into the form: Tab reaches the first field.
      await fresh.getByLabel('Version').focus();
      await fresh.keyboard.press('Tab');
      assert.equal(await fresh.evaluate(() => document.activeElement?.id), 'mta-sts-mode');
    } finally {
      await fresh.close();
    }
  });

  it('Step 1: refuses an invalid MX entry beside "MX entries", keeps what was typed and saves nothing', async () => {
    await showTab(page, panel, 'example.org');
    const before = await stored(panel, 'example.org');
    await save({ mode: 'testing', mx: 'mail.example.org, mail..example.org' });

    const mx = page.getByLabel('MX entries');
    assert.equal(await mx.inputValue(), 'mail.example.org, mail..example.org', 'the input is kept');
    assert.equal(await mx.getAttribute('aria-invalid'), 'true');
    const described = await description(mx);
    assert.match(described, /^MX entries has a problem: "mail\.\.example\.org" is not a valid MX entry/, 'the error comes first in what the field says');
    // Beside the field: the error is shown right under the MX entries input.
    const error = page.getByText('"mail..example.org" is not a valid MX entry');
    assert.ok(await error.isVisible());
    const [field, message] = [await mx.boundingBox(), await error.boundingBox()];
    assert.ok(field && message && message.y >= field.y + field.height - 1 && message.y - (field.y + field.height) < 40, 'right under the field');
    assert.ok((await statusMessages()).some((m) => /Nothing was saved/.test(m)));
    assert.equal(await page.getByLabel('Mode').inputValue(), 'testing');
    assert.ok(await page.getByLabel('Active').isChecked());
    const after = await stored(panel, 'example.org');
    assert.deepEqual([after.mta_sts_id, after.mta_sts_revision, after.mta_sts_mode], [before.mta_sts_id, before.mta_sts_revision, before.mta_sts_mode]);
    await screenshot(page, 'tab-en-02-step1-invalid-mx');
    await assertAccessible(page, 'the tab with a field error');
  });

  it('Step 1+2: saves testing + Active: success message, new policy id, the two DNS records; the policy file holds exactly what was entered', async () => {
    await showTab(page, panel, 'example.org');
    await save({ mode: 'testing', mx: 'mail.example.org, MX2.example.org.', maxAge: '604800' });

    const row = await stored(panel, 'example.org');
    const id = String(row.mta_sts_id);
    assert.match(id, /^\d{14}$/);
    assert.ok((await statusMessages()).some((m) => m.includes(`Saved. The new policy id is ${id}`)), 'success message with the id');
    const records = page.getByRole('table', { name: 'DNS records to publish for example.org' });
    const txt = await records.getByRole('row').filter({ hasText: 'TXT' }).getByRole('cell').allInnerTexts();
    const cname = await records.getByRole('row').filter({ hasText: 'CNAME' }).getByRole('cell').allInnerTexts();
    assert.equal(txt[0], 'TXT');
    assert.match(txt[1], /^_mta-sts\.example\.org\b/);
    assert.match(txt[2], new RegExp(`^v=STSv1; id=${id}\\b`));
    assert.match(cname[1], /^mta-sts\.example\.org\b/);
    assert.match(cname[2], new RegExp(`^${MAIL_HOSTNAME.replace(/\./g, '\\.')}\\b`));
    // The form shows what was stored, normalised.
    assert.equal(await page.getByLabel('MX entries').inputValue(), 'mail.example.org, mx2.example.org');
    assert.equal(await page.getByLabel('Maximum Age').inputValue(), '604800');

    // What senders get now, from the panel that just saved.
    const policy = await policyFile(panel, 'example.org');
    assert.equal(policy.status, 200);
    assert.equal(policy.text, 'version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmx: mx2.example.org\r\nmax_age: 604800\r\n');

    // Copy buttons put exactly the record value on the clipboard.
    await page.getByRole('button', { name: 'Copy TXT value' }).click();
    await page.getByText('Copied to the clipboard: TXT value.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `v=STSv1; id=${id}`);
    await page.getByRole('button', { name: 'Copy zone-file lines' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()),
      `_mta-sts.example.org. 3600 IN TXT "v=STSv1; id=${id}"\nmta-sts.example.org. 3600 IN CNAME ${MAIL_HOSTNAME}.`);
    await screenshot(page, 'tab-en-03-step2-saved-records');
  });

  it('Step 3: "DNS Check" shows the results table with a status for every check and the current id', async () => {
    await showTab(page, panel, 'example.org');
    await save({ mode: 'testing', mx: 'mail.example.org, mx2.example.org', maxAge: '86400' });
    const id = String((await stored(panel, 'example.org')).mta_sts_id);
    // The two records published as the tab says.
    dns.setZone([
      ...ZONE,
      { name: '_mta-sts.example.org', type: 'TXT', data: `v=STSv1; id=${id}` },
      { name: 'mta-sts.example.org', type: 'CNAME', data: MAIL_HOSTNAME },
    ]);
    try {
      await page.getByRole('button', { name: 'DNS Check' }).click();
      const table = page.getByRole('table', { name: 'DNS Check results for example.org' });
      await table.waitFor();
      const rows = table.getByRole('row');
      assert.equal(await rows.count(), 9, 'a header and eight checks');
      const statuses = await table.getByRole('cell').filter({ has: page.getByText(/^(ok|warning|error|info)$/) }).allInnerTexts();
      assert.equal(statuses.length, 8, `a status in words for every check (got ${statuses.join(', ')})`);
      const status = async (check: string) => (await checkRow('example.org', check).getByRole('cell').nth(0).innerText()).trim();
      assert.equal(await status('sts-txt'), 'ok');
      assert.equal(await status('sts-host'), 'ok');
      assert.equal(await status('mx'), 'ok');
      assert.equal(await status('policy'), 'ok');
      assert.equal(await page.getByText('Current policy id:').first().locator('strong').innerText(), id);
      await screenshot(page, 'tab-en-04-step3-dns-check');
    } finally {
      dns.setZone(ZONE);
    }
  });

  it('Step 4: warns before and after saving that mail would be refused when enforce leaves an MX host uncovered', async () => {
    await showTab(page, panel, 'example.net');
    await page.getByLabel('MX entries').fill('mail.example.net');
    await page.getByLabel('Active').check();
    await page.getByLabel('Mode').selectOption('enforce');
    // Before saving: the script says it as the choice is made.
    const refused = page.getByText('Mail would be refused: in enforce mode, senders refuse to deliver to backup.example.net');
    await refused.waitFor();
    assert.match(await description(page.getByLabel('MX entries')), /Mail would be refused/);
    // ... and the guide's advice: testing first.
    assert.match(await description(page.getByLabel('Mode')), /Go to testing first/);
    await screenshot(page, 'tab-en-05-step4-enforce-before-save');

    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForLoadState();
    // After saving: the page (rendered by the server) says it again, and so does the DNS Check.
    await refused.waitFor();
    assert.ok((await statusMessages()).some((m) => /You moved straight from none to enforce/.test(m)));
    await page.getByRole('button', { name: 'DNS Check' }).click();
    const mxRow = checkRow('example.net', 'mx');
    assert.equal((await mxRow.getByRole('cell').nth(0).innerText()).trim(), 'error');
    assert.match(await mxRow.innerText(), /Senders will refuse to deliver to backup\.example\.net/);
    await screenshot(page, 'tab-en-05-step4-enforce-after-save');
    await assertAccessible(page, 'the tab warning about enforce');
  });

  it('offers the MX hosts from DNS, flags entries that match none of them, and fills them in', async () => {
    await showTab(page, panel, 'example.com');
    const mx = page.getByLabel('MX entries');
    await mx.fill('old-mx.example.com, mx1.example.com');
    await page.getByText('old-mx.example.com matches none of the MX hosts in DNS').waitFor();
    await page.getByText('The MX host mx2.example.com matches no entry.').waitFor();
    await page.getByRole('button', { name: 'Use these as MX entries' }).click();
    assert.equal(await mx.inputValue(), 'mx1.example.com, mx2.example.com');
    await page.getByText('Every MX host in DNS matches an entry.').waitFor();
    assert.equal(await page.getByText('matches none of the MX hosts in DNS').count(), 0);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'mta-sts-mx', 'focus goes to the filled field');
  });

  it('shows the Maximum Age in days and weeks beside the seconds, and warns below one day', async () => {
    await showTab(page, panel, 'example.com');
    const maxAge = page.getByLabel('Maximum Age');
    assert.match(await description(maxAge), /^= 1 day/);
    await maxAge.fill('604800');
    await page.getByText('= 1 week', { exact: true }).waitFor();
    await maxAge.fill('90000');
    await page.getByText('= 1 day 1 hour', { exact: true }).waitFor();
    assert.doesNotMatch(await description(maxAge), /Less than one day/);
    await maxAge.fill('3600');
    await page.getByText('= 1 hour', { exact: true }).waitFor();
    await page.getByText('Less than one day: senders fetch the policy very often').waitFor();
    await screenshot(page, 'tab-en-06-max-age-warning');
    await assertAccessible(page, 'the tab with the maximum age warning');
  });

  it('retiring: unchecking Active on an enforce policy explains the RFC 8461 way, and does it instead', async () => {
    await setPolicy('retire.example', { mode: 'enforce', mx: 'mail.retire.example', maxAge: 604800, id: '20261101100000' });
    await showTab(page, panel, 'retire.example');
    const explanation = page.getByRole('heading', { name: 'Turning MTA-STS off' });
    assert.equal(await explanation.isVisible(), false, 'nothing to explain while Active stays checked');
    await page.getByLabel('Active').uncheck();
    await explanation.waitFor();
    await page.getByText('Serve mode none with a new id and a small Maximum Age').waitFor();
    await page.getByText('Keep serving it for at least the old Maximum Age').waitFor();
    await screenshot(page, 'tab-en-07-retire-explained');
    await assertAccessible(page, 'the retiring explanation');

    await page.getByRole('button', { name: 'Retire the policy (mode none, new id)' }).click();
    await page.waitForLoadState();
    const row = await stored(panel, 'retire.example');
    assert.deepEqual([Boolean(row.mta_sts_active), row.mta_sts_mode, Number(row.mta_sts_max_age)], [true, 'none', 86400]);
    assert.notEqual(row.mta_sts_id, '20261101100000', 'a new id, so senders fetch the none policy');
    assert.ok((await statusMessages()).some((m) => m.includes(`mode none is served with the new id ${row.mta_sts_id}`) && /Keep serving it until at least/.test(m)));
    assert.ok(await page.getByLabel('Active').isChecked(), 'still served');
    assert.equal((await policyFile(panel, 'retire.example')).text, 'version: STSv1\r\nmode: none\r\nmx: mail.retire.example\r\nmax_age: 86400\r\n');
  });

  it('works without JavaScript: plain form posts, the DNS Check form (a POST), filling MX hosts, and turning off after the explanation', async () => {
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    await setPolicy('nojs.example', { mode: 'enforce', mx: 'mail.nojs.example', maxAge: 86400, id: '20261101100000' });
    await showTab(page, panel, 'nojs.example');
    assert.equal(await page.getByRole('button', { name: /^Copy/ }).count(), 0, 'no copy buttons without the script');
    // Without the script the enforce warning is rendered by the server.
    await page.getByText('Mail would be refused: in enforce mode, senders refuse to deliver to mx2.nojs.example').waitFor();

    // "Use these as MX entries" is a link: the form again, filled from DNS, nothing saved.
    await page.getByRole('link', { name: 'Use these as MX entries' }).click();
    await page.waitForLoadState();
    assert.equal(await page.getByLabel('MX entries').inputValue(), 'mail.nojs.example, mx2.nojs.example');
    assert.equal((await stored(panel, 'nojs.example')).mta_sts_mx, 'mail.nojs.example');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForLoadState();
    assert.equal((await stored(panel, 'nojs.example')).mta_sts_mx, 'mail.nojs.example,mx2.nojs.example');

    // The DNS Check is a plain POST form with the CSRF token.
    await page.getByRole('button', { name: 'DNS Check' }).click();
    await page.getByRole('table', { name: 'DNS Check results for nojs.example' }).waitFor();
    assert.match(page.url(), /\/mta-sts\/nojs\.example\/dns-check\??(#mta-sts-dns-check)?$/);

    // Unchecking Active and saving explains retiring first, and saves nothing yet.
    await page.getByLabel('Active').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForLoadState();
    assert.ok((await statusMessages()).some((m) => /^Not saved yet: turning MTA-STS off now/.test(m)));
    await page.getByRole('heading', { name: 'Turning MTA-STS off' }).waitFor();
    assert.equal(Boolean((await stored(panel, 'nojs.example')).mta_sts_active), true);
    await screenshot(page, 'tab-en-08-no-js-turn-off-explained');
    // axe needs scripts; allowing them now runs axe only (the page's own script does not run after the fact).
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
    await assertAccessible(page, 'the tab without JavaScript, explaining before turning off');
    assert.equal(await page.getByRole('link', { name: 'Use these as MX entries' }).count(), 1, 'still the page as rendered without the script');
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
    await page.getByRole('button', { name: 'Turn MTA-STS off anyway' }).click();
    await page.waitForLoadState();
    assert.equal(Boolean((await stored(panel, 'nojs.example')).mta_sts_active), false);
    assert.equal((await policyFile(panel, 'nojs.example')).status, 404);
    // The record values are plain, selectable text.
    assert.equal(await page.getByText(/^v=STSv1; id=\d+$/).evaluate((el) => getComputedStyle(el).userSelect), 'all');
  });

  // The same guide in German, chosen by the browser's Accept-Language (the demo host sets no
  // language), on an internationalised domain. The host's own pages stay English; the tab and the
  // DNS Check speak German, down to the field errors and the script's live hints.
  describe('auf Deutsch (Accept-Language: de-DE)', () => {
    beforeEach(() => speak(page, 'de-DE,de;q=0.9,en;q=0.5'));

    const tabText = () => page.locator('section[data-mta-sts-tab]').innerText();

    it('Schritt 1: zeigt den Reiter auf Deutsch und den Fehler bei einem ungültigen MX-Eintrag neben dem Feld', async () => {
      await showTab(page, panel, IDN);
      await page.getByRole('heading', { name: 'MTA-STS für bücher.example' }).waitFor();
      for (const label of ['Version', 'Modus', 'Maximales Alter', 'MX-Einträge', 'Aktiv']) assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
      assert.equal(await page.locator('section[data-mta-sts-tab]').getAttribute('lang'), 'de');
      assert.match(await description(page.getByLabel('Maximales Alter')), /^= 1 Tag/);
      assert.match(await description(page.getByLabel('MX-Einträge')), /MX-Hosts von bücher\.example im DNS: mail\.xn--bcher-kva\.example, mx2\.xn--bcher-kva\.example/);

      const before = await stored(panel, IDN);
      await page.getByLabel('Modus').selectOption('testing');
      await page.getByLabel('MX-Einträge').fill('mail..bücher.example');
      await page.getByLabel('Aktiv').check();
      await page.getByRole('button', { name: 'Änderungen speichern' }).click();
      await page.waitForLoadState();
      await page.getByRole('alert').filter({ hasText: 'Nichts wurde gespeichert: Korrigieren Sie die unten markierten Felder.' }).waitFor();
      const mx = page.getByLabel('MX-Einträge');
      assert.equal(await mx.inputValue(), 'mail..bücher.example');
      assert.match(await description(mx), /^MX-Einträge: "mail\.\.bücher\.example" ist kein gültiger MX-Eintrag\./);
      assert.equal((await stored(panel, IDN)).mta_sts_revision, before.mta_sts_revision, 'nothing saved');
      assert.deepEqual(englishIn(await tabText()), []);
      await screenshot(page, 'tab-de-01-fehler');
    });

    it('Schritt 1 bis 3: speichert, zeigt ID und DNS-Einträge, warnt live vor enforce und prüft das DNS auf Deutsch', async () => {
      await showTab(page, panel, IDN);
      // The script speaks German too: the maximum age hint and the enforce warning as one types.
      await page.getByLabel('Maximales Alter').fill('3600');
      await page.getByText('= 1 Stunde', { exact: true }).waitFor();
      await page.getByText('Weniger als ein Tag: Sendende Server holen die Richtlinie sehr oft ab').waitFor();
      await page.getByLabel('Maximales Alter').fill('604800');
      await page.getByText('= 1 Woche', { exact: true }).waitFor();
      await page.getByLabel('MX-Einträge').fill(`mail.${IDN}`);
      await page.getByLabel('Modus').selectOption('enforce');
      await page.getByText(`E-Mails würden abgewiesen: Im Modus enforce verweigern sendende Server die Zustellung an mx2.${IDN}`).waitFor();
      await page.getByText('Diese Richtlinie ist derzeit im Modus none. Gehen Sie zuerst zu testing').waitFor();
      await screenshot(page, 'tab-de-02-warnung-vor-dem-speichern');

      // Follow the advice: testing, and every MX host from DNS.
      await page.getByLabel('Modus').selectOption('testing');
      await page.getByRole('button', { name: 'Als MX-Einträge übernehmen' }).click();
      await page.getByText('Jeder MX-Host im DNS passt zu einem Eintrag.').waitFor();
      await page.getByLabel('Aktiv').check();
      await page.getByRole('button', { name: 'Änderungen speichern' }).click();
      await page.waitForLoadState();
      const id = String((await stored(panel, IDN)).mta_sts_id);
      await page.getByRole('status').filter({ hasText: `Gespeichert. Die neue Richtlinien-ID ist ${id}: Veröffentlichen Sie die DNS-Einträge unten.` }).waitFor();
      const records = page.getByRole('table', { name: 'Zu veröffentlichende DNS-Einträge für bücher.example' });
      assert.match(await records.getByRole('row').filter({ hasText: 'TXT' }).innerText(), new RegExp(`_mta-sts\\.${IDN.replace(/[.-]/g, '\\$&')}.*v=STSv1; id=${id}`, 's'));
      assert.equal(await page.getByRole('button', { name: 'Kopieren TXT-Wert' }).count(), 1);
      assert.equal((await policyFile(panel, IDN)).text, `version: STSv1\r\nmode: testing\r\nmx: mail.${IDN}\r\nmx: mx2.${IDN}\r\nmax_age: 604800\r\n`);
  
      await page.getByRole('button', { name: 'DNS-Prüfung' }).click();
      const table = page.getByRole('table', { name: 'Ergebnis der DNS-Prüfung für bücher.example' });
      await table.waitFor();
      assert.equal(await table.getByRole('row').count(), 9);
      const statuses = (await table.getByRole('row').allInnerTexts()).slice(1).map((row) => STATUS_WORDS.find((word) => new RegExp(`\\t${word}\\t`).test(row)));
      assert.ok(statuses.every(Boolean), `a German status for every check: ${statuses.join(', ')}`);
      assert.match(await table.innerText(), /Es gibt keinen MTA-STS-Eintrag, daher wissen sendende Server nicht/);
      assert.deepEqual(englishIn(await tabText()), []);
      await screenshot(page, 'tab-de-04-dns-pruefung');
      await assertAccessible(page, 'the German DNS Check');
    });
  });
});
