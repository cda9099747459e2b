// How deep a report's JSON nests, checked before any parsing builds it (text) or reading walks it
// (a value a host passed already parsed): a hostile report costs one linear pass, never a deep tree.

/**
 * How deep JSON text nests, counted without parsing it, stopping as soon as `limit` is passed:
 * the depth is checked before JSON.parse builds anything.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** The same for an already parsed value, stopping as soon as `limit` is passed. */
export function valueDepthExceeds(value: unknown, limit: number, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth + 1 > limit) return true;
  for (const child of Object.values(value)) if (valueDepthExceeds(child, limit, depth + 1)) return true;
  return false;
}
