// German texts of TLS reporting: the same keys as ./reports-en.ts (a missing one is a compile error).
import type { REPORTS_EN } from './reports-en';

export const REPORTS_DE: { readonly [K in keyof typeof REPORTS_EN]: string } = {
  'field.rua.notList': 'Berichtsadressen müssen eine Liste von mailto:- oder https:-URIs sein, oder ein Text mit durch Kommas getrennten URIs',
  'field.rua.badUri': 'Berichtsadressen hat ein Problem: „{uri}“ ist weder eine mailto:-Adresse noch eine https:-URL',
  'field.rua.tooMany': 'Berichtsadressen hat ein Problem: höchstens {max} Adressen sind erlaubt',
  'field.rua.tooLong': 'Berichtsadressen hat ein Problem: der TLS-RPT-Eintrag wäre länger als {max} Zeichen',
  'reports.tab.heading': 'TLS-Berichte',
  'reports.tab.intro':
    'Sendende Server, die TLS-Berichte (RFC 8460) unterstützen, schicken täglich einen Bericht über ihre Verbindungen zu dieser Domain, erfolgreiche und fehlgeschlagene. Im Modus testing zeigen diese Berichte, ob Mail unter enforce ankäme.',
  'reports.tab.intakeLabel': 'Berichtsadresse dieses Panels:',
  'reports.tab.intakeInactive': 'Dieses Panel gibt der Domain ihre Berichtsadresse, sobald die Richtlinie aktiv ist.',
  'reports.tab.ruaLabel': 'Berichtsadressen',
  'reports.tab.ruaHelp':
    'mailto:- oder https:-URIs, durch Kommas getrennt, höchstens {max}. Nehmen Sie die Berichtsadresse dieses Panels oben auf, um die Berichte hier zu sehen.',
  'reports.tab.ruaSuggested':
    'Vorgeschlagen, noch nicht gespeichert: die Berichtsadressen dieses Panels, im TLS-RPT-Eintrag bei den DNS-Einträgen. Veröffentlichen Sie diesen Eintrag und speichern Sie die Adressen (oder Ihre eigenen), damit die DNS-Prüfung sie vergleicht.',
  'reports.tab.httpsOnly':
    'Nur https:-Berichtsadressen: Manche sendenden Server schicken Berichte nur per E-Mail; ergänzen Sie eine mailto:-Adresse, um auch deren Berichte zu erhalten.',
  'reports.tab.save': 'Berichtsadressen speichern',
  'reports.tab.regenerate': 'Neue Berichtsadresse',
  'reports.tab.regenerateHelp':
    'Erzeugt eine neue Berichtsadresse dieses Panels; die alte nimmt sofort keine Berichte mehr an. Veröffentlichen Sie danach den neuen TLS-RPT-Eintrag.',
  'reports.tab.link': 'TLS-Berichte anzeigen',
  'reports.tab.copyIntake': 'Berichtsadresse',
  'reports.notice.saved': 'Die Berichtsadressen wurden gespeichert. Veröffentlichen Sie den TLS-RPT-Eintrag, der bei den DNS-Einträgen steht.',
  'reports.notice.cleared': 'Es sind jetzt keine Berichtsadressen eingetragen: Entfernen Sie den TLS-RPT-Eintrag bei {name}, falls er veröffentlicht ist.',
  'reports.notice.invalid': 'Nichts wurde gespeichert: Korrigieren Sie die Berichtsadressen.',
  'reports.notice.regenerated': 'Die Berichtsadresse ist neu; die alte nimmt keine Berichte mehr an. Ändern Sie den TLS-RPT-Eintrag bei {name}.',
  'reports.page.title': 'TLS-Berichte: {domain}',
  'reports.page.heading': 'TLS-Berichte für {domain}',
  'reports.page.range': 'Berichte vom {from} bis {to} (UTC).',
  'reports.page.rangeLabel': 'Zeitraum',
  'reports.page.lastDays': 'letzte {count} Tage',
  'reports.page.show': 'Anzeigen',
  'reports.page.back': 'Zurück zum MTA-STS-Tab',
  'reports.page.none':
    'Für diesen Zeitraum kamen keine Berichte. Sendende Server berichten einmal am Tag an die Adressen des TLS-RPT-Eintrags; die ersten Berichte kommen ein bis zwei Tage nach seiner Veröffentlichung.',
  'reports.chart.title': 'Erfolgreiche und fehlgeschlagene Verbindungen pro Tag, {from} bis {to}',
  'reports.chart.desc': '{success} erfolgreiche und {failure} fehlgeschlagene Verbindungen in {days} Tagen; die Tabelle darunter nennt jeden Tag.',
  'reports.chart.success': 'erfolgreich',
  'reports.chart.failure': 'fehlgeschlagen',
  'reports.days.caption': 'Verbindungen pro Tag',
  'reports.days.date': 'Datum (UTC)',
  'reports.orgs.heading': 'Nach berichtender Organisation',
  'reports.orgs.name': 'Name der Organisation',
  'reports.orgs.reports': 'Berichte',
  'reports.failures.heading': 'Fehlschläge',
  'reports.failures.none': 'Für diesen Zeitraum wurden keine fehlgeschlagenen Verbindungen berichtet.',
  'reports.failures.resultType': 'Ergebnistyp',
  'reports.failures.host': 'Empfangender MX-Host',
  'reports.failures.ip': 'Empfangende IP',
  'reports.failures.sessions': 'Verbindungen',
  'reports.failures.meaning': 'Bedeutung',
  'reports.breakdown.heading': 'Fehlgeschlagene Verbindungen nach Ursache und Ort',
  'reports.breakdown.intro': '{sessions} fehlgeschlagene Verbindungen in den Fehlerdetails dieses Zeitraums; je die zehn größten, der Rest als übrige.',
  'reports.breakdown.resultType': 'Nach Ergebnistyp',
  'reports.breakdown.receivingMx': 'Nach empfangendem MX-Host',
  'reports.breakdown.organisation': 'Nach sendender Organisation',
  'reports.breakdown.sendingIp': 'Nach sendender IP',
  'reports.breakdown.name': 'Wert',
  'reports.breakdown.share': 'Anteil',
  'reports.breakdown.others': 'übrige',
  'reports.breakdown.unknown': 'nicht angegeben',
  'reports.failures.sendingIp': 'Sendende IP',
  'reports.failures.helo': 'HELO des MX',
  'reports.failures.reason': 'Fehlercode',
  'reports.failures.info': 'Weitere Informationen',
  'reports.failures.folded':
    'Es wurden mehr Fehlergruppen berichtet, als für eine Ansicht behalten werden: {sessions} fehlgeschlagene Verbindungen der kleinsten Gruppen sind in den Tagen oben gezählt, aber nicht aufgeführt, und eine aufgeführte Gruppe kann weniger Verbindungen zeigen, als sie hatte.',
  'reports.pager.label': 'Seiten der Berichtslisten',
  'reports.pager.status': 'Seite {page} von {pages}',
  'reports.pager.previous': 'Zurück',
  'reports.pager.next': 'Weiter',
  'reports.host.unknown': 'ein MX-Host',
  'reports.explain.starttls-not-supported':
    '{host} bot in {sessions} Verbindungen kein STARTTLS an: Unter enforce würden sendende Server dorthin nicht zustellen. Aktivieren Sie dort STARTTLS.',
  'reports.explain.certificate-host-mismatch':
    'Das Zertifikat von {host} gilt nicht für diesen Namen ({sessions} Verbindungen): Unter enforce würden sendende Server dorthin nicht zustellen. Verwenden Sie ein Zertifikat, das den MX-Host nennt.',
  'reports.explain.certificate-expired':
    'Das Zertifikat von {host} war abgelaufen ({sessions} Verbindungen): Unter enforce würden sendende Server dorthin nicht zustellen. Erneuern Sie es.',
  'reports.explain.certificate-not-trusted':
    'Dem Zertifikat von {host} wurde nicht vertraut ({sessions} Verbindungen), z. B. selbst signiert oder ohne Zwischenzertifikat: Unter enforce würden sendende Server dorthin nicht zustellen.',
  'reports.explain.validation-failure':
    'Die TLS-Prüfung mit {host} schlug fehl ({sessions} Verbindungen){reason}: Unter enforce würden sendende Server dorthin nicht zustellen.',
  'reports.explain.sts-policy-fetch-error':
    'Sendende Server konnten die Richtliniendatei nicht abrufen ({sessions} Verbindungen): Prüfen Sie, ob {url} über HTTPS antwortet.',
  'reports.explain.sts-policy-invalid': 'Sendende Server fanden die Richtlinie ungültig ({sessions} Verbindungen): Führen Sie den DNS-Check aus.',
  'reports.explain.sts-webpki-invalid':
    'Dem Zertifikat des Richtlinien-Hosts wurde beim Abruf von {url} nicht vertraut ({sessions} Verbindungen): Es braucht ein gültiges Zertifikat für mta-sts.{domain}.',
  'reports.explain.dane': 'Die DANE-Prüfung für {host} schlug fehl ({type}, {sessions} Verbindungen): Prüfen Sie die TLSA-Einträge und DNSSEC des MX-Hosts.',
  'reports.explain.folded':
    'Fehler über das hinaus, was ein Bericht speichern darf, zusammengezählt ({sessions} Verbindungen): Der Bericht, wie er ankam, enthält in der JSON-API jede Einzelheit.',
  'reports.explain.otherType': 'Sendende Server meldeten „{type}“ für {host} ({sessions} Verbindungen).',
  'reports.explain.notInPolicy': '{host} passt zu keinem MX-Eintrag der Richtlinie: Unter enforce würden sendende Server dorthin nicht zustellen.',
  'reports.policies.heading': 'Von sendenden Servern angewandte Richtlinien',
  'reports.policies.type': 'Typ',
  'reports.policies.id': 'Richtlinien-ID',
  'reports.policies.mx': 'MX-Einträge',
  'reports.policies.sessions': 'Verbindungen',
  'reports.policies.lastDay': 'Zuletzt berichtet',
  'reports.policies.unknownId': 'keine von uns',
  'reports.policies.stale':
    'Sendende Server wandten am {lastDay} noch die alte Richtlinie {id} an, obwohl sie am {replacedOn} ersetzt wurde: Prüfen Sie, ob der TXT-Eintrag bei _mta-sts.{domain} die aktuelle ID trägt.',
  'reports.ready.heading': 'Bereit für enforce?',
  'reports.ready.yes':
    'Bereit für enforce: In den letzten 14 Tagen sandten {organisations} Organisationen vertrauenswürdige Berichte, und keine Verbindung darin schlug so fehl, dass enforce daraus nicht zugestellte Mail machen würde.',
  'reports.ready.no': 'Noch nicht bereit für enforce:',
  'reports.ready.not-testing': 'Die Richtlinie ist nicht im Modus testing; diese Einschätzung gilt für die Testphase.',
  'reports.ready.few-organisations':
    'Nötig sind vertrauenswürdige Berichte von mindestens zwei Organisationen in den letzten 14 Tagen; vertrauenswürdige Berichte sandten {organisations}.',
  'reports.ready.trusted':
    '{organisations} von {reported} Organisationen, die in den letzten 14 Tagen berichteten, sind vertrauenswürdig; nur ihre Berichte zählen hier und für Warnungen.',
  'reports.orgs.unverified': 'nicht bestätigt',
  'reports.orgs.unverifiedHint':
    'Nicht bestätigt: weder per Mail mit einer DKIM-Signatur der eigenen Domain des Absenders, noch von einer Organisation, die zuvor einen solchen Bericht sandte, noch ein bekannter Absender. Einen solchen Bericht kann jeder senden: Er zählt weder für die Bereitschaft noch für Warnungen.',
  'reports.known.heading': 'Bekannte Berichtsabsender',
  'reports.known.help':
    'Organisationen, deren Berichte zählen, wie auch immer sie eintreffen: ein Name pro Zeile, genau wie ihre Berichte sie nennen (höchstens {max}). Die Liste gilt für alle Domains.',
  'reports.known.save': 'Bekannte Absender speichern',
  'reports.known.saved': 'Die bekannten Absender wurden gespeichert.',
  'reports.known.invalid': 'Die bekannten Absender wurden nicht gespeichert: Zeile {line}: {rule}',
  'reports.known.rule.empty': 'Ein Name darf nicht leer sein.',
  'reports.known.rule.too-long': 'Ein Name hat höchstens {max} Zeichen.',
  'reports.known.rule.control': 'Ein Name darf keine Steuerzeichen enthalten.',
  'reports.known.rule.too-many': 'Höchstens {max} Namen.',
  'reports.known.rule.not-text': 'Jeder Name muss Text sein.',
  'reports.ready.sts-failures':
    'In den letzten 14 Tagen schlugen {sessions} Verbindungen unter der Richtlinie fehl ({types}): Unter enforce würde diese Mail nicht zugestellt.',
};
