import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToHex, hexToBytes, randomBytes } from '../bytes.ts';
import { isE2eeError } from '../errors.ts';
import { importAeadKey } from './aead.ts';
import { decodeHeader, encodeHeader, headerLength } from './header.ts';
import { deriveSFrameKey, importSFrameKey } from './key-derivation.ts';
import { sframeDecrypt, sframeEncrypt } from './sframe.ts';
import { CipherSuite, suiteParams } from './suites.ts';

const U64_MAX = (1n << 64n) - 1n;

describe('SFrame header codec', () => {
  it('accepts non-minimal encodings written by other implementations', () => {
    // X=1, K=0: KID 5 in one extra byte; Y=1, C=1: CTR 7 in two extra bytes
    assert.deepEqual(decodeHeader(hexToBytes('890500' + '07')), { kid: 5n, ctr: 7n, length: 4 });
  });

  it('reports truncated headers as bad headers', () => {
    for (const hex of ['', '80', '0a0102', 'f8ffffffffffffff']) {
      assert.throws(
        () => decodeHeader(hexToBytes(hex)),
        (e) => isE2eeError(e, 'SFRAME_BAD_HEADER'),
        hex,
      );
    }
  });

  it('refuses KID or CTR outside 64 bits or negative', () => {
    assert.throws(
      () => encodeHeader(U64_MAX + 1n, 0n),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => encodeHeader(0n, -1n),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => encodeHeader(0n, 1 as unknown as bigint),
      (e) => isE2eeError(e, 'INVALID_ARGUMENT'),
    );
  });

  it('computes the header length without encoding', () => {
    assert.equal(headerLength(0n, 0n), 1);
    assert.equal(headerLength(U64_MAX, U64_MAX), 17);
    assert.equal(headerLength(8n, 256n), 4);
  });
});

describe('SFrame encryption', () => {
  it('round-trips under every suite with an empty and a large payload', async () => {
    for (const suite of Object.values(CipherSuite)) {
      const key = await deriveSFrameKey(suite, randomBytes(16), 0xabcdefn);
      for (const size of [0, 40_000]) {
        const pt = randomBytes(size);
        const ct = await sframeEncrypt(key, U64_MAX, Uint8Array.of(7), pt);
        assert.equal(ct.length, 1 + 3 + 8 + size + suiteParams(suite).nt);
        assert.deepEqual((await sframeDecrypt(key, Uint8Array.of(7), ct)).plaintext, pt);
      }
    }
  });

  it('detects a flipped bit in header, ciphertext or tag for CTR+HMAC and GCM suites', async () => {
    for (const suite of [CipherSuite.AES_128_CTR_HMAC_SHA256_32, CipherSuite.AES_128_GCM_SHA256_128]) {
      const key = await deriveSFrameKey(suite, randomBytes(16), 3n);
      const ct = await sframeEncrypt(key, 9n, new Uint8Array(0), randomBytes(20));
      for (const index of [0, 5, ct.length - 1]) {
        const bad = Uint8Array.from(ct);
        bad[index]! ^= 0x01;
        await assert.rejects(
          sframeDecrypt(key, new Uint8Array(0), bad),
          (e) => isE2eeError(e) && (e.code === 'SFRAME_AUTH_FAILED' || e.code === 'SFRAME_UNKNOWN_KEY'),
        );
      }
    }
  });

  it('refuses a ciphertext whose KID does not match the key, and one shorter than the tag', async () => {
    const key = await deriveSFrameKey(CipherSuite.AES_128_GCM_SHA256_128, randomBytes(16), 3n);
    const other = await deriveSFrameKey(CipherSuite.AES_128_GCM_SHA256_128, randomBytes(16), 4n);
    const ct = await sframeEncrypt(other, 0n, new Uint8Array(0), randomBytes(5));
    await assert.rejects(sframeDecrypt(key, new Uint8Array(0), ct), (e) =>
      isE2eeError(e, 'SFRAME_UNKNOWN_KEY'),
    );
    await assert.rejects(sframeDecrypt(other, new Uint8Array(0), ct.subarray(0, 10)), (e) =>
      isE2eeError(e, 'SFRAME_TRUNCATED'),
    );
  });

  it('finds keys through a lookup by KID', async () => {
    const keys = new Map([
      [1n, await deriveSFrameKey(4, randomBytes(16), 1n)],
      [2n, await deriveSFrameKey(4, randomBytes(16), 2n)],
    ]);
    const ct = await sframeEncrypt(keys.get(2n)!, 5n, new Uint8Array(0), Uint8Array.of(1, 2));
    const out = await sframeDecrypt((kid) => keys.get(kid)!, new Uint8Array(0), ct);
    assert.equal(bytesToHex(out.plaintext), '0102');
    assert.equal(out.kid, 2n);
  });

  it('refuses unknown suites and wrong key or salt lengths', async () => {
    await assert.rejects(deriveSFrameKey(6, randomBytes(16), 1n), (e) =>
      isE2eeError(e, 'SFRAME_UNSUPPORTED_SUITE'),
    );
    await assert.rejects(importAeadKey(4, randomBytes(32)), (e) => isE2eeError(e, 'SFRAME_BAD_KEY'));
    await assert.rejects(importAeadKey(1, randomBytes(16)), (e) => isE2eeError(e, 'SFRAME_BAD_KEY'));
    await assert.rejects(importSFrameKey(4, 1n, randomBytes(16), randomBytes(8)), (e) =>
      isE2eeError(e, 'SFRAME_BAD_KEY'),
    );
    await assert.rejects(deriveSFrameKey(4, new Uint8Array(0), 1n), (e) => isE2eeError(e, 'SFRAME_BAD_KEY'));
    await assert.rejects(deriveSFrameKey(4, randomBytes(16), 1n << 64n), (e) =>
      isE2eeError(e, 'SFRAME_BAD_KID'),
    );
  });
});
