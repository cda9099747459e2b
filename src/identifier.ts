// The one rule for a table or column name the plugin writes into SQL by name (the host's domain
// table and columns, the alias table, the migrations table, mailcow's MTA-STS table): the
// options, the command's settings and the mailcow import all check it here. Knex quotes every
// name, but a name that is letters, digits and underscores needs no quoting on any of the three
// databases, and cannot smuggle anything into a statement.

/** A table or column name: a letter or underscore, then letters, digits and underscores; 64 characters at most (MariaDB's limit). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The start of a table name: the prefix of the plugin's own tables, 40 characters at most, so
 * that the prefix with the longest name after it (`acme_certificates`) stays within 64.
 */
const TABLE_PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/** What an identifier may be, for error messages. */
export const IDENTIFIER_RULE = 'letters, digits, underscores; 1-64 characters';

export function isIdentifier(value: string): boolean {
  return IDENTIFIER.test(value);
}

export function isTablePrefix(value: string): boolean {
  return TABLE_PREFIX.test(value);
}
