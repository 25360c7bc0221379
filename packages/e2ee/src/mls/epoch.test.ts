import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSecurityCode } from './epoch.ts';

/** Independent reference: BigInt over the first 100 bits, then 25-bit groups. */
function referenceCode(bytes: Uint8Array): string {
  let v = 0n;
  for (const b of bytes.subarray(0, 13)) v = (v << 8n) | BigInt(b);
  v >>= 4n; // 104 bits read, keep the first 100
  const groups: string[] = [];
  for (let g = 3; g >= 0; g--)
    groups.push(String(Number((v >> BigInt(25 * g)) & 0x1ffffffn) % 100000).padStart(5, '0'));
  return groups.join(' ');
}

describe('security code', () => {
  it('maps 25-bit big-endian groups to 5 digits modulo 100000', () => {
    assert.equal(formatSecurityCode(new Uint8Array(32)), '00000 00000 00000 00000');
    assert.equal(formatSecurityCode(new Uint8Array(32).fill(0xff)), '54431 54431 54431 54431');
    // Only bit 24 set (last bit of group 0) and bit 25 set (first bit of group 1).
    const b = new Uint8Array(32);
    b[3] = 0x80 | 0x40;
    assert.equal(formatSecurityCode(b), '00001 77216 00000 00000');
  });

  it('agrees with an independent implementation and ignores bits after the first 100', () => {
    for (let seed = 0; seed < 50; seed++) {
      const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 97 + seed * 53 + 7) & 0xff);
      assert.equal(formatSecurityCode(bytes), referenceCode(bytes));
      const tail = bytes.slice();
      tail[12] = tail[12]! ^ 0x0f;
      tail[20] = tail[20]! ^ 0xff;
      assert.equal(formatSecurityCode(tail), formatSecurityCode(bytes));
    }
  });
});
