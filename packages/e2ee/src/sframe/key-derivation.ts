import { type Bytes, bigintToBytes, concatBytes, U64_MAX, utf8Encode } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import { hkdfExpand, hkdfExtract } from '../hkdf.ts';
import { type AeadKey, importAeadKey } from './aead.ts';
import { type CipherSuiteId, suiteParams } from './suites.ts';

/**
 * Per-KID key and salt (RFC 9605 §4.4.2):
 *
 *   sframe_secret = HKDF-Extract("", base_key)
 *   sframe_key    = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret key "  || KID (u64 BE) || suite (u16 BE), Nk)
 *   sframe_salt   = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret salt " || KID (u64 BE) || suite (u16 BE), Nn)
 */

const KEY_LABEL = utf8Encode('SFrame 1.0 Secret key ');
const SALT_LABEL = utf8Encode('SFrame 1.0 Secret salt ');

function labelSuffix(kid: bigint, suite: number): Bytes {
  if (kid < 0n || kid > U64_MAX) throw new E2eeError('SFRAME_BAD_KID', 'KID must be in [0, 2^64)');
  return concatBytes(bigintToBytes(kid, 8), bigintToBytes(BigInt(suite), 2));
}

export function sframeKeyLabel(kid: bigint, suite: number): Bytes {
  return concatBytes(KEY_LABEL, labelSuffix(kid, suite));
}

export function sframeSaltLabel(kid: bigint, suite: number): Bytes {
  return concatBytes(SALT_LABEL, labelSuffix(kid, suite));
}

export interface SFrameKeyMaterial {
  secret: Bytes;
  key: Bytes;
  salt: Bytes;
}

export async function deriveSFrameKeyMaterial(
  suite: number,
  baseKey: Uint8Array,
  kid: bigint,
): Promise<SFrameKeyMaterial> {
  const params = suiteParams(suite);
  if (baseKey.length === 0) throw new E2eeError('SFRAME_BAD_KEY', 'base key is empty');
  const secret = await hkdfExtract(params.hash, new Uint8Array(0), baseKey);
  const [key, salt] = await Promise.all([
    hkdfExpand(params.hash, secret, sframeKeyLabel(kid, suite), params.nk),
    hkdfExpand(params.hash, secret, sframeSaltLabel(kid, suite), params.nn),
  ]);
  return { secret, key, salt };
}

/** An imported key for one KID: what encryption and decryption need. */
export interface SFrameKey {
  readonly suite: CipherSuiteId;
  readonly kid: bigint;
  readonly aead: AeadKey;
  readonly salt: Bytes;
}

/** Imports explicit key material for one KID (e.g. keys not derived from a base key). */
export async function importSFrameKey(
  suite: number,
  kid: bigint,
  key: Uint8Array,
  salt: Uint8Array,
): Promise<SFrameKey> {
  const params = suiteParams(suite);
  if (salt.length !== params.nn) throw new E2eeError('SFRAME_BAD_KEY', `salt must be ${params.nn} bytes`);
  if (kid < 0n || kid > U64_MAX) throw new E2eeError('SFRAME_BAD_KID', 'KID must be in [0, 2^64)');
  return { suite: params.id, kid, aead: await importAeadKey(suite, key), salt: Uint8Array.from(salt) };
}

/** Derives (§4.4.2) and imports the key for `kid` from a base key. */
export async function deriveSFrameKey(suite: number, baseKey: Uint8Array, kid: bigint): Promise<SFrameKey> {
  const material = await deriveSFrameKeyMaterial(suite, baseKey, kid);
  return importSFrameKey(suite, kid, material.key, material.salt);
}
