import { type Bytes, bufferSource, concatBytes, timingSafeEqual } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import type { HashName } from '../hkdf.ts';
import { suiteParams } from './suites.ts';

/**
 * The AEAD algorithms of the SFrame cipher suites on WebCrypto: AES-GCM directly, and the
 * AES-CTR + HMAC construction of RFC 9605 §4.5.1 for suites 0x0001-0x0003.
 */
export interface AeadKey {
  readonly tagLength: number;
  readonly nonceLength: number;
  /** Returns ciphertext || tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Bytes>;
  /** Takes ciphertext || tag; throws SFRAME_AUTH_FAILED when the tag does not verify. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Bytes>;
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

class GcmKey implements AeadKey {
  readonly tagLength = 16;
  readonly nonceLength = 12;
  readonly #key: CryptoKey;

  constructor(key: CryptoKey) {
    this.#key = key;
  }

  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
    const params = { name: 'AES-GCM', iv: bufferSource(nonce), additionalData: bufferSource(aad) };
    return new Uint8Array(await subtle().encrypt(params, this.#key, bufferSource(plaintext)));
  }

  async open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Bytes> {
    if (ciphertext.length < this.tagLength)
      throw new E2eeError('SFRAME_TRUNCATED', 'ciphertext shorter than tag');
    const params = { name: 'AES-GCM', iv: bufferSource(nonce), additionalData: bufferSource(aad) };
    try {
      return new Uint8Array(await subtle().decrypt(params, this.#key, bufferSource(ciphertext)));
    } catch (cause) {
      throw new E2eeError('SFRAME_AUTH_FAILED', 'SFrame authentication failed', { cause });
    }
  }
}

function u64(n: number): Bytes {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

class CtrHmacKey implements AeadKey {
  readonly tagLength: number;
  readonly nonceLength = 12;
  readonly #encKey: CryptoKey;
  readonly #authKey: CryptoKey;

  constructor(encKey: CryptoKey, authKey: CryptoKey, tagLength: number) {
    this.#encKey = encKey;
    this.#authKey = authKey;
    this.tagLength = tagLength;
  }

  #counterBlock(nonce: Uint8Array): Bytes {
    const block = new Uint8Array(16);
    block.set(nonce); // nonce || 0x00000000
    return block;
  }

  async #tag(nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Bytes> {
    const authData = concatBytes(u64(aad.length), u64(ct.length), u64(this.tagLength), nonce, aad, ct);
    const mac = new Uint8Array(await subtle().sign('HMAC', this.#authKey, authData));
    return mac.subarray(0, this.tagLength);
  }

  #ctr(nonce: Uint8Array, data: Uint8Array): Promise<ArrayBuffer> {
    return subtle().encrypt(
      { name: 'AES-CTR', counter: this.#counterBlock(nonce), length: 32 },
      this.#encKey,
      bufferSource(data),
    );
  }

  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
    const ct = new Uint8Array(await this.#ctr(nonce, plaintext));
    return concatBytes(ct, await this.#tag(nonce, aad, ct));
  }

  async open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Bytes> {
    if (ciphertext.length < this.tagLength)
      throw new E2eeError('SFRAME_TRUNCATED', 'ciphertext shorter than tag');
    const ct = ciphertext.subarray(0, ciphertext.length - this.tagLength);
    const tag = ciphertext.subarray(ciphertext.length - this.tagLength);
    if (!timingSafeEqual(tag, await this.#tag(nonce, aad, ct))) {
      throw new E2eeError('SFRAME_AUTH_FAILED', 'SFrame authentication failed');
    }
    return new Uint8Array(await this.#ctr(nonce, ct));
  }
}

/**
 * AES-CTR + HMAC AEAD with explicit parameters (RFC 9605 §4.5.1): the key is
 * enc_key (encKeyLength bytes) || auth_key (the rest).
 */
export async function importCtrHmacAeadKey(
  key: Uint8Array,
  encKeyLength: number,
  hash: HashName,
  tagLength: number,
): Promise<AeadKey> {
  if (key.length <= encKeyLength || (encKeyLength !== 16 && encKeyLength !== 32)) {
    throw new E2eeError('SFRAME_BAD_KEY', 'bad AES-CTR+HMAC key length');
  }
  const [encKey, authKey] = await Promise.all([
    subtle().importKey('raw', bufferSource(key.subarray(0, encKeyLength)), 'AES-CTR', false, ['encrypt']),
    subtle().importKey('raw', bufferSource(key.subarray(encKeyLength)), { name: 'HMAC', hash }, false, [
      'sign',
    ]),
  ]);
  return new CtrHmacKey(encKey, authKey, tagLength);
}

/** Imports an AEAD key (AEAD.Nk bytes) for the given SFrame cipher suite. */
export async function importAeadKey(suite: number, key: Uint8Array): Promise<AeadKey> {
  const params = suiteParams(suite);
  if (key.length !== params.nk) {
    throw new E2eeError('SFRAME_BAD_KEY', `suite ${params.name} needs a ${params.nk}-byte key`);
  }
  if (params.construction === 'ctr-hmac') {
    return importCtrHmacAeadKey(key, params.encKeyLength, params.hash, params.nt);
  }
  const cryptoKey = await subtle().importKey('raw', bufferSource(key), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  return new GcmKey(cryptoKey);
}
