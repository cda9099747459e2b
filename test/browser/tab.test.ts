import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { CATALOGUES } from '../../src/i18n';
import { startDnsServer, type TestDnsServer, type ZoneRecord } from '../support/dns-server';
import {
  MAIL_HOSTNAME,
  PASSWORD,
  assertAccessible,
  clearScreenshots,
  description,
  mailZone,
  newPage,
  policyFile,
  screenshot,
  showTab,
  speak,
  startBrowser,
  startPanel,
  stored,
  type Browser,
  type Panel,
} from '../support/browser';

// The guide ("Setting up MTA-STS", Steps 1 to 4) walked in a real browser, as a person does it:
// fields found by their labels, buttons by their names. Every test leaves a screenshot in
// test-artifacts/. axe-core checks the states that together hold every part of the tab: field
// errors; the saved policy with its records, the DNS Check table and the "mail would be refused"
// alert; the maximum age warning; the retiring explanation, with and without JavaScript; and all
// of it in German.

/** The German part runs on an internationalised domain. */
const IDN = 'xn--bcher-kva.example';
/** A long internationalised name for the narrow-screen test: what would overflow first. */
const LONG_IDN = 'xn--langer-name-fr-schmale-bildschirme-ntd.example';
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
  ...mailZone(LONG_IDN, [`mail.${LONG_IDN}`, `mx2.${LONG_IDN}`]),
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
    panel = await startPanel(dns, [
      'example.org',
      'example.net',
      'example.com',
      'retire.example',
      'nojs.example',
      'bücher.example',
      'langer-name-für-schmale-bildschirme.example',
    ]);
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
    if (this.currentTest?.state === 'failed')
      await screenshot(page, `tab-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
    await page?.close();
  });

  /** A policy as an earlier save would have left it. */
  async function setPolicy(domain: string, policy: { mode: string; mx: string; maxAge: number; id: string }): Promise<void> {
    await panel.knex('domain').where('domain', domain).update({
      mta_sts_active: true,
      mta_sts_mode: policy.mode,
      mta_sts_mx: policy.mx,
      mta_sts_max_age: policy.maxAge,
      mta_sts_id: policy.id,
      mta_sts_updated_at: '2026-11-01T10:00:00.000Z',
      mta_sts_revision: 1,
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

  /** A DNS Check row, by its row header (the check's title and machine name, which ends it), in either table (problems, or the passing ones once unfolded). */
  function checkRow(_domain: string, name: string) {
    return page
      .locator('#mta-sts-dns-check')
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: new RegExp(`${name}$`) }) });
  }

  /** Unfolds the DNS Check's passing checks (a <details> whose summary counts them), when there are any. */
  async function showPassingChecks(): Promise<void> {
    const summary = page.locator('#mta-sts-dns-check details[data-dns-check-passing] > summary');
    if ((await summary.count()) === 1 && (await summary.evaluate((el) => !(el.parentElement as HTMLDetailsElement).open))) await summary.click();
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
      for (const label of ['Version', 'Mode', 'Maximum Age', 'MX entries', 'Active'])
        assert.equal(await fresh.getByLabel(label, { exact: true }).count(), 1, label);
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
    assert.match(described, /^MX entries have a problem: "mail\.\.example\.org" has an empty label/, 'the error comes first in what the field says');
    // Beside the field: the error is shown right under the MX entries input.
    const error = page.getByText('"mail..example.org" has an empty label');
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

  it('Step 1+2: saves testing + Active: success message, new policy id, the DNS records (the TLS-RPT one suggested); the policy file holds exactly what was entered', async () => {
    await showTab(page, panel, 'example.org');
    await save({ mode: 'testing', mx: 'mail.example.org, MX2.example.org.', maxAge: '604800' });

    const row = await stored(panel, 'example.org');
    const id = String(row.mta_sts_id);
    assert.match(id, /^\d{14}$/);
    assert.ok(
      (await statusMessages()).some((m) => m.includes(`Saved. The new policy id is ${id}`)),
      'success message with the id',
    );
    const records = page.getByRole('table', { name: 'DNS records to publish for example.org' });
    const txt = await records.getByRole('row').filter({ hasText: 'v=STSv1' }).getByRole('cell').allInnerTexts();
    // Before any report address is saved, the panel's own address is suggested in the TLS-RPT record.
    const tlsRpt = await records.getByRole('row').filter({ hasText: 'v=TLSRPTv1' }).getByRole('cell').allInnerTexts();
    const cname = await records.getByRole('row').filter({ hasText: 'CNAME' }).getByRole('cell').allInnerTexts();
    assert.equal(txt[0], 'TXT');
    assert.match(txt[1], /^_mta-sts\.example\.org\b/);
    assert.match(txt[2], new RegExp(`^v=STSv1; id=${id}\\b`));
    assert.match(cname[1], /^mta-sts\.example\.org\b/);
    assert.match(cname[2], new RegExp(`^${MAIL_HOSTNAME.replace(/\./g, '\\.')}\\b`));
    assert.match(tlsRpt[1], /^_smtp\._tls\.example\.org\b/);
    assert.match(tlsRpt[2], /^v=TLSRPTv1; rua=https:\/\/\S+\/[\w-]+/);
    // The form shows what was stored, normalised.
    assert.equal(await page.getByLabel('MX entries').inputValue(), 'mail.example.org, mx2.example.org');
    assert.equal(await page.getByLabel('Maximum Age').inputValue(), '604800');

    // What senders get now, from the panel that just saved.
    const policy = await policyFile(panel, 'example.org');
    assert.equal(policy.status, 200);
    assert.equal(policy.text, 'version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmx: mx2.example.org\r\nmax_age: 604800\r\n');

    // Copy buttons put exactly the record value on the clipboard.
    await records.getByRole('row').filter({ hasText: 'v=STSv1' }).getByRole('button', { name: 'Copy TXT value' }).click();
    await page.getByText('Copied to the clipboard: TXT value.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `v=STSv1; id=${id}`);
    await page.getByRole('button', { name: 'Copy zone-file lines' }).click();
    assert.equal(
      await page.evaluate(() => navigator.clipboard.readText()),
      `_mta-sts.example.org. 3600 IN TXT "v=STSv1; id=${id}"\nmta-sts.example.org. 3600 IN CNAME ${MAIL_HOSTNAME}.\n_smtp._tls.example.org. 3600 IN TXT "${/^v=TLSRPTv1; rua=\S+/.exec(tlsRpt[2])?.[0]}"`,
    );
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
      const results = page.locator('#mta-sts-dns-check');
      await results.waitFor();
      // Folded: the problems open, the passing checks behind "N checks without problems".
      await showPassingChecks();
      const rows = results.locator('tr[data-check]');
      assert.equal(await rows.count(), 9, 'nine checks');
      const statuses = await results
        .getByRole('cell')
        .filter({ has: page.getByText(/^(ok|warning|error|info)$/) })
        .allInnerTexts();
      assert.equal(statuses.length, 9, `a status in words for every check (got ${statuses.join(', ')})`);
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
    // One note beside the field, the most severe; the other folded into "and 1 more note".
    await page.getByText('The MX host mx2.example.com matches no entry.').waitFor();
    await page.getByText('and 1 more note', { exact: true }).click();
    await page.getByText('old-mx.example.com matches none of the MX hosts in DNS').waitFor();
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
    assert.ok(
      (await statusMessages()).some((m) => m.includes(`mode none is served with the new id ${row.mta_sts_id}`) && /Keep serving it until at least/.test(m)),
    );
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

  // Issue 15: the tab as a daily tool.

  it('after a save, a reload shows the tab again and never saves twice; the "Saved" notice goes once the form is edited', async () => {
    await showTab(page, panel, 'example.com');
    await save({ mode: 'testing', mx: 'mx1.example.com, mx2.example.com' });
    const saved = await stored(panel, 'example.com');
    const notice = page.getByRole('status').filter({ hasText: `Saved. The new policy id is ${saved.mta_sts_id}` });
    await notice.waitFor();
    assert.match(page.url(), /\/domains\/example\.com\?tab=mta-sts&mta-sts-saved=/, 'the page shown is a GET (POST/redirect/GET)');
    await page.reload();
    await page.getByRole('heading', { name: 'MTA-STS for example.com' }).waitFor();
    const after = await stored(panel, 'example.com');
    assert.deepEqual([after.mta_sts_revision, after.mta_sts_id], [saved.mta_sts_revision, saved.mta_sts_id], 'the reload saved nothing');
    assert.equal(await page.getByText('another administrator').count(), 0, 'no false conflict');
    await notice.waitFor();
    await page.getByLabel('Maximum Age').fill('604800');
    await notice.waitFor({ state: 'detached' });
    assert.equal(await page.getByText(/^Saved\./).count(), 0);
  });

  it('a save refused because another administrator saved first keeps what was typed, shows their values beside it, and saves over them with one button', async () => {
    await setPolicy('example.net', { mode: 'testing', mx: 'mail.example.net, backup.example.net', maxAge: 86400, id: '20261101100000' });
    await showTab(page, panel, 'example.net');
    await page.getByLabel('Maximum Age').fill('1209600');
    await page.getByLabel('Mode').selectOption('enforce');
    // Meanwhile another administrator saves.
    await panel
      .knex('domain')
      .where('domain', 'example.net')
      .update({ mta_sts_max_age: 604800, mta_sts_revision: 2, mta_sts_updated_at: '2026-11-30T08:15:00.000Z' });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForLoadState();
    await page.getByRole('alert').filter({ hasText: 'Nothing was saved: another administrator changed this policy at 2026-11-30 08:15 UTC' }).waitFor();
    assert.equal(await page.getByLabel('Maximum Age').inputValue(), '1209600', 'what was typed is kept');
    assert.equal(await page.getByLabel('Mode').inputValue(), 'enforce');
    const table = page.getByRole('table', { name: 'Your values (in the form) beside the values stored now' });
    assert.match(
      await table
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: 'Maximum Age' }) })
        .innerText(),
      /1209600\s+604800 \(1 week\) differs/,
    );
    await screenshot(page, 'tab-en-09-conflict');
    await assertAccessible(page, 'the tab after a refused save (409)');
    await page.getByRole('button', { name: 'Save my values over theirs' }).click();
    await page.waitForLoadState();
    const row = await stored(panel, 'example.net');
    assert.deepEqual([Number(row.mta_sts_max_age), row.mta_sts_mode], [1209600, 'enforce']);
  });

  it('after the login expired, a save keeps the values: log in again from the link, put them back, save', async () => {
    await showTab(page, panel, 'example.com');
    await page.getByLabel('MX entries').fill('mx1.example.com, mx2.example.com, typed-before-logout.example.com');
    // The session ends elsewhere (another tab logs out).
    const other = await browser.context.newPage();
    await other.goto(`${panel.origin}/domains`);
    await other.getByRole('button', { name: 'Log out' }).click();
    await other.waitForURL(/\/login$/);
    await other.close();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForLoadState();
    await page.getByRole('alert').filter({ hasText: 'Nothing was saved: your login has expired' }).waitFor();
    await page.getByText('mx1.example.com, mx2.example.com, typed-before-logout.example.com').waitFor();
    await assertAccessible(page, 'the page of a save after the login expired');
    const [login] = await Promise.all([browser.context.waitForEvent('page'), page.getByRole('link', { name: 'Log in again (opens in a new tab)' }).click()]);
    await login.waitForLoadState();
    await login.getByLabel('Username').fill('admin');
    await login.getByLabel('Password').fill(PASSWORD);
    await login.getByRole('button', { name: 'Log in' }).click();
    await login.waitForLoadState();
    await login.close();
    await page.getByRole('button', { name: 'Put my values back into the form' }).click();
    await page.waitForLoadState();
    await page.getByRole('status').filter({ hasText: 'Your values from the form that could not be saved are filled in' }).waitFor();
    assert.equal(await page.getByLabel('MX entries').inputValue(), 'mx1.example.com, mx2.example.com, typed-before-logout.example.com');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForLoadState();
    assert.equal((await stored(panel, 'example.com')).mta_sts_mx, 'mx1.example.com,mx2.example.com,typed-before-logout.example.com');
  });

  it('says one thing at a time: one notice on top and one per field, the others folded; "?" opens the longer help', async () => {
    await showTab(page, panel, 'example.net');
    await setPolicy('example.net', { mode: 'none', mx: 'mail.example.net', maxAge: 86400, id: '20261101100000' });
    await page.reload();
    await page.getByLabel('Mode').selectOption('enforce');
    await page.getByText('Mail would be refused').waitFor();
    // Mode none, enforce chosen, an MX host not covered: once four coloured boxes, now one per place.
    const boxes = await page
      .locator('section[data-mta-sts-tab] .alert')
      .evaluateAll((els) => els.filter((el) => (el as HTMLElement).offsetParent !== null).length);
    assert.ok(boxes <= 3, `at most one box on top, one beside Mode, one beside MX entries (got ${boxes})`);
    for (const [field, says] of [
      ['Mode', /enforce: Senders deliver only over TLS/],
      ['Maximum Age', /Recommended: 86400/],
      ['MX entries', /A wildcard \*\.example\.org matches exactly one label/],
    ] as const) {
      const summary = page.locator('summary', { hasText: `Help: ${field}` });
      assert.equal(await summary.getAttribute('title'), `Help: ${field}`);
      assert.equal(await page.getByText(says).first().isVisible(), false, `${field}: the longer help is folded`);
      await summary.focus();
      await page.keyboard.press('Enter');
      await page.getByText(says).first().waitFor();
    }
    await screenshot(page, 'tab-en-10-help-open');
    await assertAccessible(page, 'the tab with the help open and folded notes');
  });

  it('on a 390 px wide screen nothing overflows: the tab, after a save, and after a DNS Check (stacked rows)', async () => {
    const narrow = await browser.context.newPage();
    try {
      await narrow.setViewportSize({ width: 390, height: 844 });
      const fits = async (what: string) => {
        const [scroll, inner] = await narrow.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        assert.ok(scroll <= inner, `${what}: scrollWidth ${scroll} <= innerWidth ${inner}`);
      };
      await showTab(narrow, panel, LONG_IDN);
      await fits('the tab');
      await narrow.getByLabel('Mode').selectOption('testing');
      await narrow.getByLabel('MX entries').fill(`mail.${LONG_IDN}, mx2.${LONG_IDN}`);
      await narrow.getByLabel('Active').check();
      await narrow.getByRole('button', { name: 'Save changes' }).click();
      await narrow.waitForLoadState();
      await narrow.getByText(/^Saved\./).waitFor();
      await fits('after a save');
      await screenshot(narrow, 'tab-en-11-390px-saved');
      await narrow.getByRole('button', { name: 'DNS Check' }).click();
      await narrow.locator('#mta-sts-dns-check').waitFor();
      await fits('after a DNS Check');
      const summary = narrow.locator('#mta-sts-dns-check details[data-dns-check-passing] > summary');
      if (await summary.count()) await summary.click();
      await fits('with the passing checks unfolded');
      // Stacked: each check's cells one under the other, not side by side.
      const cells = await narrow
        .locator('#mta-sts-dns-check tr[data-check]')
        .first()
        .locator('th, td')
        .evaluateAll((els) => els.map((el) => (el as HTMLElement).getBoundingClientRect().left));
      assert.ok(new Set(cells.map(Math.round)).size <= 2, `stacked cells (lefts ${cells.join(', ')})`);
      await screenshot(narrow, 'tab-en-12-390px-dns-check');
      await assertAccessible(narrow, 'the DNS Check on a 390 px screen');
      await narrow.goto(`${panel.origin}/domains`);
      await fits('the domain list');
    } finally {
      await narrow.close();
    }
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
      for (const label of ['Version', 'Modus', 'Maximales Alter', 'MX-Einträge', 'Aktiv'])
        assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
      assert.equal(await page.locator('section[data-mta-sts-tab]').getAttribute('lang'), 'de');
      assert.match(await description(page.getByLabel('Maximales Alter')), /^= 1 Tag/);
      assert.match(
        await description(page.getByLabel('MX-Einträge')),
        /MX-Hosts von bücher\.example im DNS: mail\.xn--bcher-kva\.example, mx2\.xn--bcher-kva\.example/,
      );

      const before = await stored(panel, IDN);
      await page.getByLabel('Modus').selectOption('testing');
      await page.getByLabel('MX-Einträge').fill('mail..bücher.example');
      await page.getByLabel('Aktiv').check();
      await page.getByRole('button', { name: 'Änderungen speichern' }).click();
      await page.waitForLoadState();
      await page.getByRole('alert').filter({ hasText: 'Nichts wurde gespeichert: Korrigieren Sie die unten markierten Felder.' }).waitFor();
      const mx = page.getByLabel('MX-Einträge');
      assert.equal(await mx.inputValue(), 'mail..bücher.example');
      assert.match(await description(mx), /^MX-Einträge: "mail\.\.bücher\.example" hat ein leeres Label/);
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
      await page
        .getByRole('status')
        .filter({ hasText: `Gespeichert. Die neue Richtlinien-ID ist ${id}: Veröffentlichen Sie die DNS-Einträge unten.` })
        .waitFor();
      const records = page.getByRole('table', { name: 'Zu veröffentlichende DNS-Einträge für bücher.example' });
      assert.match(
        await records.getByRole('row').filter({ hasText: 'v=STSv1' }).innerText(),
        new RegExp(`_mta-sts\\.${IDN.replace(/[.-]/g, '\\$&')}.*v=STSv1; id=${id}`, 's'),
      );
      // The policy's TXT and the suggested TLS-RPT record.
      assert.equal(await page.getByRole('button', { name: 'Kopieren TXT-Wert' }).count(), 2);
      assert.equal((await policyFile(panel, IDN)).text, `version: STSv1\r\nmode: testing\r\nmx: mail.${IDN}\r\nmx: mx2.${IDN}\r\nmax_age: 604800\r\n`);

      await page.getByRole('button', { name: 'DNS-Prüfung' }).click();
      const table = page.getByRole('table', { name: 'Ergebnis der DNS-Prüfung für bücher.example (xn--bcher-kva.example)' });
      await table.waitFor();
      await showPassingChecks();
      const rows = page.locator('#mta-sts-dns-check tr[data-check]');
      assert.equal(await rows.count(), 9);
      const statuses = (await rows.allInnerTexts()).map((row) => STATUS_WORDS.find((word) => new RegExp(`\\t${word}\\t`).test(row)));
      assert.ok(statuses.every(Boolean), `a German status for every check: ${statuses.join(', ')}`);
      assert.match(await table.innerText(), /Es gibt keinen MTA-STS-Eintrag, daher wissen sendende Server nicht/);
      assert.deepEqual(englishIn(await tabText()), []);
      await screenshot(page, 'tab-de-04-dns-pruefung');
      await assertAccessible(page, 'the German DNS Check');
    });
  });
});
