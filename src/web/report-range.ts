// The date range of a reports request: `from` and `to` as YYYY-MM-DD (UTC), both included.
import { utcDay } from '../service/reports';
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
