/**
 * Hash, HMAC, HKDF and AES-128-GCM for suite 0x0001.
 *
 * MLS derives thousands of small secrets per epoch (the secret tree alone is ~4 HKDF calls per
 * tree node). Through WebCrypto each of those is a key import plus an async job; in pure JS
 * (@noble) they cost a few microseconds. Large inputs (a GroupInfo carrying a 1000-leaf ratchet
 * tree is ~200 KB) go to WebCrypto, where native code wins over the per-call overhead.
 */
import { gcm } from '@noble/ciphers/aes.js';
import type { Hash, Kdf } from 'ts-mls';
import { buf, bytesEqual } from './bytes.ts';
import { hkdfExpand, hkdfExtract, hmacSha256, sha256 } from './sha256.ts';

export { hmacSha256 };

const LARGE_HASH_INPUT = 16 * 1024;
const LARGE_AEAD_INPUT = 4 * 1024;

const subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle;

export async function digestSha256(data: Uint8Array): Promise<Uint8Array> {
  if (subtle !== undefined && data.length >= LARGE_HASH_INPUT) {
    return new Uint8Array(await subtle.digest('SHA-256', buf(data)));
  }
  return sha256(data);
}

export const sha256Hash: Hash = {
  digest: digestSha256,
  async mac(key, data) {
    return hmacSha256(key, data);
  },
  async verifyMac(key, mac, data) {
    return bytesEqual(mac, hmacSha256(key, data));
  },
};

export const extract = hkdfExtract;
export const expand = hkdfExpand;

export const hkdfSha256: Kdf = {
  async extract(salt, ikm) {
    return extract(salt, ikm);
  },
  async expand(prk, info, len) {
    return expand(prk, info, len);
  },
  size: 32,
};

async function importAesKey(key: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  return subtle!.importKey('raw', buf(key), { name: 'AES-GCM' }, false, [usage]);
}

export async function aesGcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  if (subtle !== undefined && plaintext.length >= LARGE_AEAD_INPUT) {
    const k = await importAesKey(key, 'encrypt');
    const params: AesGcmParams = { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad) };
    return new Uint8Array(await subtle.encrypt(params, k, buf(plaintext)));
  }
  return gcm(key, nonce, aad).encrypt(plaintext);
}

/** AEAD authentication failed: wrong key (e.g. wrong PSK) or tampered ciphertext. */
export class DecryptError extends Error {
  constructor(cause: unknown) {
    super('AES-GCM authentication failed', { cause });
    this.name = 'DecryptError';
  }
}

export async function aesGcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  try {
    if (subtle !== undefined && ciphertext.length >= LARGE_AEAD_INPUT) {
      const k = await importAesKey(key, 'decrypt');
      const params: AesGcmParams = { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad) };
      return new Uint8Array(await subtle.decrypt(params, k, buf(ciphertext)));
    }
    return gcm(key, nonce, aad).decrypt(ciphertext);
  } catch (e) {
    throw new DecryptError(e);
  }
}
