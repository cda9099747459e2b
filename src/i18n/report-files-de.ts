// German texts of the stored TLS reports as files: the same keys as ./report-files-en.ts.
import type { REPORT_FILES_EN } from './report-files-en';

export const REPORT_FILES_DE: { readonly [K in keyof typeof REPORT_FILES_EN]: string } = {
  'reports.files.heading': 'Gespeicherte Berichte',
  'reports.files.none': 'Aus diesem Zeitraum ist kein Bericht gespeichert.',
  'reports.files.organisation': 'Organisation',
  'reports.files.reportId': 'Berichts-ID',
  'reports.files.period': 'Zeitraum (UTC)',
  'reports.files.via': 'Empfangen über',
  'reports.files.via.https': 'HTTPS',
  'reports.files.via.mail': 'E-Mail',
  'reports.files.dkim': 'DKIM',
  'reports.files.dkim.none': 'entfällt (HTTPS)',
  'reports.files.size': 'Größe (gzip)',
  'reports.files.download': 'Original',
  'reports.files.downloadLabel': 'Das Original-JSON des Berichts {reportId} von {organisation} herunterladen',
  'reports.files.pager': 'Seiten der gespeicherten Berichte',
  'reports.files.status': 'Berichte {first} bis {last} von {total}',
  'reports.files.previous': 'Neuere Berichte',
  'reports.files.next': 'Ältere Berichte',
  'reports.export.heading': 'Die Fehler dieses Zeitraums exportieren',
  'reports.export.intro':
    'Eine Zeile je Fehlerdetail jedes gespeicherten Berichts des Zeitraums, mit allen Feldern aus RFC 8460. In der CSV-Datei beginnt ein Wert, der mit =, +, - oder @ anfängt, mit einem Apostroph, damit eine Tabellenkalkulation ihn nicht für eine Formel hält.',
  'reports.export.csv': 'Fehler als CSV',
  'reports.export.jsonl': 'Fehler als JSON Lines',
};
