// The overview's filters, sort and page as the query string and the API body give them: checked
// here with a message naming the field, so a bad link is a 400, never a 500.
import type { Request } from 'express';
import { MODES, toALabel, toULabel, type Mode } from '../policy';
import { OVERVIEW_DNS_STATES, OVERVIEW_SORTS, OVERVIEW_STATES, VERDICTS, type OverviewQuery } from '../service/overview';
import type { AuthorizeAction } from '../options';
import { isAllowed } from './authorize';
import type { PluginContext } from './context';
import { HttpError } from './errors';

export type OverviewFilter = Omit<OverviewQuery, 'limit' | 'offset' | 'keys'>;

export const PAGE_SIZES = [25, 50, 100, 200] as const;

function invalid(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid', message, [{ field, message }]);
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(field, `${field} must be one of ${allowed.join(', ')}`);
}

/** The filters (search, mode, state, verdict, dns, sort, desc) from a query string or a JSON object. */
export function parseFilter(input: Record<string, unknown>): OverviewFilter {
  const search = input.search;
  if (search !== undefined && (typeof search !== 'string' || search.length > 253)) throw invalid('search', 'search must be text of at most 253 characters');
  const desc = input.desc;
  if (desc !== undefined && desc !== '' && desc !== '0' && desc !== '1' && typeof desc !== 'boolean') throw invalid('desc', 'desc must be 1 or 0');
  const text = typeof search === 'string' ? search.trim() : '';
  return {
    // A U-label typed into the search finds the A-label it is stored as.
    search: text === '' ? undefined : (toALabel(text) ?? text),
    mode: oneOf<Mode>(input.mode, 'mode', MODES),
    state: oneOf(input.state, 'state', OVERVIEW_STATES),
    verdict: oneOf(input.verdict, 'verdict', [...VERDICTS, 'unchecked'] as const),
    dns: oneOf(input.dns, 'dns', OVERVIEW_DNS_STATES),
    sort: oneOf(input.sort, 'sort', OVERVIEW_SORTS),
    desc: desc === true || desc === '1',
  };
}

/** A whole-number parameter within bounds, or a 400 naming it. */
export function wholeNumber(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!(Number.isInteger(n) && n >= min && n <= max)) throw invalid(name, `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * The host keys the viewer may see among those matching `filter`, or undefined for all. With the
 * host's `domainFilter`, its list (SQL filters it); without, `authorize` is asked per domain, so
 * counts and pages only ever hold the viewer's own domains.
 */
export async function viewerKeys(ctx: PluginContext, req: Request, filter: OverviewFilter, action: AuthorizeAction): Promise<string[] | undefined> {
  const { domainFilter, authorize } = ctx.options;
  if (domainFilter) {
    const list = await domainFilter(req);
    if (list === null) return undefined;
    // Host tables keep A-labels or U-labels: both spellings.
    return [...new Set(list.flatMap((name) => [name, toALabel(name) ?? name, toULabel(toALabel(name) ?? name)]))];
  }
  const keys = await ctx.service.overview.keys(filter);
  const allowed = await Promise.all(keys.map((key) => isAllowed(authorize, req, { domain: toALabel(key) ?? key, action })));
  return allowed.every(Boolean) ? undefined : keys.filter((_key, i) => allowed[i]);
}

/** At most this many domains in one bulk change named by list. */
export const BULK_LIMIT = 10_000;

/**
 * The domains a bulk change is for: the listed ones (each later asked of `authorize`, a refused one
 * answered forbidden), or those matching a filter among the viewer's own.
 */
export async function bulkTargets(ctx: PluginContext, req: Request, body: Record<string, unknown>): Promise<string[]> {
  const { domains, filter } = body;
  if ((domains === undefined) === (filter === undefined)) {
    throw new HttpError(400, 'bad-body', 'Name the domains: either domains (a list) or filter (an object), not both.', [
      { field: 'domains', message: 'Send {"domains": ["example.org"], "changes": {...}} or {"filter": {"mode": "testing"}, "changes": {...}}' },
    ]);
  }
  if (domains !== undefined) {
    if (!Array.isArray(domains) || domains.length === 0 || domains.length > BULK_LIMIT || !domains.every((d) => typeof d === 'string' && d.length <= 253)) {
      throw invalid('domains', `domains must be a list of 1 to ${BULK_LIMIT} domain names`);
    }
    return [...new Set(domains as string[])];
  }
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) throw invalid('filter', 'filter must be an object such as {"mode": "testing"}');
  const parsed = parseFilter(filter as Record<string, unknown>);
  return (await viewerKeys(ctx, req, parsed, 'write')) ?? (await ctx.service.overview.keys(parsed));
}
