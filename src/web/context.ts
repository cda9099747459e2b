import type { ResolvedOptions } from '../options';
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
}
