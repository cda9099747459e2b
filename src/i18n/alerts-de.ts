// German texts of the scheduled checks' alerts: the same keys as ./alerts-en.ts.
import type { ALERTS_EN } from './alerts-en';

export const ALERTS_DE: { readonly [K in keyof typeof ALERTS_EN]: string } = {
  'alert.subject.raised': 'MTA-STS-Warnung für {domain}: {condition}',
  'alert.subject.recovered': 'MTA-STS wieder in Ordnung für {domain}: {condition}',
  'alert.condition.policyUnreachable': 'die Richtliniendatei ist nicht abrufbar',
  'alert.condition.idMismatch': 'die Richtlinien-ID im DNS ist nicht die ausgelieferte',
  'alert.condition.mxUncovered': 'MX-Server sind von der Richtlinie nicht abgedeckt',
  'alert.condition.certificateExpiring': 'ein Zertifikat läuft in weniger als 14 Tagen ab',
  'alert.condition.tlsFailuresRising': 'fehlgeschlagene TLS-Sitzungen in den Berichten nehmen zu',
  'alert.condition.tlsFailuresAboveBaseline': 'fehlgeschlagene TLS-Sitzungen in den vertrauenswürdigen Berichten liegen weit über dem Üblichen',
  'alert.condition.dnsNotPublished': 'ein zu veröffentlichender DNS-Eintrag ist seit mehr als 10 Minuten nicht wie gewünscht veröffentlicht',
  'alert.body.raised': 'Die geplante DNS-Prüfung von {domain} um {checkedAt} hat ein Problem gefunden: {condition}.',
  'alert.body.recovered': 'Die geplante DNS-Prüfung von {domain} um {checkedAt} findet dieses Problem nicht mehr: {condition}.',
  'alert.body.findings': 'Was die Prüfung gefunden hat:',
  'alert.body.dnsRecord': '- {name}: {state} seit {since}',
  'alert.body.failures': 'Fehlgeschlagene TLS-Sitzungen, gemeldet für {day}: {count}; höchstens {baseline} am Tag in der Woche davor.',
  'alert.body.spike':
    'Fehlgeschlagene TLS-Sitzungen in vertrauenswürdigen Berichten für {day}: {count}; der Median der 14 Tage davor ist {median} am Tag (gewarnt ab dem {factor}-Fachen des Medians und mindestens {minimum}).',
  'alert.body.footer': 'Sie erhalten höchstens eine Nachricht pro Domain und Problem am Tag, die Entwarnung eingeschlossen.',
};
