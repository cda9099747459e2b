import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import {
  PASSWORD,
  assertAccessible,
  clearScreenshots,
  mailZone,
  screenshot,
  speak,
  startBrowser,
  startPanel,
  stored,
  type Browser,
  type Panel,
} from '../support/browser';

// The overview walked in a real browser: filter, select two domains, preview a bulk change,
// confirm it, set the panel's defaults, and read a domain's history, in English and German.

const DOMAINS = ['alpha.example', 'beta.example', 'gamma.example', 'delta.example'];

describe('the MTA-STS overview in a browser (Chromium), in English and German', function () {
  this.timeout(90_000);
  let dns: TestDnsServer;
  let panel: Panel;
  let browser: Browser;
  let page: Page;

  before(async () => {
    dns = await startDnsServer();
    dns.setZone(DOMAINS.flatMap((d) => mailZone(d, [`mail.${d}`])));
    panel = await startPanel(dns, DOMAINS);
    clearScreenshots('overview-');
    browser = await startBrowser();
    // Logged in once, in English; the tests share the browser's cookies.
    const login = await browser.context.newPage();
    await speak(login, 'en');
    await login.goto(`${panel.origin}/login`);
    await login.getByLabel('Username').fill('admin');
    await login.getByLabel('Password').fill(PASSWORD);
    await login.getByRole('button', { name: 'Log in' }).click();
    await login.waitForLoadState();
    await login.close();
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
    if (this.currentTest?.state === 'failed')
      await screenshot(page, `overview-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
    await page?.close();
  });

  async function openOverview(query = ''): Promise<void> {
    await page.goto(`${panel.origin}/mta-sts/${query}`);
    await page.locator('#mta-sts-overview-heading').waitFor();
  }

  it('changes two selected domains after a preview and one confirmation', async () => {
    await speak(page, 'en');
    await openOverview();
    assert.match(await page.locator('[data-total]').innerText(), /4 domains/);
    await assertAccessible(page, 'the overview');
    await page.getByRole('checkbox', { name: 'Select alpha.example' }).check();
    await page.getByRole('checkbox', { name: 'Select gamma.example' }).check();
    await page.locator('#mta-sts-bulk-mode').selectOption('testing');
    await page.locator('#mta-sts-bulk-mx').fill('mail.example.net');
    await page.getByRole('button', { name: 'Preview the changes' }).click();
    await page.getByRole('heading', { name: 'Preview: nothing is saved yet' }).waitFor();
    assert.match(await page.locator('[data-summary]').innerText(), /2 would change/);
    assert.equal((await stored(panel, 'alpha.example')).mta_sts_id, null, 'nothing saved by the preview');
    await screenshot(page, 'overview-preview');
    await page.getByRole('button', { name: /Save these changes/ }).click();
    await page.getByRole('heading', { name: 'Bulk change saved' }).waitFor();
    const alpha = await stored(panel, 'alpha.example');
    assert.equal(alpha.mta_sts_mode, 'testing');
    assert.equal((await stored(panel, 'beta.example')).mta_sts_id, null, 'an unselected domain is untouched');

    await openOverview('?mode=testing');
    assert.match(await page.locator('[data-total]').innerText(), /2 domains/);
    await screenshot(page, 'overview-filtered');
  });

  it('saves the defaults and shows the history in German', async () => {
    await speak(page, 'de');
    await openOverview();
    await page.locator('#mta-sts-def-mode').selectOption('testing');
    await page.locator('#mta-sts-def-mx').fill('mail.example.net');
    await page.getByRole('button', { name: 'Vorgaben speichern' }).click();
    await page.getByText('Die Vorgaben wurden gespeichert.').waitFor();
    // A domain's first policy starts from the defaults: activating it is enough.
    await page.getByRole('checkbox', { name: 'Auswählen beta.example' }).check();
    await page.getByLabel('MTA-STS aktivieren').check();
    await page.getByRole('button', { name: 'Änderungen ansehen' }).click();
    await page.getByRole('button', { name: /Diese Änderungen speichern/ }).click();
    await page.getByRole('heading', { name: 'Sammeländerung gespeichert' }).waitFor();
    const beta = await stored(panel, 'beta.example');
    assert.deepEqual([beta.mta_sts_mode, beta.mta_sts_mx], ['testing', 'mail.example.net']);
    await page.goto(`${panel.origin}/mta-sts/beta.example/history`);
    await page.getByRole('heading', { name: 'Änderungsverlauf von beta.example' }).waitFor();
    assert.match(await page.locator('#mta-sts-history-table').innerText(), /Sammeländerung/);
    await assertAccessible(page, 'the history page');
    await screenshot(page, 'overview-history-de');
  });
});
