import type { DomainRecord } from '../policy';
import type { PluginContext } from './context';
import { httpError, type HttpError } from './errors';

/** The domain a route names, or a 404 that says nothing more. */
export async function findOrThrow(ctx: PluginContext, name: unknown): Promise<DomainRecord> {
  const record = typeof name === 'string' ? await ctx.service.policies.find(name) : null;
  if (!record) throw notFound();
  return record;
}

export function notFound(): HttpError {
  return httpError(404, 'not-found', 'noSuchDomain');
}
