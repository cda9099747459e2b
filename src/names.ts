// How a DNS name is spelled for comparison: one rule for the resolver (names in answers) and the
// policy rules (MX patterns, host names), in a module of its own so neither room imports the other.

/**
 * A DNS name as compared on the wire and in answers: trimmed, lower case, no trailing dot. No
 * validation (answers may hold anything); see policy's toALabel for that.
 */
export function normalizeHost(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
