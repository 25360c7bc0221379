import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hkdfExpand, hkdfExtract, hmacSha256, sha256 } from './sha256.ts';

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + 3) & 0xff);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('SHA-256 / HMAC / HKDF', () => {
  it('hashes the FIPS 180-4 examples', () => {
    assert.equal(
      hex(sha256(new Uint8Array())),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal(
      hex(sha256(new TextEncoder().encode('abc'))),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('matches @noble/hashes for every length around the block and padding edges', () => {
    for (let n = 0; n <= 200; n++)
      assert.equal(hex(sha256(bytes(n, n))), hex(nobleSha256(bytes(n, n))), `length ${n}`);
    assert.equal(hex(sha256(bytes(70000, 1))), hex(nobleSha256(bytes(70000, 1))));
  });

  it('matches @noble/hashes HMAC for short, block-sized and long keys, also when a key array is reused', () => {
    for (const keyLength of [0, 1, 32, 63, 64, 65, 100]) {
      const key = bytes(keyLength, keyLength);
      for (const n of [0, 31, 55, 56, 64, 119, 120, 300]) {
        assert.equal(hex(hmacSha256(key, bytes(n, 2))), hex(hmac(nobleSha256, key, bytes(n, 2))));
      }
    }
    // A key array overwritten in place must not hit the cached schedule of its old bytes.
    const key = bytes(32, 9);
    const first = hmacSha256(key, bytes(10, 1));
    key.fill(0);
    assert.equal(
      hex(hmacSha256(key, bytes(10, 1))),
      hex(hmac(nobleSha256, new Uint8Array(32), bytes(10, 1))),
    );
    assert.notEqual(hex(first), hex(hmacSha256(key, bytes(10, 1))));
  });

  it('stays correct when more keys are used than its schedule cache holds', () => {
    const keys = Array.from({ length: 9000 }, (_, i) => bytes(32, i));
    const data = bytes(20, 1);
    const firstPass = keys.map((k) => hex(hmacSha256(k, data)));
    for (const i of [0, 1, 4000, 8191, 8192, 8999]) {
      assert.equal(firstPass[i], hex(hmac(nobleSha256, keys[i]!, data)));
      assert.equal(hex(hmacSha256(keys[i]!, data)), firstPass[i]);
    }
    keys[8999]!.fill(7);
    assert.equal(
      hex(hmacSha256(keys[8999]!, data)),
      hex(hmac(nobleSha256, new Uint8Array(32).fill(7), data)),
    );
  });

  it('matches @noble/hashes HKDF extract and expand (RFC 5869 test case 1 included)', () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    const salt = Uint8Array.from({ length: 13 }, (_, i) => i);
    const info = Uint8Array.from({ length: 10 }, (_, i) => 0xf0 + i);
    const prk = hkdfExtract(salt, ikm);
    assert.equal(hex(prk), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    assert.equal(
      hex(hkdfExpand(prk, info, 42)),
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
    for (const length of [1, 16, 32, 33, 64, 100]) {
      assert.equal(
        hex(hkdfExpand(prk, bytes(40, 1), length)),
        hex(expand(nobleSha256, prk, bytes(40, 1), length)),
      );
    }
    assert.equal(hex(hkdfExtract(new Uint8Array(), bytes(32, 1))), hex(extract(nobleSha256, bytes(32, 1))));
  });
});
