import assert from 'node:assert/strict';
import { flag, nullableText, text } from '../../src/store/rows';

describe('row cells (src/store/rows.ts)', () => {
  it('reads text the way each driver answers it', () => {
    assert.equal(text('example.org'), 'example.org');
    assert.equal(text(86400), '86400');
    assert.equal(text(12n), '12');
    assert.equal(text(Buffer.from('mx1.example.org', 'utf8')), 'mx1.example.org');
    assert.equal(text(new Uint8Array([0x61, 0x62])), 'ab');
    assert.equal(text(null), '');
    assert.equal(text(undefined), '');
  });

  it('keeps null apart from the empty string where a cell may be NULL', () => {
    assert.equal(nullableText(null), null);
    assert.equal(nullableText(undefined), null);
    assert.equal(nullableText(''), '');
    assert.equal(nullableText(Buffer.from('id1')), 'id1');
  });

  it('refuses an object instead of storing "[object Object]"', () => {
    assert.throws(() => text({ a: 1 }), /\[object Object\] where text was expected/);
    assert.throws(() => nullableText(new Date(0)), /\[object Date\] where text was expected/);
  });

  it('reads flags as the host tables store them', () => {
    for (const on of [true, 1, '1', 'true', 1n, Buffer.from([1])]) assert.equal(flag(on), true, `${String(on)} is on`);
    for (const off of [false, 0, '0', 'false', 0n, Buffer.from([0]), null, undefined, 'yes']) assert.equal(flag(off), false, `${String(off)} is off`);
  });
});
