// Deutsch. Typed as a Catalogue: a key missing here, or one English does not have, does not
// compile; the i18n tests check that every message keeps the English placeholders.
// Wording: "Sie"; "Richtlinie" for policy, "sendende Server" for senders, field names as on the tab.
import type { Catalogue } from './index';
import { ALERTS_DE } from './alerts-de';
import { PUBLISH_DE } from './publish-de';
import { REPORTS_DE } from './reports-de';
import { REPORT_FILES_DE } from './report-files-de';
import { OVERVIEW_DE } from './overview-de';

export const de: Catalogue = {
  // ---- Gemeinsam ----------------------------------------------------------------------------
  'list.last': '{first} und {last}',
  'word.none': 'keine',
  'duration.week.one': '{count} Woche',
  'duration.week.other': '{count} Wochen',
  'duration.day.one': '{count} Tag',
  'duration.day.other': '{count} Tage',
  'duration.hour.one': '{count} Stunde',
  'duration.hour.other': '{count} Stunden',
  'duration.minute.one': '{count} Minute',
  'duration.minute.other': '{count} Minuten',
  'duration.second.one': '{count} Sekunde',
  'duration.second.other': '{count} Sekunden',
  'time.utc': '{date}, {time} UTC',

  // ---- DNS-Prüfung: Gemeinsames -------------------------------------------------------------
  'dns.status.ok': 'OK',
  'dns.status.warning': 'Warnung',
  'dns.status.error': 'Fehler',
  'dns.status.info': 'Hinweis',
  'dns.title.sts-txt': 'MTA-STS-TXT-Eintrag',
  'dns.title.sts-host': 'Richtlinien-Host',
  'dns.title.mx': 'MX-Hosts',
  'dns.title.tlsrpt': 'TLS-Berichte',
  'dns.title.policy': 'Richtliniendatei',
  'dns.title.dane': 'DANE',
  'dns.title.https': 'Richtlinie über HTTPS',
  'dns.title.mx-tls': 'STARTTLS der MX-Hosts',
  'dns.found.viaCname': '(über CNAME {chain})',
  'dns.found.nxdomain': 'nichts (NXDOMAIN)',
  'dns.found.nodata': 'nichts (keine {type}-Einträge)',
  'dns.found.nothing': 'nichts',
  'dns.found.notRun': 'nicht ausgeführt',
  'dns.found.noMxHosts': 'keine MX-Hosts',
  'dns.lookupFailed':
    '{what}: Prüfung nicht möglich, die DNS-Abfrage ist fehlgeschlagen ({reason}). Starten Sie die Prüfung erneut; bleibt der Fehler, antworten die Nameserver der Domain oder die Resolver dieses Panels nicht richtig.',
  'dns.what.mxRecords': 'MX-Einträge von {domain}',
  'dns.what.mxHosts': 'MX-Hosts von {domain}',
  'dns.lookup.where': '{target} (CNAME-Ziel von {name})',
  'dns.lookup.nxdomain': '{where} existiert nicht (NXDOMAIN)',
  'dns.lookup.nodata': '{where} hat keine {type}-Einträge',
  'dns.lookup.timeout': 'Resolver {server} hat nicht rechtzeitig geantwortet',
  'dns.lookup.servfail': 'Resolver {server} antwortete SERVFAIL für {name} {type}',
  'dns.lookup.refused': 'Resolver {server} antwortete REFUSED für {name} {type}',
  'dns.lookup.malformed': 'Resolver {server} schickte eine Antwort, die sich nicht dekodieren ließ',
  'dns.lookup.error': 'die Abfrage von {name} {type} ist fehlgeschlagen ({detail})',
  'dns.probe.failure': '{stage} ({detail})',
  'dns.probe.stage.dns': 'der Name ließ sich nicht auflösen',
  'dns.probe.stage.connect': 'die Verbindung ist fehlgeschlagen',
  'dns.probe.stage.tls': 'der TLS-Handshake ist fehlgeschlagen',
  'dns.probe.stage.certificate': 'das Zertifikat wurde nicht akzeptiert',
  'dns.probe.stage.protocol': 'der Server hat unerwartet geantwortet',
  'dns.probe.stage.timeout': 'keine vollständige Antwort in der Wartezeit',
  'dns.probe.stage.internal': 'die Prüfung ist unerwartet fehlgeschlagen',
  'dns.probe.failed': 'fehlgeschlagen',
  'dns.probe.stage.address': 'die Adresse ist nicht öffentlich',
  'dns.probe.notPublic':
    '{address} ist keine öffentliche Adresse (Loopback, privat, link-lokal oder für besondere Zwecke reserviert), daher hat sich die Prüfung nicht damit verbunden; sendende Server im Internet erreichen sie ebenfalls nicht',
  'dns.https.advice.address':
    'Lassen Sie {host} auf die öffentliche Adresse des Webservers zeigen, der die Richtlinie ausliefert; soll dieses Panel wirklich Hosts im eigenen Netz prüfen, tragen Sie deren Bereiche in die Option dnsCheck.allowAddresses ein.',
  'dns.mxTls.advice.address':
    'Jeder MX-Host braucht eine öffentliche Adresse, die sendende Server im Internet erreichen; soll dieses Panel wirklich Hosts im eigenen Netz prüfen, tragen Sie deren Bereiche in die Option dnsCheck.allowAddresses ein.',
  'dns.mxTls.notChecked':
    'Nur die ersten {checked} von {total} MX-Hosts (beste Präferenz zuerst) wurden getestet; die übrigen {rest} wurden nicht geprüft: {hosts}.',
  'dns.dane.notChecked':
    'Nur die ersten {checked} von {total} MX-Hosts (beste Präferenz zuerst) wurden abgefragt; die übrigen {rest} wurden nicht geprüft: {hosts}.',
  'dns.failed.expected': 'unbekannt: Die Prüfung wurde nicht abgeschlossen',
  'dns.failed.found': 'interner Fehler: {reason}',
  'dns.failed.message':
    'Diese Prüfung ist unerwartet fehlgeschlagen. Starten Sie die DNS-Prüfung erneut; schlägt sie weiter fehl, melden Sie sie zusammen mit dem angezeigten Fehler.',

  // ---- DNS-Prüfung: sts-txt -----------------------------------------------------------------
  'dns.stsTxt.expectedNoId': '{name} TXT "v=STSv1; id=<wird beim ersten Speichern der Richtlinie vergeben>"',
  'dns.stsTxt.others.one':
    '{name} enthält außerdem 1 anderen TXT-Eintrag; sendende Server ignorieren ihn, entfernen Sie ihn also, falls er übrig geblieben ist.',
  'dns.stsTxt.others.other':
    '{name} enthält außerdem {count} andere TXT-Einträge; sendende Server ignorieren sie, entfernen Sie sie also, falls sie übrig geblieben sind.',
  'dns.stsTxt.apex':
    '{domain} selbst enthält einen MTA-STS-Eintrag ("{record}"): Sendende Server sehen nur unter {name} nach, löschen Sie ihn also bei {domain}.',
  'dns.stsTxt.saveFirst': 'Speichern Sie zuerst die Richtlinie: Die ID, die dieser Eintrag tragen muss, wird beim ersten Speichern vergeben.',
  'dns.stsTxt.publish': 'veröffentlichen Sie unter {name} einen TXT-Eintrag mit dem Wert "{value}"',
  'dns.stsTxt.inactiveNone': 'MTA-STS ist inaktiv, daher ist kein Eintrag nötig. Wenn Sie es aktivieren, {publish}.',
  'dns.stsTxt.inactiveStill':
    'MTA-STS ist inaktiv, aber {name} kündigt noch eine Richtlinie an: Sendende Server suchen eine Richtliniendatei, finden keine und melden Fehler. Aktivieren Sie MTA-STS wieder oder entfernen Sie den Eintrag, sobald jede ausgelieferte Richtlinie abgelaufen ist (RFC 8461, Abschnitt 8.3).',
  'dns.stsTxt.missing': 'Es gibt keinen MTA-STS-Eintrag, daher wissen sendende Server nicht, dass diese Domain eine Richtlinie hat: {publish}.',
  'dns.stsTxt.several':
    '{name} enthält {count} MTA-STS-Einträge; sendende Server behandeln die Domain dann, als hätte sie keine Richtlinie. Behalten Sie genau einen: "{value}".',
  'dns.stsTxt.invalid': 'Der Eintrag "{record}" ist ungültig ({reason}), daher ignorieren ihn sendende Server. Ersetzen Sie ihn durch "{value}".',
  'dns.stsTxt.otherId':
    'Der Eintrag kündigt die ID {found} an, die aktuelle Richtlinien-ID ist aber {id}: Sendende Server mit einer älteren Richtlinie holen die neue nicht ab. Ändern Sie den Eintrag in "{value}".',
  'dns.stsTxt.ok': 'Der Eintrag kündigt die aktuelle Richtlinien-ID an.',
  'dns.stsTxt.delegationCname':
    '{name} ist kein CNAME auf {target}, wo dieses Panel die Richtlinien-ID veröffentlicht: Legen Sie einmalig {name} CNAME {target} in der Zone der Domain an.',
  'dns.stsTxt.delegationTxt':
    'Der CNAME {name} → {target} ist vorhanden, aber {target} enthält keinen MTA-STS-Eintrag: Das Panel hat "{value}" dort noch nicht veröffentlicht (mta-sts publish {domain}).',
  'dns.stsRecord.prefix': 'er beginnt nicht mit "v=STSv1;"',
  'dns.stsRecord.field': 'sein Feld "{field}" hat nicht die Form Name=Wert',
  'dns.stsRecord.twoIds': 'er hat mehr als ein id-Feld',
  'dns.stsRecord.badId': 'seine ID "{id}" besteht nicht aus 1 bis 32 Buchstaben und Ziffern',
  'dns.stsRecord.noId': 'er hat kein id-Feld',

  // ---- DNS-Prüfung: sts-host ----------------------------------------------------------------
  'dns.stsHost.add': 'Legen Sie einen DNS-Eintrag an: {record}.',
  'dns.stsHost.elsewhere':
    '{host} zeigt auf {cname}, nicht auf diesen Mailserver: Sendende Server würden die Richtlinie woanders abrufen. Ändern Sie ihn in: {record}.',
  'dns.stsHost.targetUnreachable':
    '{host} zeigt auf {target}, aber {target} hat keinen A- oder AAAA-Eintrag, daher erreichen sendende Server ihn nicht. Legen Sie die Adresseinträge für {target} an.',
  'dns.stsHost.ok': '{host} zeigt auf diesen Mailserver, der die Richtliniendatei ausliefert.',
  'dns.stsHost.nxdomain': '{host} existiert nicht, daher können sendende Server die Richtlinie nicht abrufen. {add}',
  'dns.stsHost.nothing': '{host} hat keinen CNAME-, A- oder AAAA-Eintrag, daher können sendende Server die Richtlinie nicht abrufen. {add}',
  'dns.stsHost.cannotCompare': '{host} hat eigene Adressen, und die von {target} ließen sich zum Vergleich nicht abfragen. Ein CNAME ist einfacher: {record}.',
  'dns.stsHost.sameAddresses': '{host} hat dieselben Adressen wie {target}. Ein CNAME ({record}) würde künftigen Adressänderungen von selbst folgen.',
  'dns.stsHost.otherAddresses':
    '{host} hat Adressen ({addresses}), die sich von denen von {target} ({targetAddresses}) unterscheiden: Sendende Server erreichen womöglich einen Server, der diese Richtlinie nicht ausliefert. Ersetzen Sie sie durch: {record}.',

  // ---- DNS-Prüfung: mx ----------------------------------------------------------------------
  'dns.mx.expected': 'MX-Hosts, die jeweils zu einem MX-Eintrag passen ({patterns})',
  'dns.mx.expectedNoEntries': 'MX-Hosts, zu denen die MX-Einträge der Richtlinie passen',
  'dns.mx.found.null': '{preference} . (Null-MX: nimmt keine E-Mails an)',
  'dns.mx.found.matches': '{preference} {host} (passt zu {pattern})',
  'dns.mx.found.unmatched': '{preference} {host} (passt zu keinem MX-Eintrag)',
  'dns.mx.nullMx': '{domain} veröffentlicht einen Null-MX (RFC 7505): Die Domain nimmt keine E-Mails an, MTA-STS hat also nichts zu schützen.',
  'dns.mx.none':
    '{domain} hat keine MX-Einträge, daher weichen sendende Server auf die Adresse der Domain selbst aus. Legen Sie einen MX-Eintrag für Ihren Mailserver an, z. B. {domain} MX 10 {mailHostname}.',
  'dns.mx.refused.one': 'Sendende Server werden die Zustellung an {hosts} verweigern: Kein MX-Eintrag passt zu diesem Host.',
  'dns.mx.refused.other': 'Sendende Server werden die Zustellung an {hosts} verweigern: Kein MX-Eintrag passt zu diesen Hosts.',
  'dns.mx.reported.one':
    '{hosts} passt zu keinem MX-Eintrag: Im Modus testing stellen sendende Server trotzdem zu, melden aber Fehler; im Modus enforce würden sie die Zustellung verweigern.',
  'dns.mx.reported.other':
    '{hosts} passen zu keinem MX-Eintrag: Im Modus testing stellen sendende Server trotzdem zu, melden aber Fehler; im Modus enforce würden sie die Zustellung verweigern.',
  'dns.mx.later.one': '{hosts} passt zu keinem MX-Eintrag; das wird wichtig, sobald die Richtlinie im Modus testing oder enforce aktiv ist.',
  'dns.mx.later.other': '{hosts} passen zu keinem MX-Eintrag; das wird wichtig, sobald die Richtlinie im Modus testing oder enforce aktiv ist.',
  'dns.mx.addOwn': 'Nehmen Sie {hosts} in die MX-Einträge auf ({own} ist dieser Mailserver).',
  'dns.mx.add': 'Nehmen Sie {hosts} in die MX-Einträge auf.',
  'dns.mx.stale.one': 'Der MX-Eintrag {entries} passt zu keinem MX-Host der Domain: Entfernen Sie ihn, falls er übrig geblieben ist.',
  'dns.mx.stale.other': 'Die MX-Einträge {entries} passen zu keinem MX-Host der Domain: Entfernen Sie sie, falls sie übrig geblieben sind.',
  'dns.mx.broad':
    'Der MX-Eintrag *.{domain} lässt jeden Host in {domain} mit gültigem Zertifikat E-Mails für die Domain annehmen (RFC 8461, Abschnitt 10.4): Führen Sie die Mailhosts stattdessen einzeln mit Namen auf.',
  'dns.mx.ok': 'Jeder MX-Host passt zu einem MX-Eintrag der Richtlinie.',

  // ---- DNS-Prüfung: tlsrpt ------------------------------------------------------------------
  'dns.tlsrpt.expected': '{name} TXT "{example}" (ein Eintrag; die Adresse wählen Sie selbst)',
  'dns.tlsrpt.missing':
    'Es gibt keinen TLS-RPT-Eintrag, daher können sendende Server Ihnen nicht melden, wenn sie nicht sicher zustellen können. Empfohlen, besonders vor dem Wechsel zu enforce: Legen Sie unter {name} einen TXT-Eintrag an, etwa "{example}".',
  'dns.tlsrpt.several':
    '{name} enthält {count} TLS-RPT-Einträge; sendende Server schicken dann gar keine Berichte (RFC 8460, Abschnitt 3). Behalten Sie genau einen.',
  'dns.tlsrpt.invalid': 'Der Eintrag "{record}" {reason}, daher ignorieren ihn sendende Server. Verwenden Sie zum Beispiel "{example}".',
  'dns.tlsrpt.ok': 'Sendende Server schicken tägliche TLS-Berichte an {rua}.',
  'dns.tlsrpt.httpsOnly':
    'Der Eintrag nennt nur https:-Berichtsadressen ({rua}): Manche sendenden Server schicken Berichte nur per E-Mail, deren Berichte kommen also nie an. Ergänzen Sie eine mailto:-Adresse.',
  'dns.tlsrpt.notPublished':
    'Hier sind die Berichtsadressen {configured} eingerichtet, aber unter {name} steht kein TLS-RPT-Eintrag, daher schicken sendende Server keine Berichte. Veröffentlichen Sie unter {name} den TXT-Eintrag "{record}".',
  'dns.tlsrpt.differs':
    'Der veröffentlichte Eintrag schickt Berichte an {rua}, hier eingerichtet sind aber die Berichtsadressen {configured}. Veröffentlichen Sie "{record}" unter {name}, oder passen Sie die Berichtsadressen an.',
  'dns.tlsrptRecord.prefix': 'beginnt nicht mit "v=TLSRPTv1;"',
  'dns.tlsrptRecord.twoRua': 'hat mehr als ein rua-Feld',
  'dns.tlsrptRecord.badUri': 'hat rua "{uri}", das keine mailto:- oder https:-Adresse ist',
  'dns.tlsrptRecord.badField': 'hat das Feld "{field}", das nicht die Form Name=Wert hat',
  'dns.tlsrptRecord.noRua': 'hat kein rua-Feld, das sagt, wohin die Berichte gehen',

  // ---- DNS-Prüfung: dane --------------------------------------------------------------------
  'dns.dane.expected': 'optional: TLSA-Einträge unter _25._tcp.<MX-Host>, mit DNSSEC signiert, passend zum Zertifikat, das der Host vorlegt (3 1 1 empfohlen)',
  'dns.dane.noHosts': 'Es gibt keine MX-Hosts, bei denen nach DANE-Einträgen (TLSA) gesucht werden könnte.',
  'dns.dane.mxFailed': 'DANE konnte nicht geprüft werden, weil die MX-Abfrage fehlgeschlagen ist ({reason}).',
  'dns.dane.unknown': 'Die TLSA-Abfrage ist für {hosts} fehlgeschlagen.',
  'dns.dane.absent': 'Keine DANE-Einträge (TLSA) für die MX-Hosts: MTA-STS ist das, was E-Mails an diese Domain schützt.',
  'dns.dane.allHosts': 'alle MX-Hosts',
  'dns.dane.someHosts.one': '{count} MX-Host ({hosts})',
  'dns.dane.someHosts.other': '{count} MX-Hosts ({hosts})',
  'dns.dane.present':
    'Für {scope} sind zusätzlich DANE-Einträge (TLSA) veröffentlicht. Sendende Server, die DANE beherrschen, verwenden es statt MTA-STS, wenn die Zone mit DNSSEC signiert ist; die Einträge wurden nicht mit einem Zertifikat verglichen, weil die STARTTLS-Prüfung aus ist oder keines erhalten hat.',

  // ---- DNS-Prüfung: policy ------------------------------------------------------------------
  'dns.dane.match': 'Die TLSA-Einträge von {hosts} passen zum Zertifikat, das der Server vorlegt, daher liefern Server mit DANE dorthin aus.',
  'dns.dane.mismatch':
    'Kein TLSA-Eintrag von {hosts} passt zum Zertifikat, das der Server vorlegt: Server mit DANE liefern dorthin keine E-Mails aus, und MTA-STS setzt eine fehlschlagende DANE-Prüfung nicht außer Kraft (RFC 8461 Abschnitt 2). Veröffentlichen Sie einen Eintrag für den aktuellen Schlüssel ({records}) neben dem alten, oder installieren Sie das Zertifikat, das die Einträge nennen.',
  'dns.dane.unusable':
    'Die TLSA-Einträge von {hosts} sind für E-Mail alle unbrauchbar, daher bestehen Server mit DANE nur auf Verschlüsselung und prüfen das Zertifikat nicht: {reasons}. Veröffentlichen Sie einen DANE-EE-Eintrag des Schlüssels (3 1 1).',
  'dns.dane.unsigned':
    'Die TLSA-Antworten für {hosts} tragen keine DNSSEC-Signaturen: Sendende Server ignorieren TLSA-Einträge einer unsignierten Zone, DANE schützt dort also keine E-Mails. Signieren Sie die Zone und veröffentlichen Sie ihren DS-Eintrag in der übergeordneten Zone, oder entfernen Sie die Einträge (oder der Resolver entfernt Signaturen: prüfen Sie mit einem validierenden Resolver).',
  'dns.dane.notValidated':
    'Die Zone von {hosts} ist signiert, aber der Resolver hat die TLSA-Antworten nicht als DNSSEC-geprüft markiert (kein AD-Bit): Er validiert nicht, oder die Vertrauenskette oberhalb der Zone ist unterbrochen (kein DS-Eintrag in der übergeordneten Zone). Über die Echtheit der Einträge lässt sich hier nichts sagen; verwenden Sie für die Prüfung einen validierenden Resolver (dns.servers).',
  'dns.dane.fragile':
    'TLSA-Einträge des ganzen Zertifikats mit Verwendung 3 (3 0 1 oder 3 0 2) bei {hosts} ändern sich mit jeder Erneuerung, auch bei gleichem Schlüssel. Besser ist 3 1 1 (SHA-256 des Schlüssels), und den Schlüssel bei der Erneuerung behalten.',
  'dns.dane.singleKey':
    'Bei {hosts} gibt es nur einen 3-1-1-Eintrag: Veröffentlichen Sie vor dem nächsten Schlüsselwechsel einen zweiten Eintrag für den nächsten Schlüssel und entfernen Sie den alten erst, wenn das neue Zertifikat im Einsatz ist.',
  'dns.dane.validated': 'Der Resolver hat die TLSA-Antworten mit DNSSEC geprüft (AD-Bit).',
  'dns.dane.uncompared': 'Die Einträge von {hosts} wurden nicht verglichen: Die STARTTLS-Prüfung hat dort kein Zertifikat erhalten.',
  'dns.dane.problem.pkix': 'Verwendung 0 oder 1 (PKIX-TA, PKIX-EE) gilt nicht für E-Mail, RFC 7672 Abschnitt 3.1.3',
  'dns.dane.problem.unknown': 'eine nicht definierte Verwendung, Auswahl oder Vergleichsart',
  'dns.dane.problem.malformed': 'Daten mit falscher Länge für ihre Vergleichsart',
  'dns.dane.state.match': 'passt zum Zertifikat',
  'dns.dane.state.mismatch': 'passt zu keinem vorgelegten Zertifikat',
  'dns.dane.state.unusable': 'kein brauchbarer Eintrag',
  'dns.dane.state.uncompared': 'nicht verglichen',
  'dns.dane.state.validated': 'DNSSEC-geprüft',
  'dns.dane.state.notValidated': 'signiert, nicht geprüft',
  'dns.dane.state.unsigned': 'unsigniert',
  'dns.policy.unreadable':
    'Die ausgelieferte Richtlinie konnte nicht gelesen werden: {reason}. Versuchen Sie es erneut; bleibt der Fehler, prüfen Sie die Datenbankverbindung.',
  'dns.policy.foundInactive': 'nichts (MTA-STS ist inaktiv)',
  'dns.policy.inactive':
    'Unter {url} wird nichts ausgeliefert, weil MTA-STS für diese Domain inaktiv ist. Aktivieren Sie es, um diese Richtlinie zu veröffentlichen.',
  'dns.policy.inactiveServed':
    'MTA-STS ist inaktiv, aber unter {url} wird eine Richtlinie ausgeliefert. Aktivieren Sie MTA-STS oder finden Sie heraus, was sie noch ausliefert.',
  'dns.policy.notServed':
    'MTA-STS ist aktiv, aber unter {url} wird keine Richtlinie ausgeliefert. Der Richtlinienspeicher ist vielleicht nicht erreichbar; versuchen Sie es gleich noch einmal.',
  'dns.policy.invalid': 'Die ausgelieferte Richtlinie ist ungültig ({problems}). Speichern Sie die Richtlinie erneut.',
  'dns.policy.differs':
    'Die ausgelieferte Richtlinie weicht von der gespeicherten ab ({differences}). Sie sollte innerhalb einer Minute nachziehen; falls nicht, starten Sie das Panel neu.',
  'dns.policy.ok': 'Diese Richtlinie erhalten sendende Server.',
  'dns.policy.testing':
    'Der Modus ist testing: Sendende Server melden Fehler, stellen aber trotzdem zu; wechseln Sie zu enforce, sobald die TLS-Berichte sauber sind.',
  'dns.policy.none': 'Der Modus ist none: Sendende Server behandeln die Domain, als hätte sie keine Richtlinie.',
  'dns.policy.shortMaxAge':
    'max_age liegt unter einem Tag ({maxAge} s): Sendende Server holen die Richtlinie sehr oft neu ab und vergessen sie bald, nachdem sie nicht mehr ausgeliefert wird; verwenden Sie mindestens 86400 und 604800 (eine Woche) oder mehr, sobald alles funktioniert.',
  'dns.differ.mode': 'mode {served} statt {stored}',
  'dns.differ.maxAge': 'max_age {served} statt {stored}',
  'dns.differ.extraMx': 'zusätzlich mx {entries}',
  'dns.differ.missingMx': 'es fehlt mx {entries}',
  'dns.policyText.line': 'Zeile {line} hat nicht die Form "Schlüssel: Wert"',
  'dns.policyText.longLine': 'Zeile {line} ist länger als {max} Zeichen',
  'dns.policyText.mx': 'mx "{value}" ist kein gültiges Muster in A-Label-Form',
  'dns.policyText.noVersion': 'version fehlt',
  'dns.policyText.version': 'version "{value}" ist nicht STSv1',
  'dns.policyText.noMode': 'mode fehlt',
  'dns.policyText.mode': 'mode "{value}" ist weder none noch testing noch enforce',
  'dns.policyText.noMaxAge': 'max_age fehlt',
  'dns.policyText.maxAge': 'max_age "{value}" ist keine Sekundenzahl von 0 bis {max}',
  'dns.policyText.needsMx': 'Modus {mode} braucht mindestens eine mx-Zeile',

  // ---- DNS-Prüfung: https -------------------------------------------------------------------
  'dns.https.expected': 'HTTP 200 über TLS 1.2+ mit einem gültigen Zertifikat für {host}, Content-Type text/plain, keine Weiterleitung, Inhalt:\n{policy}',
  'dns.https.expectedInactive': 'HTTP 404 (MTA-STS ist inaktiv, daher wird keine Richtlinie ausgeliefert)',
  'dns.https.disabled': 'Nicht ausgeführt: Die HTTPS-Prüfung ist in den Plugin-Optionen abgeschaltet.',
  'dns.https.inactive404': 'MTA-STS ist inaktiv und {url} antwortet wie erwartet mit 404.',
  'dns.https.inactiveServed':
    'MTA-STS ist inaktiv, aber {url} liefert eine Richtlinie aus: Etwas anderes (eine statische Datei, ein anderer Server) antwortet für {host}. Entfernen Sie es oder aktivieren Sie MTA-STS hier.',
  'dns.https.inactiveOther': 'MTA-STS ist inaktiv, daher muss nichts ausgeliefert werden ({seen}). Beheben Sie das, bevor Sie es aktivieren.',
  'dns.https.status': 'HTTP {status}',
  'dns.https.failed': 'Sendende Server können die Richtlinie nicht abrufen: {reason}. {advice}',
  'dns.https.redirect':
    '{url} leitet weiter (HTTP {status}) nach {location}; sendende Server folgen keinen Weiterleitungen (RFC 8461, Abschnitt 3.3). Liefern Sie die Richtlinie direkt unter {url} aus, ohne Weiterleitung auf ein anderes Schema, einen anderen Host oder Pfad.',
  'dns.https.noLocation': 'nirgendwohin (kein Location-Header)',
  'dns.https.notOk':
    '{url} antwortete mit HTTP {status}; sendende Server akzeptieren nur 200. Sorgen Sie dafür, dass Anfragen für {host} dieses Panel erreichen und sein Handler für .well-known vor anderen Routen eingehängt ist.',
  'dns.https.mediaType':
    'Die Richtlinie wird als "{type}" ausgeliefert; sendende Server (darunter Postfix) verlangen text/plain. Liefern Sie sie mit Content-Type: text/plain aus.',
  'dns.https.noContentType': 'kein Content-Type',
  'dns.https.tooLarge': 'Die Antwort ist größer als 64 KiB, was sendende Server ablehnen. Sorgen Sie dafür, dass {url} nur die Richtliniendatei ausliefert.',
  'dns.https.bom': 'Die Richtlinie beginnt mit einer Byte-Order-Mark, an der sendende Server beim Einlesen scheitern. Liefern Sie sie ohne aus.',
  'dns.https.invalid':
    'Der Inhalt ist keine gültige Richtlinie ({problems}). Sorgen Sie dafür, dass Anfragen für {host} den .well-known-Handler dieses Panels erreichen.',
  'dns.https.differs':
    'Sendende Server erhalten eine andere Richtlinie als die aktuelle ({differences}): Etwas anderes antwortet für {host} (ein anderer Server, ein Proxy-Cache oder eine statische Datei). Sorgen Sie dafür, dass dort die Richtlinie dieses Panels ausgeliefert wird.',
  'dns.https.expiring':
    'Das Zertifikat für {host} läuft am {date} ab (in {days} Tagen). Erneuern Sie es: Mit einem abgelaufenen Zertifikat können sendende Server die Richtlinie nicht abrufen.',
  'dns.https.ok': 'Sendende Server können die aktuelle Richtlinie über HTTPS abrufen.',
  'dns.https.advice.dns': 'Legen Sie den DNS-Eintrag an, den die Prüfung des Richtlinien-Hosts für {host} zeigt.',
  'dns.https.advice.connect': 'Sorgen Sie dafür, dass unter {address} ein Webserver auf Port 443 lauscht und {host} an dieses Panel weitergibt.',
  'dns.https.advice.certificate':
    'Installieren Sie ein Zertifikat einer öffentlichen Zertifizierungsstelle, das {host} abdeckt (zum Beispiel, indem Sie {host} in Ihr ACME-Zertifikat aufnehmen).',
  'dns.https.advice.tls': 'Aktivieren Sie auf dem Webserver TLS 1.2 oder neuer für {host}.',
  'dns.https.advice.timeout': 'Prüfen Sie, ob {host} aus dem Internet auf Port 443 erreichbar ist und der Webserver antwortet.',
  'dns.https.advice.default': 'Sorgen Sie dafür, dass Anfragen für {host} dieses Panel erreichen.',
  'dns.https.found.at': '{url} unter {address}',
  'dns.https.found.certificate': '{tls}, Zertifikat für {names} von {issuer}, gültig bis {date}',
  'dns.https.found.response': 'HTTP {status}{location}, Content-Type: {type}',
  'dns.https.found.location': ', Location: {location}',
  'dns.https.found.none': 'keiner',
  'dns.https.found.tooLarge': '(Inhalt größer als 64 KiB)',

  // ---- DNS-Prüfung: mx-tls ------------------------------------------------------------------
  'dns.mxTls.expected': 'jeder MX-Host bietet STARTTLS (TLS 1.2+) mit einem Zertifikat, das für seinen eigenen Namen gilt',
  'dns.mxTls.disabled': 'Nicht ausgeführt: Die SMTP-Prüfung ist in den Plugin-Optionen abgeschaltet.',
  'dns.mxTls.noHosts': '{domain} hat keine MX-Hosts, die sich testen ließen; siehe die MX-Prüfung.',
  'dns.mxTls.refused': 'Sendende Server werden die Zustellung an {hosts} verweigern.',
  'dns.mxTls.reported':
    'Im Modus testing stellen sendende Server trotzdem zu, melden aber Fehler; im Modus enforce würden sie die Zustellung an {hosts} verweigern.',
  'dns.mxTls.later': 'Das wird wichtig, sobald die Richtlinie im Modus testing oder enforce aktiv ist.',
  'dns.mxTls.reason': '{host}: {reason}.',
  'dns.mxTls.advice.tls':
    'Jeder MX-Host braucht STARTTLS (TLS 1.2 oder neuer) mit einem Zertifikat einer öffentlichen Zertifizierungsstelle, das seinen eigenen Namen abdeckt.',
  'dns.mxTls.advice.dns': 'Jeder MX-Hostname braucht einen A- oder AAAA-Eintrag.',
  'dns.mxTls.advice.connect':
    'Diese Prüfung verbindet sich von diesem Server aus: Ist ausgehender Port 25 hier gesperrt, kommen sendende Server anderswo womöglich trotzdem durch; bestätigen Sie das mit einem externen Test.',
  'dns.mxTls.expiring':
    'Das Zertifikat von {hosts} läuft innerhalb von {days} Tagen ab: Erneuern Sie es, sonst stellen sendende Server unter einer enforce-Richtlinie nicht mehr zu.',
  'dns.mxTls.expiringHost': '{host} (läuft am {date} ab)',
  'dns.mxTls.ok': 'Jeder MX-Host bietet STARTTLS mit einem gültigen Zertifikat für seinen Namen.',
  'dns.mxTls.found.host': '{host} ({address})',
  'dns.mxTls.found.failed': '{where}: {reason}',
  'dns.mxTls.found.ok': '{where}: STARTTLS, {tls}',
  'dns.mxTls.found.certificate': '{where}: STARTTLS, {tls}, Zertifikat von {issuer}, gültig bis {date}',

  // ---- Feldfehler ---------------------------------------------------------------------------
  'field.version.invalid': 'Version muss STSv1 sein, die einzige Version, die RFC 8461 definiert.',
  'field.mode.invalid': 'Modus muss none, testing oder enforce sein.',
  'field.maxAge.invalid': 'Maximales Alter muss eine ganze Zahl von Sekunden von 0 bis {max} sein (ein Jahr, das Maximum nach RFC 8461).',
  'field.mx.notText': 'MX-Einträge müssen Text sein.',
  'field.mx.notList': 'MX-Einträge müssen eine Liste von Hostnamen oder ein durch Kommas getrennter Text sein.',
  'field.mx.badEntry':
    'MX-Einträge: "{entry}" ist kein gültiger MX-Eintrag. Verwenden Sie einen Hostnamen wie mail.example.org oder *. gefolgt von einem Hostnamen (ein Platzhalter nur als ganzes, am weitesten links stehendes Label).',
  'field.mx.ipAddress': 'MX-Einträge: "{entry}" ist eine IP-Adresse. IP-Adressen sind nicht erlaubt: Verwenden Sie den Hostnamen des MX.',
  'field.mx.url': 'MX-Einträge: "{entry}" ist nicht nur ein Hostname: Geben Sie nur den Hostnamen ein, ohne Schema, Pfad oder Port.',
  'field.mx.emptyLabel': 'MX-Einträge: "{entry}" hat ein leeres Label (zwei Punkte hintereinander oder ein Punkt am Anfang).',
  'field.mx.wildcard':
    'MX-Einträge: "{entry}" hat einen Platzhalter an der falschen Stelle: nur ein *, als ganzes Label ganz links, gefolgt von einem Hostnamen (*.example.org).',
  'field.mx.labelTooLong': 'MX-Einträge: "{entry}" hat ein Label mit mehr als 63 Zeichen.',
  'field.mx.nameTooLong': 'MX-Einträge: "{entry}" ist länger als 253 Zeichen.',
  'field.mx.broadWildcard':
    'MX-Einträge: "{entry}" passt auf jeden Host unter einer Top-Level-Domain; RFC 8461 (Abschnitt 10.4) warnt vor so weiten Mustern: Nennen Sie die MX-Hosts oder deren eigene Domain.',
  'field.mx.tooMany': 'MX-Einträge: Höchstens {max} Einträge sind erlaubt.',
  'field.mx.panelTooLong':
    'MX-Einträge passen nicht in die MTA-STS-Tabelle des Panels: Mit Kommas verbunden sind sie {length} Zeichen lang, erlaubt sind höchstens {max}.',
  'field.id.panelDigits': 'Die Policy-ID "{id}" passt nicht in die MTA-STS-Tabelle des Panels, die nur Ziffern nimmt (höchstens 18).',
  'field.mx.required': 'MX-Einträge: Im Modus {mode} ist mindestens ein Eintrag nötig.',
  'field.active.invalid': 'Aktiv muss angehakt oder nicht angehakt sein.',
  'field.active.notBoolean': 'Aktiv muss true oder false sein.',
  'field.unknown': '{field} ist kein bekanntes Feld (bekannt: {known}).',
  'field.retire.notTrue': 'Zurückziehen muss true sein (oder fehlen).',
  'field.changes.empty': 'Nennen Sie mindestens eine Änderung: {known}.',
  'field.changes.retireAlone':
    'Zurückziehen lässt sich nicht mit anderen Änderungen verbinden: es setzt selbst den Modus none, ein kleines Maximum Age und eine neue ID.',

  // ---- Der Reiter ---------------------------------------------------------------------------
  'tab.heading': 'MTA-STS für {domain}',
  'tab.intro':
    'MTA-STS weist sendende Mailserver an, E-Mails für diese Domain nur über TLS mit gültigem Zertifikat zuzustellen, und nur an die hier aufgeführten MX-Hosts.',
  'tab.introDane':
    'Nutzt die Domain zusätzlich DANE mit DNSSEC, bevorzugen sendende Server mit DANE-Unterstützung DANE; MTA-STS schützt die E-Mails von allen anderen.',
  'tab.status.label': 'Status:',
  'tab.status.served': 'wird ausgeliefert',
  'tab.status.notServed': 'wird nicht ausgeliefert',
  'tab.status.servedText': 'Sendende Server rufen diese Richtlinie (Modus {mode}) unter {url} ab.',
  'tab.status.inactiveText': 'MTA-STS ist für diese Domain inaktiv: Es wird keine Richtliniendatei ausgeliefert.',
  'tab.status.hostInactiveText': 'Die Domain ist im Panel inaktiv: Es wird keine Richtliniendatei ausgeliefert.',
  'tab.status.invalidText': 'Die gespeicherten Einstellungen sind ungültig: Es wird keine Richtliniendatei ausgeliefert.',
  'tab.label.version': 'Version',
  'tab.label.mode': 'Modus',
  'tab.label.maxAge': 'Maximales Alter',
  'tab.label.mx': 'MX-Einträge',
  'tab.label.active': 'Aktiv',
  'tab.version.help': 'Die einzige Version, die RFC 8461 definiert.',
  'tab.mode.none':
    'Die Richtlinie ist abgeschaltet: Sendende Server behandeln die Domain, als hätte sie keine aktive Richtlinie. Damit wird eine Richtlinie zurückgezogen.',
  'tab.mode.testing': 'Die Richtlinie ist aktiv, Verstöße werden aber nur gemeldet (TLS-RPT); E-Mails werden weiterhin zugestellt.',
  'tab.mode.enforce':
    'Sendende Server stellen nur über TLS mit gültigem Zertifikat an die aufgeführten MX-Hosts zu; andernfalls wird die E-Mail nicht zugestellt.',
  'tab.mode.order':
    'Gehen Sie zuerst über testing: Wechseln Sie zu enforce, sobald die TLS-Berichte zeigen, dass die E-Mails ankommen (die Anleitung, Schritt 4).',
  'tab.mode.skipTesting':
    'Diese Richtlinie ist derzeit im Modus none. Gehen Sie zuerst zu testing und wechseln Sie erst zu enforce, wenn die TLS-Berichte sauber sind: Ein Fehler im Modus enforce lässt sendende Server E-Mails verweigern, und sie behalten die Richtlinie bis zu ihrem maximalen Alter.',
  'tab.maxAge.unit': 'Sekunden',
  'tab.maxAge.help': 'Wie lange sendende Server die Richtlinie zwischenspeichern. Empfohlen: 86400 (1 Tag); höchstens 31557600 (1 Jahr).',
  'tab.maxAge.equals': '= {duration}',
  'tab.maxAge.short':
    'Weniger als ein Tag: Sendende Server holen die Richtlinie sehr oft ab und vergessen sie bald, nachdem sie nicht mehr ausgeliefert wird. Verwenden Sie mindestens 86400 (1 Tag) und 604800 (1 Woche) oder mehr, sobald alles funktioniert.',
  'tab.maxAge.tooLong': 'Mehr als das Maximum nach RFC 8461 von 31557600 Sekunden (1 Jahr).',
  'tab.mx.placeholder': 'z. B. mail.example.org, *.mx.example.net',
  'tab.mx.help':
    'Die MX-Hostnamen der Domain, durch Kommas getrennt. Ein Platzhalter *.example.org passt auf genau ein Label (mx1.example.org, nicht example.org).',
  'tab.mx.dnsHosts': 'MX-Hosts von {domain} im DNS: {hosts}.',
  'tab.mx.fill': 'Als MX-Einträge übernehmen',
  'tab.mx.dnsNone': 'Das DNS enthält keine MX-Einträge für {domain}, daher gibt es keine MX-Hosts vorzuschlagen.',
  'tab.mx.dnsNull': '{domain} veröffentlicht einen Null-MX: Die Domain nimmt keine E-Mails an.',
  'tab.mx.dnsFailed': 'Die MX-Hosts von {domain} ließen sich nicht abfragen ({reason}); die DNS-Prüfung zeigt mehr.',
  'tab.mx.dnsSlow': 'Die MX-Hosts von {domain} ließen sich nicht rechtzeitig abfragen; die DNS-Prüfung zeigt mehr.',
  'tab.mx.stale.one': '{entries} passt zu keinem MX-Host im DNS: Entfernen Sie den Eintrag, falls er übrig geblieben ist.',
  'tab.mx.stale.other': '{entries} passen zu keinem MX-Host im DNS: Entfernen Sie die Einträge, falls sie übrig geblieben sind.',
  'tab.mx.uncovered.one': 'Der MX-Host {hosts} passt zu keinem Eintrag.',
  'tab.mx.uncovered.other': 'Die MX-Hosts {hosts} passen zu keinem Eintrag.',
  'tab.mx.covered': 'Jeder MX-Host im DNS passt zu einem Eintrag.',
  'tab.mx.refused.one':
    'E-Mails würden abgewiesen: Im Modus enforce verweigern sendende Server die Zustellung an {hosts}, weil kein MX-Eintrag zu diesem Host passt. Nehmen Sie ihn in die MX-Einträge auf oder bleiben Sie bei testing.',
  'tab.mx.refused.other':
    'E-Mails würden abgewiesen: Im Modus enforce verweigern sendende Server die Zustellung an {hosts}, weil kein MX-Eintrag zu diesen Hosts passt. Nehmen Sie sie in die MX-Einträge auf oder bleiben Sie bei testing.',
  'tab.active.help': 'Die Richtliniendatei unter {url} ausliefern.',
  'tab.active.retireHint':
    'Um MTA-STS nicht mehr zu verwenden, ziehen Sie die Richtlinie zurück, statt nur den Haken bei Aktiv zu entfernen: Sendende Server behalten eine Richtlinie bis zu ihrem maximalen Alter.',
  'tab.retire.heading': 'MTA-STS abschalten',
  'tab.retire.risk':
    'Sendende Server, die diese Richtlinie abgerufen haben, wenden sie (Modus {mode}) bis zu ihrem maximalen Alter von {duration} weiter an, auch wenn Richtliniendatei und DNS-Einträge schon verschwunden sind: Sie würden E-Mails weiter nach einer Richtlinie abweisen oder melden, die Sie nicht mehr ausliefern.',
  'tab.retire.steps': 'RFC 8461 (Abschnitt 8.3) entfernt MTA-STS in Schritten:',
  'tab.retire.step1': 'Den Modus none mit einer neuen ID und einem kleinen maximalen Alter ausliefern. Das erledigt die Schaltfläche unten.',
  'tab.retire.step2': 'Die neue ID im TXT-Eintrag unter {name} veröffentlichen.',
  'tab.retire.step3': 'Sie mindestens für das bisherige maximale Alter weiter ausliefern, bis {date}.',
  'tab.retire.step4': 'Danach den TXT-Eintrag unter {name} und den CNAME mta-sts.{domain} entfernen und den Haken bei Aktiv entfernen.',
  'tab.retire.button': 'Richtlinie zurückziehen (Modus none, neue ID)',
  'tab.retire.anyway': 'MTA-STS trotzdem abschalten',
  'tab.save': 'Änderungen speichern',
  'tab.check.button': 'DNS-Prüfung',
  'tab.check.help': 'Zeigt Eintrag für Eintrag, was im DNS stehen muss und was dort steht, und die aktuelle Richtlinien-ID.',
  'tab.records.currentId': 'Aktuelle Richtlinien-ID:',
  'tab.records.changed': '(geändert {time})',
  'tab.records.publish': 'Veröffentlichen Sie diese DNS-Einträge:',
  'tab.records.direct': 'Direkt veröffentlicht: Dieses Panel schreibt den _mta-sts-Eintrag bei jeder Änderung in die Zone der Domain.',
  'tab.records.delegated':
    'Delegiert: Veröffentlichen Sie diese beiden CNAME-Einträge einmalig; dieses Panel veröffentlicht die Richtlinien-ID bei jeder Änderung in seiner Zone {zone}.',
  'tab.records.caption': 'Zu veröffentlichende DNS-Einträge für {domain}',
  'tab.records.type': 'Typ',
  'tab.records.name': 'Name',
  'tab.records.value': 'Wert',
  'tab.records.dns': 'Veröffentlicht',
  'tab.records.dns.published': 'veröffentlicht',
  'tab.records.dns.pending': 'ausstehend',
  'tab.records.dns.differs': 'weicht ab',
  'tab.records.dnsAt': '{state} (geprüft {time})',
  'tab.records.zone': 'Als Zeilen für die Zonendatei',
  'tab.records.tlsrpt':
    'Ebenfalls empfohlen: ein TLS-RPT-Eintrag, damit sendende Server Ihnen fehlgeschlagene Zustellungen melden. Die DNS-Prüfung zeigt ein Beispiel.',
  'tab.copy': 'Kopieren',
  'tab.copy.name': '{type}-Name',
  'tab.copy.value': '{type}-Wert',
  'tab.copy.zone': 'Zeilen für die Zonendatei',
  'tab.copy.done': 'In die Zwischenablage kopiert: {what}.',
  'tab.copy.failed': 'Kopieren nicht möglich: Markieren Sie den Text und kopieren Sie ihn von Hand.',
  'tab.check.heading': 'Ergebnis der DNS-Prüfung',
  'tab.check.currentId': 'Aktuelle Richtlinien-ID:',
  'tab.check.noId': '(noch keine: Speichern Sie zuerst die Richtlinie)',
  'tab.check.checkedAt': 'geprüft {time}',
  'tab.check.caption': 'Ergebnis der DNS-Prüfung für {domain}',
  'tab.check.colCheck': 'Prüfung',
  'tab.check.colStatus': 'Status',
  'tab.check.colExpected': 'Erwartet',
  'tab.check.colFound': 'Gefunden',
  'tab.check.colAdvice': 'Was zu tun ist',
  'tab.check.summary': 'Übersicht: Fehler {error}, Warnung {warning}, Hinweis {info}, OK {ok}.',

  // ---- Meldungen ----------------------------------------------------------------------------
  'notice.invalid': 'Nichts wurde gespeichert: Korrigieren Sie die unten markierten Felder.',
  'notice.conflict':
    'Nichts wurde gespeichert: Eine andere Administratorin oder ein anderer Administrator hat diese Richtlinie um {time} geändert, während Sie sie bearbeitet haben. Ihre Werte bleiben in den Feldern; die gespeicherten Werte stehen daneben.',
  'notice.saved': 'Gespeichert. Die neue Richtlinien-ID ist {id}: Veröffentlichen Sie die DNS-Einträge unten.',
  'notice.unchanged': 'Nichts hat sich geändert, daher bleibt die Richtlinien-ID {id}.',
  'notice.noIdYet': '(noch keine)',
  'notice.skippedTesting':
    'Sie sind direkt von none zu enforce gewechselt. Die Anleitung (Schritt 4) empfiehlt, zuerst testing zu verwenden: Im Modus enforce lässt ein Fehler sendende Server E-Mails verweigern, im Modus testing melden sie ihn nur.',
  'notice.confirmOff':
    'Noch nicht gespeichert: Schalten Sie MTA-STS jetzt ab, wenden sendende Server die zwischengespeicherte Richtlinie noch bis zu {duration} an. Ziehen Sie die Richtlinie stattdessen zurück oder schalten Sie sie trotzdem ab (unten).',
  'notice.retired':
    'Die Richtlinie wird zurückgezogen: Der Modus none wird mit der neuen ID {id} ausgeliefert. Veröffentlichen Sie jetzt den neuen TXT-Eintrag unten. Liefern Sie sie mindestens bis {date} weiter aus; entfernen Sie danach den TXT-Eintrag und den CNAME und den Haken bei Aktiv.',
  'notice.retiring':
    'Diese Richtlinie ist im Modus none: Sendende Server, die sie abrufen, verwerfen die zwischengespeicherte Richtlinie. Wenn Sie MTA-STS zurückziehen, liefern Sie sie mindestens für das längste maximale Alter weiter aus, das Sie vorher verwendet haben (gerechnet ab {time}); entfernen Sie danach die DNS-Einträge und den Haken bei Aktiv.',
  'notice.filledMx':
    'Die MX-Einträge wurden aus dem DNS übernommen. Prüfen Sie sie und klicken Sie dann auf Änderungen speichern: Noch ist nichts gespeichert.',
  'notice.noMxToFill': 'Das DNS lieferte keine MX-Hosts zum Übernehmen.',
  'notice.rateLimited': 'Zu viele DNS-Prüfungen: höchstens {limit} alle {window} Sekunden. Versuchen Sie es in {seconds} Sekunden erneut.',
  'notice.checksBusy': 'Gerade laufen zu viele DNS-Prüfungen (höchstens {limit} gleichzeitig). Versuchen Sie es in {seconds} Sekunden erneut.',
  'notice.savedHostInactive':
    'Gespeichert mit der Richtlinien-ID {id}, aber das Panel markiert diese Domain als inaktiv, daher wird nichts ausgeliefert, bis sie wieder aktiv ist. Aktivieren Sie die Domain im Panel und veröffentlichen Sie dann die DNS-Einträge unten.',
  'notice.hostInactive': 'MTA-STS ist aktiv, aber die Domain selbst ist im Panel inaktiv: Für sie wird keine Richtliniendatei ausgeliefert.',
  'notice.invalidStored':
    'Die gespeicherten MTA-STS-Einstellungen sind ungültig (außerhalb des Panels bearbeitet?): Bis sie erneut gespeichert werden, wird keine Richtliniendatei ausgeliefert.',
  'tab.mx.reported.one':
    'Im Modus testing melden sendende Server Fehler für {hosts}: Kein MX-Eintrag passt zu diesem Host. Nehmen Sie ihn in die MX-Einträge auf, bevor Sie zu enforce wechseln, sonst werden E-Mails an ihn abgewiesen.',
  'tab.mx.reported.other':
    'Im Modus testing melden sendende Server Fehler für {hosts}: Kein MX-Eintrag passt zu diesen Hosts. Nehmen Sie sie in die MX-Einträge auf, bevor Sie zu enforce wechseln, sonst werden E-Mails an sie abgewiesen.',
  // ---- Fehlerseiten ----
  'error.title': 'Fehler {status}',
  'error.internal': 'Auf dem Server ist ein Fehler aufgetreten; er wurde protokolliert.',
  'error.csrf': 'Das Formular ist abgelaufen oder stammt nicht aus diesem Panel (ungültiges CSRF-Token). Laden Sie die Seite neu und versuchen Sie es erneut.',
  'error.badJson': 'Der Inhalt der Anfrage ist kein gültiges JSON.',
  'error.tooLarge': 'Der Inhalt der Anfrage ist zu groß.',
  'error.unsupportedEncoding': 'Die Kodierung des Inhalts der Anfrage wird nicht unterstützt.',
  'error.badRequest': 'Die Anfrage konnte nicht verarbeitet werden.',
  'error.databaseUnavailable':
    'Datenbank nicht erreichbar: Das Panel erreicht seine Datenbank gerade nicht, daher kann diese Seite nicht angezeigt werden. Bereits veröffentlichte Richtliniendateien werden weiter ausgeliefert. Versuchen Sie es gleich noch einmal.',
  'error.saveUnavailable':
    'Datenbank nicht erreichbar: Nichts wurde gespeichert, die Richtlinie und ihre ID sind unverändert. Versuchen Sie es gleich noch einmal.',
  'error.saveBusy':
    'Die Datenbank ist ausgelastet: Eine andere Änderung dieser Domain hält sie gerade fest, daher wurde nichts gespeichert; die Richtlinie und ihre ID sind unverändert. Versuchen Sie es gleich noch einmal.',
  'error.saveFailed':
    'Nichts wurde gespeichert: Die Datenbank hat einen Fehler gemeldet (Einzelheiten stehen im Server-Protokoll). Die Richtlinie und ihre ID sind unverändert.',
  'error.saveUnknown':
    'Die Datenbankverbindung ist beim Abschluss des Speicherns abgebrochen; es ist daher unklar, ob gespeichert wurde. Laden Sie die Seite neu, um die aktuelle Richtlinie zu sehen, bevor Sie es erneut versuchen.',
  'error.unauthenticated': 'Melden Sie sich als Administrator an, um MTA-STS zu verwalten.',
  'error.forbidden': 'Sie dürfen MTA-STS nicht verwalten.',
  'error.noSuchDomain': 'Diese Domain gibt es in diesem Panel nicht.',
  'error.noSuchPage': 'Diese MTA-STS-Seite gibt es nicht.',
  'error.dnsCheckLimited': 'Zu viele DNS-Prüfungen: höchstens {limit} alle {window} Sekunden. Versuchen Sie es in {seconds} Sekunden erneut.',
  'error.dnsCheckBusy': 'Gerade laufen zu viele DNS-Prüfungen (höchstens {limit} gleichzeitig). Versuchen Sie es in {seconds} Sekunden erneut.',
  'error.tooManyFields': 'Das Formular hat zu viele Felder (höchstens {limit}); nichts wurde gespeichert.',

  'error.badForm': 'Dem Formular fehlt sein Feld revision; laden Sie die Seite neu und versuchen Sie es erneut.',
  // ---- TLS reporting (./reports-de.ts) ----
  ...REPORTS_DE,
  ...REPORT_FILES_DE,
  ...OVERVIEW_DE,
  // ---- Issue 15: saving, conflicts, expired logins, folding ----
  'notice.restored':
    'Ihre Werte aus dem Formular, das nicht gespeichert werden konnte, sind eingetragen. Noch ist nichts gespeichert: Prüfen Sie sie und drücken Sie dann Änderungen speichern.',
  'tab.conflict.heading': 'Eine andere Administratorin oder ein anderer Administrator hat diese Richtlinie um {time} gespeichert',
  'tab.conflict.caption': 'Ihre Werte (im Formular) neben den jetzt gespeicherten Werten',
  'tab.conflict.field': 'Feld',
  'tab.conflict.yours': 'Ihre (im Formular)',
  'tab.conflict.theirs': 'Jetzt gespeichert',
  'tab.conflict.differs': 'anders',
  'tab.conflict.same': 'gleich',
  'tab.conflict.save': 'Meine Werte darüber speichern',
  'tab.conflict.discard': 'Meine Werte verwerfen und die gespeicherten zeigen',
  'tab.conflict.yes': 'ja',
  'tab.conflict.no': 'nein',
  'resend.title': 'Nicht gespeichert',
  'resend.expiredLogin': 'Nichts wurde gespeichert: Ihre Anmeldung ist abgelaufen, oder das Panel wurde neu gestartet. Ihre Werte stehen unten.',
  'resend.expiredForm':
    'Nichts wurde gespeichert: Dieses Formular war abgelaufen oder kam nicht von diesem Panel (ungültiges CSRF-Token; das Panel wurde neu gestartet, oder Sie haben sich neu angemeldet). Ihre Werte stehen unten: Prüfen Sie, ob es Ihre sind.',
  'resend.login': 'Neu anmelden (öffnet einen neuen Tab)',
  'resend.loginNoLink': 'Melden Sie sich in einem anderen Tab dieses Browsers neu an.',
  'resend.then': 'Tragen Sie dann Ihre Werte wieder in das Formular ein, prüfen Sie sie und drücken Sie dort Änderungen speichern:',
  'resend.restore': 'Meine Werte wieder in das Formular eintragen',
  'resend.yes': 'ja',
  'resend.no': 'nein',
  'tab.notices.more.one': 'und 1 weiterer Hinweis',
  'tab.notices.more.other': 'und {count} weitere Hinweise',
  'tab.help.label': 'Hilfe: {field}',
  'tab.mode.brief': 'Was sendende Server tun, wenn TLS zu Ihren MX-Hosts scheitert. Beginnen Sie mit testing.',
  'tab.maxAge.brief': 'Wie lange sendende Server die Richtlinie zwischenspeichern, in Sekunden.',
  'tab.mx.brief': 'Die Hostnamen Ihrer MX-Server, durch Kommas getrennt.',
  'tab.mx.aLabels': 'In DNS-Form (A-Labels) gespeichert: {entries}',
  'tab.check.passed.one': '{count} Prüfung ohne Probleme',
  'tab.check.passed.other': '{count} Prüfungen ohne Probleme',
  'tab.check.captionPassing': 'Prüfungen ohne Probleme, {domain}',
  'tab.check.problems': 'Zu beachten',
  // CAA (Issue 11): wer das Zertifikat für mta-sts.<Domain> ausstellen darf.
  'dns.title.caa': 'CAA (wer das Zertifikat ausstellen darf)',
  'dns.caa.expected': 'kein CAA-Eintrag bei {host} oder darüber, oder einer, der Ihre Zertifizierungsstelle zulässt',
  'dns.caa.expectedCa': 'kein CAA-Eintrag bei {host} oder darüber, oder einer mit issue "{ca}"',
  'dns.caa.foundNone': 'kein CAA-Eintrag bei {host} oder einer übergeordneten Domain',
  'dns.caa.none': 'Kein CAA-Eintrag schränkt ein, wer das Zertifikat für {host} ausstellen darf: jede Zertifizierungsstelle darf es, auch die ACME-Stelle.',
  'dns.caa.noIssue': 'Die CAA-Einträge bei {name} haben keinen issue-Eintrag und schränken daher nicht ein, wer das Zertifikat für {host} ausstellt.',
  'dns.caa.present':
    'Die CAA-Einträge bei {name} erlauben nur {issuers}, das Zertifikat für {host} auszustellen: Stellen Sie sicher, dass Ihre Zertifizierungsstelle darunter ist, sonst scheitert die Bestellung.',
  'dns.caa.allows': 'Die CAA-Einträge bei {name} erlauben {ca}, das Zertifikat für {host} auszustellen.',
  'dns.caa.forbids':
    'Die CAA-Einträge bei {name} erlauben nur {issuers}, nicht {ca}: Die Zertifikatsbestellung für {host} wird scheitern. Fügen Sie {name} CAA 0 issue "{ca}" hinzu oder entfernen Sie die Einträge.',
  'dns.caa.noCa': 'überhaupt keine Zertifizierungsstelle',
  'dns.https.acme.issued': 'Eingebauter ACME-Client: Zertifikat ausgestellt, gültig bis {date}',
  'dns.https.acme.failed': 'Eingebauter ACME-Client: Die letzte Bestellung ist gescheitert ({reason}); nächster Versuch am {next}',
  'dns.https.acme.skipped': 'Eingebauter ACME-Client: nicht bestellt, {reason}',
  'dns.https.acme.pending': 'Eingebauter ACME-Client: noch nicht bestellt',
  // ---- Scheduled checks' alerts (./alerts-de.ts) ----
  ...ALERTS_DE,
  ...PUBLISH_DE,
};
