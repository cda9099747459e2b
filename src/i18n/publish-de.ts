// Deutsche Texte der DNS-Veröffentlichung: die Schlüssel von ./publish-en.ts.
import type { PUBLISH_EN } from './publish-en';

export const PUBLISH_DE: { readonly [K in keyof typeof PUBLISH_EN]: string } = {
  'publish.log.published.wrote': 'DNS-Eintrag veröffentlicht: {name} {type} enthielt {held}, geschrieben: {value}',
  'publish.log.published.removed':
    'DNS-Eintrag veröffentlicht: {name} {type} enthielt {held}, entfernt (die Frist der zurückgezogenen Richtlinie ist abgelaufen)',
  'publish.log.repaired.wrote': 'DNS-Eintrag repariert: {name} {type} enthielt {held}, geschrieben: {value}',
  'publish.log.repaired.removed': 'DNS-Eintrag repariert: {name} {type} enthielt {held}, entfernt (die Frist der zurückgezogenen Richtlinie ist abgelaufen)',
  'publish.log.held.nothing': 'nichts',
  'publish.log.held.unknown': 'unbekannt',
  'publish.log.stopped':
    'DNS-Reparatur angehalten: {changing} der {existing} veröffentlichten Einträge würden sich ändern (mehr als 30 %); nichts wurde geändert: prüfen Sie mit `mta-sts publish --all --dry-run` und führen Sie dann `mta-sts publish --all --force` aus',
  'publish.log.failed.one':
    'Veröffentlichen von DNS-Einträgen fehlgeschlagen ({count} Eintrag): {reason}; die Richtliniendatei wird weiter ausgeliefert, die nächste Reparatur versucht es erneut',
  'publish.log.failed.other':
    'Veröffentlichen von DNS-Einträgen fehlgeschlagen ({count} Einträge): {reason}; die Richtliniendatei wird weiter ausgeliefert, die nächste Reparatur versucht es erneut',
  'publish.log.unread.one': '{count} DNS-Eintrag konnte nicht gelesen werden (erster: {name}); er bleibt, wie er ist',
  'publish.log.unread.other': '{count} DNS-Einträge konnten nicht gelesen werden (erster: {name}); sie bleiben, wie sie sind',
  'publish.log.keepFailed': 'Speichern des Zustands der DNS-Einträge fehlgeschlagen; die nächste Reparatur speichert ihn',
  'publish.log.changeFailed': 'Veröffentlichen der DNS-Einträge einer Änderung fehlgeschlagen',
  'publish.log.repairFailed': 'DNS-Reparatur fehlgeschlagen; nächster Versuch bei der nächsten Reparatur',
  'publish.cli.noPolicy': '{domain}: noch keine Richtlinie gespeichert, nichts zu veröffentlichen',
  'publish.cli.unread': '{name} {type}: was {target} enthält, konnte nicht gelesen werden, daher bleibt es, wie es ist',
  'publish.cli.unknown': 'unbekannt: {domains}',
  'publish.cli.undecided':
    '{domains}: ob {target} die Zone aktualisiert, ließ sich jetzt nicht feststellen (direkt oder delegiert); für sie wurde nichts geschrieben',
  'publish.cli.stopped':
    'angehalten: {changing} der {existing} bereits veröffentlichten Einträge würden sich ändern (mehr als 30 %); nichts wurde geändert: prüfen Sie den Plan und führen Sie den Befehl dann mit --force aus',
  'publish.cli.nothing': 'nichts zu tun: {held} von {total} Einträgen sind bei {target} wie gewünscht veröffentlicht',
  'publish.cli.dryRun': 'Probelauf, nichts geändert: würde bei {target} {create} anlegen, {update} ändern, {delete} löschen',
  'publish.cli.applied': 'bei {target} {create} anlegen, {update} ändern, {delete} löschen: {applied} ausgeführt, {failed} fehlgeschlagen',
  'publish.cli.lagging': 'ausgeführte Einträge, die nicht innerhalb von {seconds} s jeder autoritative Nameserver ausliefert: {count}',
  'publish.cli.statesNotKept': 'der Zustand der Einträge konnte für die Übersicht nicht gespeichert werden: {reason}',
};
