import type { DnsCheckResult, Resolver } from '../dns';
import type { Locale } from '../i18n';
import type { ResolvedOptions } from '../options';
import type { DomainRecord } from '../store/policy-store';
import type { PolicyStore } from '../store/policy-store';
import type { ServedCache } from '../store/served-cache';
import type { Csrf } from './csrf';
import type { PageRenderer } from './pages';

/** What the routers share; built once by createMtaSts. */
export interface PluginContext {
  options: ResolvedOptions;
  store: PolicyStore;
  cache: ServedCache;
  pages: PageRenderer;
  csrf: Csrf;
  /** The DNS Check's resolver; the tab also asks it for the domain's MX hosts to suggest. */
  resolver: Resolver;
  /** Runs the DNS Check for a domain against the configured resolver, in English unless told. Never throws. */
  dnsCheck(record: DomainRecord, locale?: Locale): Promise<DnsCheckResult>;
}
