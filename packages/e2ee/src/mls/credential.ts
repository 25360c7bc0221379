/**
 * Credentials bound to the meeting password.
 *
 * identity = 16 random bytes || HMAC-SHA256(credKey, signature public key). Only someone who
 * knows the password (hence credKey) can mint one, so a KeyPackage injected by the server is
 * refused by the authentication service below, on the committer and on every receiver.
 */
import type { AuthenticationService, Credential } from 'ts-mls';
import { bytesEqual, concatBytes } from './crypto/bytes.ts';
import { hmacSha256 } from './crypto/symmetric.ts';

const NONCE_LENGTH = 16;
const TAG_LENGTH = 32;
export const IDENTITY_LENGTH = NONCE_LENGTH + TAG_LENGTH;

export function makeIdentity(credKey: Uint8Array, signaturePublicKey: Uint8Array): Uint8Array {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_LENGTH));
  return concatBytes(nonce, hmacSha256(credKey, signaturePublicKey));
}

export function credentialIsBound(
  credKey: Uint8Array,
  credential: Credential,
  signaturePublicKey: Uint8Array,
) {
  if (credential.credentialType !== 'basic') return false;
  const id = credential.identity;
  if (id.length !== IDENTITY_LENGTH) return false;
  return bytesEqual(id.subarray(NONCE_LENGTH), hmacSha256(credKey, signaturePublicKey));
}

export function meetingAuthenticationService(credKey: Uint8Array): AuthenticationService {
  return {
    async validateCredential(credential, signaturePublicKey) {
      return credentialIsBound(credKey, credential, signaturePublicKey);
    },
  };
}
