import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { JOIN_TOKEN_CLOCK_SKEW_SECONDS, JOIN_TOKEN_PREFIX, JoinTokenClaims } from '@conclave/protocol';
import { Value } from 'typebox/value';

export type JoinTokenError =
  | { code: 'token_malformed' }
  | { code: 'token_bad_signature' }
  | { code: 'token_expired' }
  | { code: 'token_not_yet_valid' };

export type VerifyResult = { ok: true; claims: JoinTokenClaims } | { ok: false; error: JoinTokenError };

const SIGNING_CONTEXT = Buffer.from('conclave join token v1\n');
const CLOCK_SKEW_SECONDS = JOIN_TOKEN_CLOCK_SKEW_SECONDS;

function signedBytes(payload: string): Buffer {
  return Buffer.concat([SIGNING_CONTEXT, Buffer.from(payload)]);
}

/** Signs join tokens with the API's Ed25519 private key. Only the API holds one. */
export class JoinTokenSigner {
  readonly #key: KeyObject;
  readonly publicKeyPem: string;

  constructor(privateKeyPem: string) {
    this.#key = createPrivateKey(privateKeyPem);
    if (this.#key.asymmetricKeyType !== 'ed25519') throw new Error('join token key must be Ed25519');
    this.publicKeyPem = createPublicKey(this.#key).export({ type: 'spki', format: 'pem' }).toString();
  }

  sign(claims: JoinTokenClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const signature = sign(null, signedBytes(payload), this.#key).toString('base64url');
    return `${JOIN_TOKEN_PREFIX}.${payload}.${signature}`;
  }
}

/**
 * Verifies join tokens offline with the API's published public key(s). Several keys may be
 * configured so the API's key can be rotated without refusing tokens already handed out.
 */
export class JoinTokenVerifier {
  readonly #keys: KeyObject[];
  readonly #now: () => number;

  constructor(publicKeysPem: string[], now: () => number = Date.now) {
    if (publicKeysPem.length === 0) throw new Error('at least one join token public key is required');
    this.#keys = publicKeysPem.map((pem) => createPublicKey(pem));
    for (const key of this.#keys) {
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('join token public key must be Ed25519');
    }
    this.#now = now;
  }

  verify(token: unknown): VerifyResult {
    if (typeof token !== 'string' || token.length > 4096) return fail('token_malformed');
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== JOIN_TOKEN_PREFIX) return fail('token_malformed');
    const [, payload, signature] = parts as [string, string, string];
    const sig = Buffer.from(signature, 'base64url');
    if (sig.length !== 64) return fail('token_malformed');
    const data = signedBytes(payload);
    if (!this.#keys.some((key) => verify(null, data, key, sig))) return fail('token_bad_signature');
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return fail('token_malformed');
    }
    if (!Value.Check(JoinTokenClaims, claims)) return fail('token_malformed');
    const nowSeconds = Math.floor(this.#now() / 1000);
    if (claims.exp < nowSeconds - CLOCK_SKEW_SECONDS) return fail('token_expired');
    if (claims.iat > nowSeconds + CLOCK_SKEW_SECONDS) return fail('token_not_yet_valid');
    return { ok: true, claims };
  }
}

function fail(code: JoinTokenError['code']): VerifyResult {
  return { ok: false, error: { code } };
}
