import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * A named random secret kept in `<prefix>server_secrets`: made on first start, read on every later
 * one, so that session cookies and form tokens signed before a restart stay valid after it.
 * Two servers starting at once both insert; the loser reads the winner's.
 */
export async function serverSecret(knex: Knex, table: string, name: string): Promise<string> {
  const read = async () => {
    const row = (await knex(table).where({ name }).first()) as Record<string, unknown> | undefined;
    return typeof row?.value === 'string' ? row.value : null;
  };
  const existing = await read();
  if (existing !== null) return existing;
  try {
    await knex(table).insert({ name, value: randomBytes(32).toString('hex') });
  } catch {
    // Another process inserted it first: theirs is the one.
  }
  const made = await read();
  if (made === null) throw new Error(`the secret "${name}" could not be stored in ${table}`);
  return made;
}
