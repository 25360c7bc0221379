import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesEqual, concatBytes, fromBase64Url, isAllZero, publicBytesEqual, toHex } from './bytes.ts';

describe('byte helpers', () => {
  it('compare equal and unequal arrays at any alignment', () => {
    const base = Uint8Array.from({ length: 103 }, (_, i) => i);
    for (const offset of [0, 1, 2, 3, 4]) {
      const a = new Uint8Array(200);
      a.set(base, offset);
      const view = a.subarray(offset, offset + base.length);
      assert.ok(publicBytesEqual(view, base));
      assert.ok(bytesEqual(view, base));
      for (const at of [0, 50, 101, 102]) {
        const other = base.slice();
        other[at] = other[at]! ^ 1;
        assert.equal(publicBytesEqual(view, other), false);
        assert.equal(bytesEqual(view, other), false);
      }
    }
    assert.equal(publicBytesEqual(new Uint8Array(4), new Uint8Array(5)), false);
  });

  it('concatenate, detect zeros and convert encodings', () => {
    assert.deepEqual(
      [...concatBytes(new Uint8Array([1]), new Uint8Array(), new Uint8Array([2, 3]))],
      [1, 2, 3],
    );
    assert.ok(isAllZero(new Uint8Array(32)));
    assert.equal(isAllZero(new Uint8Array([0, 0, 1])), false);
    assert.equal(toHex(new Uint8Array([0, 15, 255])), '000fff');
    assert.deepEqual([...fromBase64Url('_-8')], [0xff, 0xef]);
  });
});
