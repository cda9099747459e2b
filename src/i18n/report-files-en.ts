// English texts of the stored TLS reports as files on the reports page: the list of reports with
// the download of each original, and the export of the period's failures. Spread into ./en.ts.
export const REPORT_FILES_EN = {
  'reports.files.heading': 'Stored reports',
  'reports.files.none': 'No report of this period is stored.',
  'reports.files.organisation': 'Organisation',
  'reports.files.reportId': 'Report ID',
  'reports.files.period': 'Period (UTC)',
  'reports.files.via': 'Received via',
  'reports.files.via.https': 'HTTPS',
  'reports.files.via.mail': 'Mail',
  'reports.files.dkim': 'DKIM',
  'reports.files.dkim.none': 'not applicable (HTTPS)',
  'reports.files.size': 'Size (gzip)',
  'reports.files.download': 'Original',
  'reports.files.downloadLabel': 'Download the original JSON of report {reportId} from {organisation}',
  'reports.files.pager': 'Pages of the stored reports',
  'reports.files.status': 'Reports {first} to {last} of {total}',
  'reports.files.previous': 'Newer reports',
  'reports.files.next': 'Older reports',
  'reports.export.heading': 'Export the failures of this period',
  'reports.export.intro':
    'One row per failure detail of every stored report of the period, with all fields of RFC 8460. In the CSV file, a value starting with =, +, - or @ begins with an apostrophe so that a spreadsheet does not take it for a formula.',
  'reports.export.csv': 'Failures as CSV',
  'reports.export.jsonl': 'Failures as JSON Lines',
} as const;
