import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  base64urlToBytes,
  bigintToBytes,
  bytesToBase64url,
  bytesToBigint,
  bytesToHex,
  hexToBytes,
  randomBytes,
  timingSafeEqual,
} from './bytes.ts';
import { isE2eeError } from './errors.ts';

describe('byte encodings', () => {
  it('base64url matches the platform encoder for every length up to 40', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = randomBytes(n);
      const text = bytesToBase64url(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64url'));
      assert.deepEqual(base64urlToBytes(text), bytes);
    }
  });

  it('base64url refuses foreign characters, impossible lengths and stray bits', () => {
    assert.throws(
      () => base64urlToBytes('ab+c'),
      (e) => isE2eeError(e, 'BAD_BASE64URL'),
    );
    assert.throws(
      () => base64urlToBytes('abcde'),
      (e) => isE2eeError(e, 'BAD_BASE64URL'),
    );
    assert.throws(
      () => base64urlToBytes('AB'),
      (e) => isE2eeError(e, 'BAD_BASE64URL'),
    );
  });

  it('hex round-trips and refuses odd lengths or non-hex', () => {
    assert.equal(bytesToHex(hexToBytes('00ffA0')), '00ffa0');
    assert.throws(
      () => hexToBytes('abc'),
      (e) => isE2eeError(e, 'BAD_HEX'),
    );
    assert.throws(
      () => hexToBytes('zz'),
      (e) => isE2eeError(e, 'BAD_HEX'),
    );
  });

  it('bigint conversion keeps all 64 bits', () => {
    const max = (1n << 64n) - 1n;
    assert.equal(bytesToHex(bigintToBytes(max, 8)), 'ffffffffffffffff');
    assert.equal(bytesToBigint(bigintToBytes(max - 1n, 8)), max - 1n);
    assert.throws(
      () => bigintToBytes(1n << 64n, 8),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => bigintToBytes(-1n, 8),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
  });

  it('timingSafeEqual compares content and length', () => {
    assert.ok(timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)));
    assert.ok(!timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)));
    assert.ok(!timingSafeEqual(Uint8Array.of(1), Uint8Array.of(1, 2)));
  });
});
