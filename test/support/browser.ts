// What the browser tests share: Debian's Chromium driven by playwright-core (never a downloaded
// browser) on a fresh profile, the demo panel on a temp SQLite with the loopback DNS server as its
// resolver, logging in as a person does, axe-core, and screenshots into test-artifacts/.
// (Mocha loads this file as a spec too when given the folder; it defines no tests.)
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Server, createServer as createHttpServer } from 'node:http';
import { AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { Knex } from 'knex';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import request from 'supertest';
import { createPanel, type PanelOptions } from '../../src/server/app';
import type { TestDnsServer, ZoneRecord } from './dns-server';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
export const PASSWORD = 'correct horse battery staple';
export const MAIL_HOSTNAME = 'mail.example.org';

const ROOT = join(__dirname, '../../..');
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Chromium on a fresh temporary profile; nothing is downloaded, nothing outlives the suite.
 * Its language is Chromium's default (en-US); a page asks for another with `speak`.
 */
export async function startBrowser(): Promise<Browser> {
  // Like an unreachable MariaDB, a missing browser fails the run: these tests are never skipped.
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium), as .ci/run does`);
  const profile = mkdtempSync(join(tmpdir(), 'mta-sts-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    // Fail a step in seconds rather than mocha's timeout; no test asserts on timing.
    context.setDefaultTimeout(10_000);
    return {
      context,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

export interface Panel {
  http: Server;
  knex: Knex;
  origin: string;
  close(): Promise<void>;
}

/** A TCP port on loopback that nothing listens on: the DNS Check's probes get "connection refused" at once. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The demo host panel on a temp SQLite and a free loopback port, resolving through `dns`. */
export async function startPanel(dns: TestDnsServer, domains: string[], options: Partial<PanelOptions> = {}): Promise<Panel> {
  const dir = mkdtempSync(join(tmpdir(), 'mta-sts-browser-'));
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: join(dir, 'panel.sqlite') }, useNullAsDefault: true });
  try {
    const port = await closedPort();
    const { app } = await createPanel({
      knex,
      mailHostname: MAIL_HOSTNAME,
      adminPassword: PASSWORD,
      demoDomains: domains,
      dnsServers: [dns.address],
      dnsCheck: { https: { port, timeoutMs: 3000 }, smtp: { port, timeoutMs: 3000 } },
      ...options,
    });
    const http = createHttpServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    return {
      http,
      knex,
      origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      async close() {
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        await knex.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await knex.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A domain's zone as a real one would look: MX hosts with addresses, no MTA-STS records yet. */
export function mailZone(domain: string, mxHosts: string[]): ZoneRecord[] {
  return [
    ...mxHosts.map((host, i) => ({ name: domain, type: 'MX' as const, data: { preference: 10 * (i + 1), exchange: host } })),
    ...mxHosts.map((host) => ({ name: host, type: 'A' as const, data: '127.0.0.1' })),
  ];
}

/** Makes a page ask for pages in a language, as a browser set to it does (Accept-Language). */
export async function speak(page: Page, acceptLanguage: string): Promise<void> {
  await page.setExtraHTTPHeaders({ 'Accept-Language': acceptLanguage });
}

/** A new page with no cookies of earlier tests (so not logged in). */
export async function newPage(browser: Browser): Promise<Page> {
  await browser.context.clearCookies();
  return browser.context.newPage();
}

/** Removes a suite's screenshots of an earlier run, so the folder shows what this run saw. */
export function clearScreenshots(prefix: string): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const file of readdirSync(ARTIFACTS)) if (file.startsWith(prefix) && file.endsWith('.png')) rmSync(join(ARTIFACTS, file));
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/** Runs axe-core on the page (WCAG 2.x A/AA and best practices) and returns what it reports. */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: join(require.resolve('axe-core'), '..', 'axe.min.js') });
  return page.evaluate(async () => {
    const axeCore = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axeCore.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
}

/** No axe violations at all; on failure, says which rule and where. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const violations = await axe(page);
  assert.deepEqual(
    violations.map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `axe on ${what}`,
  );
}

/**
 * Opens a domain's MTA-STS tab by its address (the "Step 1" test clicks its way there), logging in
 * first when the panel asks for it; the login brings the browser back to the tab.
 */
export async function showTab(page: Page, panel: Panel, domain: string): Promise<void> {
  await page.goto(`${panel.origin}/domains/${encodeURIComponent(domain)}?tab=mta-sts`);
  if (new URL(page.url()).pathname === '/login') {
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/domains\/[^?]+\?tab=mta-sts$/);
  }
  await page.getByRole('heading', { name: /^MTA-STS / }).waitFor();
}

/** What a screen reader reads as a field's description: the visible texts its aria-describedby names. */
export async function description(field: Locator): Promise<string> {
  return field.evaluate((element) =>
    (element.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.innerText.trim() ?? `(missing #${id})`)
      .filter((text) => text !== '')
      .join(' | '),
  );
}

/** The host row of a domain: the plugin's columns as stored. */
export async function stored(panel: Panel, domain: string): Promise<Record<string, any>> {
  const row = await panel.knex('domain').where('domain', domain).first();
  assert.ok(row, `no row for ${domain}`);
  return row;
}

/** What senders get: the policy file for mta-sts.<domain>, as the panel serves it. */
export async function policyFile(panel: Panel, domain: string): Promise<{ status: number; text: string }> {
  const res = await request(panel.http).get('/.well-known/mta-sts.txt').set('Host', `mta-sts.${domain}`);
  return { status: res.status, text: res.text };
}
