// No imports: the English catalogue (./en.ts) takes these sentences from here, and the JSON API
// answers with them as they are.
/**
 * Every sentence the plugin's error handling, database-outage handling and rate limiting shows to
 * people, in one place so that it can be translated. `{seconds}` is replaced with a number.
 */
export const ERROR_TEXTS = {
  internal: 'Something went wrong on the server; the error was logged.',
  csrf: 'The form has expired or did not come from this panel (invalid CSRF token). Reload the page and try again.',
  badJson: 'The request body is not valid JSON.',
  tooLarge: 'The request body is too large.',
  unsupportedEncoding: 'The request body encoding is not supported.',
  badRequest: 'The request could not be processed.',
  databaseUnavailable:
    'Database unavailable: the panel cannot reach its database right now, so this page cannot be shown. Policy files already published keep being served. Try again in a moment.',
  saveUnavailable: 'Database unavailable: nothing was saved, the policy and its id are unchanged. Try again in a moment.',
  saveBusy:
    'The database is busy: another change to this domain is holding it, so nothing was saved and the policy and its id are unchanged. Try again in a moment.',
  saveFailed: 'Nothing was saved: the database reported an error (the details are in the server log). The policy and its id are unchanged.',
  saveUnknown:
    'The database connection failed while the save was being committed, so it may or may not have been saved. Reload the page to see the current policy before trying again.',
  unauthenticated: 'Log in as an administrator to manage MTA-STS.',
  forbidden: 'You are not allowed to manage MTA-STS.',
  noSuchDomain: 'There is no such domain in this panel.',
  noSuchPage: 'There is no such MTA-STS page.',
  dnsCheckLimited: 'Too many DNS Checks: at most {limit} every {window} seconds. Try again in {seconds} seconds.',
  dnsCheckBusy: 'Too many DNS Checks are running right now (at most {limit} at once). Try again in {seconds} seconds.',
  tooManyFields: 'The form has too many fields (at most {limit}); nothing was saved.',
} as const;

export type ErrorTextKey = keyof typeof ERROR_TEXTS;
