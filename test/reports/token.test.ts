import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newToken } from '../../src/store/report-store';
import { INTAKE_TOKEN_BYTES, intakeToken, isIntakeToken } from '../../src/reports';

describe('the intake token (src/tlsrpt/token.ts)', () => {
  it('is what the store makes: 128 random bits, 22 base64url characters, a new one each time', () => {
    const made = Array.from({ length: 200 }, () => newToken());
    for (const token of made) assert.ok(isIntakeToken(token), token);
    assert.equal(new Set(made).size, made.length);
    assert.equal(Buffer.from(made[0], 'base64url').length, INTAKE_TOKEN_BYTES);
  });

  it('is refused by its shape before anything is looked up: a length off by one, padding, base64 rather than base64url', () => {
    const good = intakeToken(randomBytes(INTAKE_TOKEN_BYTES));
    assert.ok(isIntakeToken(good));
    for (const bad of [good.slice(1), `${good}A`, `${good}==`, `${good.slice(2)}+/`, '', `${good.slice(1)}.`, `../${good.slice(3)}`]) {
      assert.equal(isIntakeToken(bad), false, bad);
    }
  });

  it('is made of exactly its number of random bytes', () => {
    assert.throws(() => intakeToken(randomBytes(INTAKE_TOKEN_BYTES - 1)), RangeError);
    assert.throws(() => intakeToken(randomBytes(INTAKE_TOKEN_BYTES + 1)), RangeError);
  });
});
