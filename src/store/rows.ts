// Reading cells of Knex rows. A driver answers a cell as a string, a number (or bigint), a boolean,
// a Buffer (MariaDB binary columns, BIT(1) flags) or null, depending on the database and the
// column type; Knex types every row `any`. Rows are therefore `Row` here, and every cell is read
// through one of these readers, which decode each of those forms the same way and refuse anything
// else (an object would otherwise turn into "[object Object]" and be stored or shown as such).

/** One row as a driver answers it: cell values of unknown type, by column name. */
export type Row = Record<string, unknown>;

/** A cell as text: '' for null/undefined; strings, numbers, bigints, booleans and Buffers decoded. */
export function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  throw new TypeError(`a database cell holds ${Object.prototype.toString.call(value)} where text was expected`);
}

/** A cell as text, or null when the cell is null (or absent). */
export function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}

/** A flag cell: host tables store flags as 1/0, '1'/'0', true/false or BIT(1) buffers. */
export function flag(value: unknown): boolean {
  if (value instanceof Uint8Array) return value.some((byte) => byte !== 0);
  return value === true || value === 1 || value === '1' || value === 'true' || value === 1n;
}
