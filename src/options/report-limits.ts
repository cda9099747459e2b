// The storage limits of TLS reports (`reports.*` options): what one report may store, what one
// domain may store a day, and what all domains together may keep. Validated when the plugin is
// created; a TypeError names the option and its range.
import { STORAGE_DEFAULTS, type DailyQuota, type StorageBounds, type StoreCap } from '../reports';

/** The options, as a host gives them (each optional, within `reports`). */
export interface ReportLimitOptions {
  /** Distinct applied policies stored per report (default 100); the rest are summed into one row. */
  policiesPerReport?: number;
  /** Failure groups stored per report (default 500); the rest are summed into one row per policy. */
  failuresPerReport?: number;
  /** Reports one domain may store per UTC day (default 500); more are refused (HTTPS 429). */
  dailyReportsPerDomain?: number;
  /** Policy and failure rows one domain may store per UTC day (default 50,000). */
  dailyRowsPerDomain?: number;
  /** Reports all domains together may keep (default 200,000); `pruneReports()` deletes the oldest beyond. */
  maxReports?: number;
  /** Policy and failure rows all domains together may keep (default 5,000,000); the oldest reports go first. */
  maxRows?: number;
}

export interface ReportLimits {
  storage: StorageBounds;
  daily: DailyQuota;
  cap: StoreCap;
}

export const REPORT_LIMIT_DEFAULTS = {
  ...STORAGE_DEFAULTS,
  dailyReportsPerDomain: 500,
  dailyRowsPerDomain: 50_000,
  maxReports: 200_000,
  maxRows: 5_000_000,
} as const;

function whole(value: unknown, name: keyof ReportLimitOptions, min: number, max: number): number {
  const v = value ?? REPORT_LIMIT_DEFAULTS[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`options.reports.${name} must be a whole number from ${min} to ${max}`);
  }
  return v;
}

/** Validates the limits within `options.reports`; a TypeError names the bad one. */
export function reportLimitsOption(reports: ReportLimitOptions): ReportLimits {
  const policiesPerReport = whole(reports.policiesPerReport, 'policiesPerReport', 1, 1000);
  const failuresPerReport = whole(reports.failuresPerReport, 'failuresPerReport', 1, 100_000);
  // The most rows one report can make (see boundSummary): a quota below it could never take such a report.
  const largest = 2 * policiesPerReport + failuresPerReport;
  const dailyRows = whole(reports.dailyRowsPerDomain, 'dailyRowsPerDomain', largest, 1e9);
  return {
    storage: { policiesPerReport, failuresPerReport },
    daily: { reports: whole(reports.dailyReportsPerDomain, 'dailyReportsPerDomain', 1, 1e7), rows: dailyRows },
    cap: { reports: whole(reports.maxReports, 'maxReports', 1, 1e10), rows: whole(reports.maxRows, 'maxRows', largest, 1e12) },
  };
}
