// The date range of a reports request (`from` and `to` as YYYY-MM-DD, UTC, both included) and the
// page of its lists (`page`, `limit`).
import { MAX_LIMIT, MAX_PAGE, utcDay, type TotalsPage } from '../service/reports';
import { HttpError } from './errors';

/** The longest range one request may ask for: the default retention. */
export const MAX_RANGE_DAYS = 400;
const DAY_MS = 86_400_000;

function day(value: unknown, name: string): number | null {
  if (value === undefined || value === '') return null;
  const text = typeof value === 'string' ? value : '';
  const time = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : NaN;
  if (Number.isNaN(time) || utcDay(new Date(time)) !== text) {
    throw new HttpError(400, 'invalid', `${name} must be a date YYYY-MM-DD`, [
      { field: name, message: `${name} must be a date such as 2026-11-30 (YYYY-MM-DD, UTC)` },
    ]);
  }
  return time;
}

/**
 * Reads `from` and `to` from a query; a missing `to` is today, a missing `from` is `days` - 1
 * days before `to`. Throws a 400 HttpError naming the parameter.
 */
export function reportRange(query: Record<string, unknown>, now: Date, days = 30): { from: string; to: string } {
  const to = day(query.to, 'to') ?? Date.parse(`${utcDay(now)}T00:00:00Z`);
  const from = day(query.from, 'from') ?? to - (days - 1) * DAY_MS;
  if (from > to) throw new HttpError(400, 'invalid', 'from must not be after to', [{ field: 'from', message: 'from must be on or before to' }]);
  if ((to - from) / DAY_MS + 1 > MAX_RANGE_DAYS) {
    throw new HttpError(400, 'invalid', `at most ${MAX_RANGE_DAYS} days`, [{ field: 'from', message: `from and to may span at most ${MAX_RANGE_DAYS} days` }]);
  }
  return { from: utcDay(new Date(from)), to: utcDay(new Date(to)) };
}

/** A whole number from `min` to `max`, or a 400 naming the parameter and the rule. */
function whole(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) {
    const rule = `${name} must be a whole number from 1 to ${max}`;
    throw new HttpError(400, 'invalid', rule, [{ field: name, message: rule }]);
  }
  return n;
}

/**
 * `page` (from 1, at most MAX_PAGE) and, where the caller may choose it, `limit` (rows per page,
 * at most MAX_LIMIT) of the lists of a reports request. Throws a 400 HttpError naming the parameter.
 */
export function reportPage(query: Record<string, unknown>, defaultLimit: number, limitAllowed: boolean): TotalsPage {
  const page = whole(query.page, 'page', 1, MAX_PAGE);
  const limit = limitAllowed ? whole(query.limit, 'limit', defaultLimit, MAX_LIMIT) : defaultLimit;
  return { page, limit };
}
