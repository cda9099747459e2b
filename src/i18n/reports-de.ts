// German texts of TLS reporting: the same keys as ./reports-en.ts (a missing one is a compile error).
import type { REPORTS_EN } from './reports-en';

export const REPORTS_DE: { readonly [K in keyof typeof REPORTS_EN]: string } = {
  'field.rua.notList': 'Berichtsadressen müssen eine Liste von mailto:- oder https:-URIs sein, oder ein Text mit durch Kommas getrennten URIs',
  'field.rua.badUri': 'Berichtsadressen hat ein Problem: „{uri}“ ist weder eine mailto:-Adresse noch eine https:-URL',
  'field.rua.tooMany': 'Berichtsadressen hat ein Problem: höchstens {max} Adressen sind erlaubt',
  'field.rua.tooLong': 'Berichtsadressen hat ein Problem: der TLS-RPT-Eintrag wäre länger als {max} Zeichen',
};
