import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSFrameVectors } from '../../test/fixtures/node.ts';
import { bytesToHex, hexToBytes } from '../bytes.ts';
import { importCtrHmacAeadKey } from './aead.ts';
import { decodeHeader, encodeHeader } from './header.ts';
import {
  deriveSFrameKeyMaterial,
  importSFrameKey,
  sframeKeyLabel,
  sframeSaltLabel,
} from './key-derivation.ts';
import { sframeDecrypt, sframeEncrypt, sframeNonce } from './sframe.ts';
import { suiteParams } from './suites.ts';

const vectors = loadSFrameVectors();

describe('RFC 9605 header vectors', () => {
  it('the fixture holds all 289 header cases', () => {
    assert.equal(vectors.header.length, 289);
  });

  for (const v of vectors.header) {
    it(`KID ${v.kid} CTR ${v.ctr} encodes to ${v.encoded} and decodes back`, () => {
      assert.equal(bytesToHex(encodeHeader(v.kid, v.ctr)), v.encoded);
      const bytes = hexToBytes(v.encoded + 'abcd'); // trailing payload must be ignored
      assert.deepEqual(decodeHeader(bytes), { kid: v.kid, ctr: v.ctr, length: v.encoded.length / 2 });
    });
  }
});

describe('RFC 9605 AES-CTR+HMAC AEAD vectors', () => {
  const cases = [
    ...vectors.aes_ctr_hmac.map((v) => ({ v, enc: 16, hash: 'SHA-256' as const })),
    // AES-256 / SHA-512 variants in the fixture exercise the same construction with bigger keys
    ...vectors.aes_256_ctr_hmac.map((v) => ({ v, enc: 32, hash: 'SHA-512' as const })),
  ];
  const TAG: Record<number, number> = { 1: 10, 2: 8, 3: 4, 6: 10, 7: 8, 8: 4 };
  for (const { v, enc, hash } of cases) {
    it(`suite ${v.cipher_suite} seals and opens the vector`, async () => {
      assert.equal(v.key, v.enc_key + v.auth_key);
      const key = await importCtrHmacAeadKey(hexToBytes(v.key), enc, hash, TAG[v.cipher_suite]!);
      const nonce = hexToBytes(v.nonce);
      const aad = hexToBytes(v.aad);
      assert.equal(bytesToHex(await key.seal(nonce, aad, hexToBytes(v.pt))), v.ct);
      assert.equal(bytesToHex(await key.open(nonce, aad, hexToBytes(v.ct))), v.pt);
    });
  }
});

describe('RFC 9605 SFrame encryption vectors', () => {
  it('the fixture covers suites 1 to 5', () => {
    assert.deepEqual(
      vectors.sframe.map((v) => v.cipher_suite),
      [1, 2, 3, 4, 5],
    );
  });

  for (const v of vectors.sframe) {
    const name = suiteParams(v.cipher_suite).name;
    it(`${name}: labels, secret, key and salt match`, async () => {
      assert.equal(bytesToHex(sframeKeyLabel(v.kid, v.cipher_suite)), v.sframe_key_label);
      assert.equal(bytesToHex(sframeSaltLabel(v.kid, v.cipher_suite)), v.sframe_salt_label);
      const m = await deriveSFrameKeyMaterial(v.cipher_suite, hexToBytes(v.base_key), v.kid);
      assert.equal(bytesToHex(m.secret), v.sframe_secret);
      assert.equal(bytesToHex(m.key), v.sframe_key);
      assert.equal(bytesToHex(m.salt), v.sframe_salt);
      assert.equal(bytesToHex(sframeNonce(m.salt, v.ctr)), v.nonce);
    });

    it(`${name}: encrypts to the vector ciphertext and decrypts it`, async () => {
      const key = await importSFrameKey(
        v.cipher_suite,
        v.kid,
        hexToBytes(v.sframe_key),
        hexToBytes(v.sframe_salt),
      );
      const metadata = hexToBytes(v.metadata);
      const ct = await sframeEncrypt(key, v.ctr, metadata, hexToBytes(v.pt));
      assert.equal(bytesToHex(ct), v.ct);
      assert.ok(v.aad.startsWith(bytesToHex(encodeHeader(v.kid, v.ctr))));
      const out = await sframeDecrypt(key, metadata, hexToBytes(v.ct));
      assert.equal(bytesToHex(out.plaintext), v.pt);
      assert.equal(out.kid, v.kid);
      assert.equal(out.ctr, v.ctr);
    });
  }
});
