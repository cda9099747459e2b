// The intake token: the last segment of a domain's https rua (`<intakeUrl>/<token>`), which is
// how the public intake knows the domain a report is for. 128 random bits in base64url, so it
// cannot be guessed; the intake checks the shape before it asks the database, and the store
// makes new ones, both by this one rule.

/** Random bytes in a token: 128 bits. */
export const INTAKE_TOKEN_BYTES = 16;

/** base64url of 16 bytes: 22 characters, no padding. */
const INTAKE_TOKEN = /^[A-Za-z0-9_-]{22}$/;

/** The token made of these random bytes (INTAKE_TOKEN_BYTES of them). */
export function intakeToken(random: Buffer): string {
  if (random.length !== INTAKE_TOKEN_BYTES) throw new RangeError(`an intake token is made of ${INTAKE_TOKEN_BYTES} random bytes, got ${random.length}`);
  return random.toString('base64url');
}

/** Has this path segment the shape of an intake token? Anything else is answered 404 without a query. */
export function isIntakeToken(value: string): boolean {
  return INTAKE_TOKEN.test(value);
}
