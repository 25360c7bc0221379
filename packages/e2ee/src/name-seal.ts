import {
  base64urlToBytes,
  bufferSource,
  bytesToBase64url,
  concatBytes,
  randomBytes,
  utf8Decode,
  utf8Encode,
} from './bytes.ts';
import { E2eeError } from './errors.ts';

/**
 * Display names shown in the lobby before the MLS join, sealed with `nameKey` so the host can
 * read them and the server cannot.
 *
 * sealed = base64url( nonce (12 random bytes) || AES-128-GCM(nameKey, nonce, aad = UTF-8(meetingId),
 *                     plaintext = UTF-8(name) || zero bytes up to a multiple of 32) )
 *
 * The zero padding hides the exact name length; names therefore may not contain U+0000.
 */

export const MAX_NAME_BYTES = 256;
const PAD_BLOCK = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

async function importNameKey(key: Uint8Array | CryptoKey, usage: KeyUsage): Promise<CryptoKey> {
  if (!(key instanceof Uint8Array)) return key;
  if (key.length !== 16) throw new E2eeError('INVALID_ARGUMENT', 'nameKey must be 16 bytes');
  return globalThis.crypto.subtle.importKey('raw', bufferSource(key), 'AES-GCM', false, [usage]);
}

export async function sealDisplayName(
  nameKey: Uint8Array | CryptoKey,
  meetingId: string,
  name: string,
): Promise<string> {
  const encoded = utf8Encode(name);
  if (encoded.length === 0 || encoded.length > MAX_NAME_BYTES) {
    throw new E2eeError('NAME_TOO_LONG', `display name must be 1..${MAX_NAME_BYTES} UTF-8 bytes`);
  }
  if (encoded.includes(0)) throw new E2eeError('NAME_MALFORMED', 'display name contains U+0000');
  const padded = new Uint8Array(Math.ceil(encoded.length / PAD_BLOCK) * PAD_BLOCK);
  padded.set(encoded);
  const nonce = randomBytes(NONCE_BYTES);
  const key = await importNameKey(nameKey, 'encrypt');
  const ciphertext = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: utf8Encode(meetingId) },
    key,
    padded,
  );
  return bytesToBase64url(concatBytes(nonce, new Uint8Array(ciphertext)));
}

export async function openDisplayName(
  nameKey: Uint8Array | CryptoKey,
  meetingId: string,
  sealed: string,
): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = base64urlToBytes(sealed);
  } catch (cause) {
    throw new E2eeError('NAME_MALFORMED', 'sealed name is not base64url', { cause });
  }
  const bodyLength = bytes.length - NONCE_BYTES - TAG_BYTES;
  if (bodyLength < PAD_BLOCK || bodyLength % PAD_BLOCK !== 0 || bodyLength > MAX_NAME_BYTES + PAD_BLOCK) {
    throw new E2eeError('NAME_MALFORMED', 'sealed name has an impossible length');
  }
  const key = await importNameKey(nameKey, 'decrypt');
  let padded: Uint8Array;
  try {
    padded = new Uint8Array(
      await globalThis.crypto.subtle.decrypt(
        {
          name: 'AES-GCM',
          iv: bufferSource(bytes.subarray(0, NONCE_BYTES)),
          additionalData: utf8Encode(meetingId),
        },
        key,
        bufferSource(bytes.subarray(NONCE_BYTES)),
      ),
    );
  } catch (cause) {
    throw new E2eeError('NAME_TAMPERED', 'sealed name failed authentication', { cause });
  }
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--;
  try {
    return utf8Decode(padded.subarray(0, end));
  } catch (cause) {
    throw new E2eeError('NAME_MALFORMED', 'sealed name is not UTF-8', { cause });
  }
}
