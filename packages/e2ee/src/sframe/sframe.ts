import { type Bytes, concatBytes, U64_MAX } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import { decodeHeader, encodeHeader } from './header.ts';
import type { SFrameKey } from './key-derivation.ts';

/**
 * SFrame encryption and decryption (RFC 9605 §4.4.3, §4.4.4):
 *
 *   nonce      = sframe_salt XOR (CTR as big-endian, left-padded to Nn bytes)
 *   aad        = header || metadata
 *   ciphertext = header || AEAD.Encrypt(sframe_key, nonce, aad, plaintext)
 */

export function sframeNonce(salt: Uint8Array, ctr: bigint): Bytes {
  if (ctr < 0n || ctr > U64_MAX) throw new E2eeError('INVALID_ARGUMENT', 'CTR must be in [0, 2^64)');
  const nonce = Uint8Array.from(salt);
  let v = ctr;
  for (let i = nonce.length - 1; i >= 0 && v !== 0n; i--) {
    nonce[i]! ^= Number(v & 0xffn);
    v >>= 8n;
  }
  return nonce;
}

/** Encrypts one frame with an explicit CTR. The caller must never reuse a CTR under one key. */
export async function sframeEncrypt(
  key: SFrameKey,
  ctr: bigint,
  metadata: Uint8Array,
  plaintext: Uint8Array,
): Promise<Bytes> {
  const header = encodeHeader(key.kid, ctr);
  const sealed = await key.aead.seal(sframeNonce(key.salt, ctr), concatBytes(header, metadata), plaintext);
  return concatBytes(header, sealed);
}

export interface SFrameDecryptResult {
  kid: bigint;
  ctr: bigint;
  plaintext: Bytes;
}

/** Finds the key for a KID read from a header; may throw SFRAME_UNKNOWN_KEY. */
export type SFrameKeyLookup = (kid: bigint) => SFrameKey | Promise<SFrameKey>;

/**
 * Decrypts one SFrame ciphertext (header || ciphertext || tag). `key` is either the key for
 * the expected KID or a lookup by KID.
 */
export async function sframeDecrypt(
  key: SFrameKey | SFrameKeyLookup,
  metadata: Uint8Array,
  sframeCiphertext: Uint8Array,
): Promise<SFrameDecryptResult> {
  const header = decodeHeader(sframeCiphertext);
  const found = typeof key === 'function' ? await key(header.kid) : key;
  if (found.kid !== header.kid) {
    throw new E2eeError('SFRAME_UNKNOWN_KEY', `no key for KID ${header.kid}`);
  }
  const headerBytes = sframeCiphertext.subarray(0, header.length);
  const body = sframeCiphertext.subarray(header.length);
  if (body.length < found.aead.tagLength) {
    throw new E2eeError('SFRAME_TRUNCATED', 'SFrame ciphertext shorter than the tag');
  }
  const plaintext = await found.aead.open(
    sframeNonce(found.salt, header.ctr),
    concatBytes(headerBytes, metadata),
    body,
  );
  return { kid: header.kid, ctr: header.ctr, plaintext };
}
