// The host's own pages around the plugin, as a mail panel has them: the domain list (each domain's
// MTA-STS state and a DNS Check button per row, as mailcow's) and the domain edit page, whose
// "MTA-STS" tab holds the plugin's fragment.
import type { Express, Request, Response } from 'express';
import { policy, type DnsCheckResult, type MtaSts } from '../index';
import type { PanelCsrf } from './cookies';
import { listCheck } from './domain-check';
import type { HostDomains } from './host-domains';
import { demoLanguage, sayer, type ServerKey } from './i18n';
import { view, type PageRenderer } from './pages';
import type { Sessions } from './sessions';

export type DomainTab = 'general' | 'mta-sts';
export type DomainPageRenderer = (req: Request, res: Response, domain: string, tab: DomainTab, mtaStsContent: string | null) => Promise<string>;

/** The host's domain edit page, with the plugin's fragment in the "MTA-STS" tab when given. */
export function domainPageRenderer(domains: HostDomains, page: PageRenderer): DomainPageRenderer {
  return async (req, res, domain, tab, mtaStsContent) => {
    const row = await domains.find(domain);
    const shown = row?.domain ?? domain;
    const say = sayer(demoLanguage(req));
    const content = view('domain', { domain: shown, row: row ?? null, tab, mtaSts: mtaStsContent, say });
    return page(req, res, say('domain.title', { domain: shown }), content);
  };
}

/** A domain's state in the list: its MTA-STS mode, off, or not served because the host has it inactive. */
const STATE_KEYS = {
  off: 'state.off',
  hostInactive: 'state.hostInactive',
  none: 'state.none',
  testing: 'state.testing',
  enforce: 'state.enforce',
} as const satisfies Record<string, ServerKey>;

interface DomainRoutes {
  mtaSts: MtaSts;
  domains: HostDomains;
  sessions: Sessions;
  panelCsrf: PanelCsrf;
  page: PageRenderer;
  domainPage: DomainPageRenderer;
}

/** The list's DNS Check result of one domain: its result, or why there is none. */
interface Checked {
  domain: string;
  result: DnsCheckResult | null;
  refused: string | null;
}

export function addDomainRoutes(app: Express, { mtaSts, domains, sessions, panelCsrf, page, domainPage }: DomainRoutes): void {
  const requireLogin = (req: Request, res: Response, next: () => void) => {
    if (sessions.user(req)) return next();
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
  };

  const domainList = async (req: Request, res: Response, checked: Checked | null) => {
    const say = sayer(demoLanguage(req));
    const listed = (await domains.list()).map((row) => {
      const state = !row.mtaStsActive ? 'off' : !row.active ? 'hostInactive' : row.mtaStsMode;
      const aLabel = policy.toALabel(row.domain) ?? row.domain;
      const check = checked && checked.domain === aLabel ? checked.result : undefined;
      const counts = { ok: 0, warning: 0, error: 0, info: 0 };
      for (const c of check?.checks ?? []) counts[c.status] += 1;
      return {
        ...row,
        state: Object.hasOwn(STATE_KEYS, state) ? say(STATE_KEYS[state as keyof typeof STATE_KEYS]) : state,
        stateKind: state,
        check: check === undefined ? null : check === null ? (checked?.refused ?? say('check.failed')) : say('check.summary', counts),
        checkProblems: counts.error + counts.warning,
      };
    });
    return page(req, res, say('domains.title'), view('domains', { domains: listed, say, csrfToken: panelCsrf.token(req, res) }));
  };

  app.get('/', (_req, res) => res.redirect(303, '/domains'));
  app.get('/domains', requireLogin, async (req, res) => {
    res.send(await domainList(req, res, null));
  });
  // The list's "DNS Check" button: a POST with the form token, limited as the tab's (./domain-check.ts),
  // answered with the list and that domain's result summary.
  app.post('/domains/:domain/dns-check', requireLogin, ...panelCsrf.protect, async (req, res, next) => {
    const row = await domains.find(String(req.params.domain));
    if (!row) return next();
    const domain = policy.toALabel(row.domain) ?? row.domain;
    const { status, ...checked } = await listCheck(mtaSts, req, res, domain, demoLanguage(req));
    res.status(status).send(await domainList(req, res, { domain, ...checked }));
  });
  app.get('/domains/:domain', requireLogin, async (req, res, next) => {
    const record = await domains.find(String(req.params.domain));
    if (!record) return next();
    const tab = req.query.tab === 'mta-sts' ? 'mta-sts' : 'general';
    const fragment = tab === 'mta-sts' ? await mtaSts.renderTab(req, res, record.domain) : null;
    res.send(await domainPage(req, res, record.domain, tab, fragment));
  });
}
