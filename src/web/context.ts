import type { Logger } from '../logger';
import type { ResolvedOptions } from '../options';
import type { MtaStsService } from '../service';
import type { Csrf } from './csrf';
import type { PageRenderer } from './pages';
import type { DnsCheckLimiter } from './rate-limit';

/** What the routers share; built once by createMtaSts. Everything they do goes through `service`. */
export interface PluginContext {
  options: ResolvedOptions;
  service: MtaStsService;
  logger: Logger;
  pages: PageRenderer;
  csrf: Csrf;
  /** One DNS Check limiter for the tab and the API: the same user's checks count together. */
  limiter: DnsCheckLimiter;
}
