import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startDnsServer, type TestDnsServer } from '../support/dns-server';
import { PASSWORD, clearScreenshots, mailZone, screenshot, startBrowser, startPanel, type Browser, type Panel } from '../support/browser';

// How the tab's records and the reports chart are laid out, measured in Chromium at a desktop
// width and on a 390 px phone: the zone box shows every record, a record name wraps only after a
// dot, and the chart's date labels stay inside the picture.

/** A name long enough to wrap on a phone, with a hyphen (a break the browser would take by itself). */
const DOMAIN = 'mail-provider-for-families.example';
const WIDTHS = [1280, 390];

describe('the tab and the reports page laid out in a browser (Chromium), wide and 390 px', function () {
  this.timeout(90_000);
  let dns: TestDnsServer;
  let panel: Panel;
  let browser: Browser;
  let page: Page;

  before(async () => {
    dns = await startDnsServer();
    dns.setZone(mailZone(DOMAIN, [`mail.${DOMAIN}`]));
    panel = await startPanel(dns, [DOMAIN]);
    // A saved policy: the tab shows the records to publish and the zone-file box.
    await panel
      .knex('domain')
      .where('domain', DOMAIN)
      .update({
        mta_sts_active: true,
        mta_sts_mode: 'testing',
        mta_sts_mx: `mail.${DOMAIN}`,
        mta_sts_max_age: 86400,
        mta_sts_id: '20261101100000',
        mta_sts_updated_at: '2026-11-01T10:00:00.000Z',
        mta_sts_revision: 1,
      });
    clearScreenshots('layout-');
    browser = await startBrowser();
    const login = await browser.context.newPage();
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
      await screenshot(page, `layout-failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
    await page?.close();
  });

  async function openTab(width: number): Promise<void> {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${panel.origin}/domains/${DOMAIN}?tab=mta-sts`);
    await page.getByRole('heading', { name: /^MTA-STS / }).waitFor();
  }

  it('the zone-file box is as tall as its lines: every record shows without scrolling', async () => {
    for (const width of WIDTHS) {
      await openTab(width);
      const box = page.getByLabel(/zone-file/i);
      const { lines, rows, scrollHeight, clientHeight } = await box.evaluate((el) => {
        const area = el as HTMLTextAreaElement;
        return { lines: area.value.split('\n').length, rows: area.rows, scrollHeight: area.scrollHeight, clientHeight: area.clientHeight };
      });
      assert.ok(lines >= 2, `the box holds the records (${lines} lines)`);
      assert.ok(rows >= lines, `${width} px: rows ${rows} >= ${lines} lines (for browsers that size by rows)`);
      assert.ok(scrollHeight <= clientHeight, `${width} px: nothing hidden below (scrollHeight ${scrollHeight} <= clientHeight ${clientHeight})`);
      await screenshot(page, `layout-zone-${width}px`);
    }
  });

  it('a record name wraps only after a dot, never inside a label, also at 390 px', async () => {
    for (const width of WIDTHS) {
      await openTab(width);
      // Each text piece of a name, with the number of lines it is laid out on.
      const names = await page.locator('[data-record-name]').evaluateAll((codes) =>
        codes.map((code) => {
          const pieces: Array<{ text: string; lines: number }> = [];
          const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(node);
            const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
            pieces.push({ text: node.textContent ?? '', lines: tops.size });
          }
          return { name: code.textContent ?? '', pieces, height: code.getBoundingClientRect().height };
        }),
      );
      assert.deepEqual(
        names.map((n) => n.name),
        [`_mta-sts.${DOMAIN}`, `mta-sts.${DOMAIN}`, `_smtp._tls.${DOMAIN}`],
        'the names read (and copy) without anything added',
      );
      for (const name of names) {
        for (const piece of name.pieces) assert.equal(piece.lines, 1, `${width} px: "${piece.text}" of ${name.name} stays on one line`);
        // Each piece is a label with its dot: a line can only end after a dot.
        assert.deepEqual(
          name.pieces.map((p) => p.text),
          name.name.split('.').map((label, i, all) => (i < all.length - 1 ? `${label}.` : label)),
        );
      }
      if (width === 390)
        assert.ok(
          names.some((n) => n.height > 30),
          'on a phone a long name does wrap (between labels)',
        );
      await screenshot(page, `layout-records-${width}px`);
    }
  });

  it("the reports chart's date labels lie inside the picture, first and last included", async () => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${panel.origin}/mta-sts/${DOMAIN}/reports`);
      const chart = page.locator('figure svg');
      const { viewWidth, labels } = await chart.evaluate((svg) => ({
        viewWidth: (svg as SVGSVGElement).viewBox.baseVal.width,
        labels: [...svg.querySelectorAll('text')].map((text) => {
          const box = text.getBBox();
          return { text: text.textContent ?? '', left: box.x, right: box.x + box.width };
        }),
      }));
      assert.ok(labels.length >= 2, `the chart has date labels (${labels.length})`);
      for (const label of labels) {
        assert.ok(label.left >= 0 && label.right <= viewWidth, `${width} px: "${label.text}" spans ${label.left}..${label.right} of 0..${viewWidth}`);
      }
      await screenshot(page, `layout-chart-${width}px`);
    }
  });
});
