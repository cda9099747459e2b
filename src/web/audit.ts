import type { Request } from 'express';
import type { Audit } from '../service';
import type { PluginContext } from './context';

/**
 * Who is saving, for the change history: the host's `principal(req)` (its user id or the API
 * key's identity) and the client's address. A failing hook names nobody rather than failing the save.
 */
export async function auditOf(ctx: PluginContext, req: Request, source: Audit['source']): Promise<Audit> {
  let actor: string | null = null;
  try {
    const value = await ctx.options.principal(req);
    actor = typeof value === 'string' && value !== '' ? value : null;
  } catch (err) {
    ctx.logger.warn('the principal hook failed; the change is recorded without a name', err);
  }
  return { actor, source, origin: req.ip ?? req.socket?.remoteAddress ?? null };
}
