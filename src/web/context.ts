import type { DnsCheckResult } from '../dns';
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
  /** Runs the DNS Check for a domain against the configured resolver. Never throws. */
  dnsCheck(record: DomainRecord): Promise<DnsCheckResult>;
}
