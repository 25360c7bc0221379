import { type Bytes, bufferSource, concatBytes } from './bytes.ts';
import { E2eeError } from './errors.ts';

export type HashName = 'SHA-256' | 'SHA-512';

const HASH_LENGTH: Record<HashName, number> = { 'SHA-256': 32, 'SHA-512': 64 };

export function hashLength(hash: HashName): number {
  return HASH_LENGTH[hash];
}

export async function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Bytes> {
  const subtle = globalThis.crypto.subtle;
  // An empty HMAC key is valid (RFC 2104) but WebCrypto refuses it; zero-padding to the block
  // size is what HMAC does with short keys anyway, so one zero byte is equivalent.
  const keyBytes = key.length === 0 ? new Uint8Array(1) : key;
  const cryptoKey = await subtle.importKey('raw', bufferSource(keyBytes), { name: 'HMAC', hash }, false, [
    'sign',
  ]);
  return new Uint8Array(await subtle.sign('HMAC', cryptoKey, bufferSource(data)));
}

/** HKDF-Extract (RFC 5869 §2.2). An empty salt means HashLen zero bytes. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Promise<Bytes> {
  return hmac(hash, salt.length === 0 ? new Uint8Array(HASH_LENGTH[hash]) : salt, ikm);
}

/** HKDF-Expand (RFC 5869 §2.3). */
export async function hkdfExpand(
  hash: HashName,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Bytes> {
  const hashLen = HASH_LENGTH[hash];
  if (!Number.isInteger(length) || length <= 0 || length > 255 * hashLen) {
    throw new E2eeError('INVALID_ARGUMENT', 'HKDF-Expand length out of range');
  }
  const subtle = globalThis.crypto.subtle;
  const key = await subtle.importKey('raw', bufferSource(prk), { name: 'HMAC', hash }, false, ['sign']);
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++) {
    const block = new Uint8Array(
      await subtle.sign('HMAC', key, concatBytes(previous, info, Uint8Array.of(i))),
    ) as Bytes;
    out.set(block.subarray(0, Math.min(hashLen, length - offset)), offset);
    offset += hashLen;
    previous = block;
  }
  return out;
}
