// English texts of TLS reporting (RFC 8460): the rua setting, the reports page and the tab's
// reporting block. Kept apart from ./en.ts so that the feature's sentences stay together; the
// catalogue spreads them in, so they are ordinary keys (and ./reports-de.ts must have every one).
export const REPORTS_EN = {
  'field.rua.notList': 'Report addresses must be a list of mailto: or https: URIs, or one text with the URIs separated by commas',
  'field.rua.badUri': 'Report addresses has a problem: "{uri}" is not a mailto: address or an https: URL',
  'field.rua.tooMany': 'Report addresses has a problem: at most {max} addresses are allowed',
  'field.rua.tooLong': 'Report addresses has a problem: the TLS-RPT record would be longer than {max} characters',
} as const;
