/**
 * Ed25519 for ts-mls's `Signature` interface. WebCrypto when available (verification is ~10x
 * faster than pure JS), @noble/curves otherwise. Private keys are always the 32-byte seed so
 * states move between backends.
 *
 * Joining a group verifies every leaf signature in the ratchet tree one after another. `prefetch`
 * starts a batch of verifications concurrently (WebCrypto runs them on worker threads); the
 * later sequential `verify` of the same (key, message, signature) awaits the already running
 * job. Every signature is still verified; only the waiting overlaps.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import type { Signature } from 'ts-mls';
import { buf, bytesEqual, concatBytes, toHex } from './bytes.ts';

const PKCS8_ED25519_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

export interface VerifyRequest {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export interface Ed25519Signature extends Signature {
  readonly backend: 'webcrypto' | 'noble';
  /**
   * Start verifying these now and return their results; each result is also handed to the next
   * `verify` call with equal inputs (the one ts-mls makes later).
   */
  prefetch(requests: VerifyRequest[]): Promise<boolean>[];
}

function seedOf(signKey: Uint8Array): Uint8Array {
  if (signKey.length === 32) return signKey;
  // PKCS#8 as produced by ts-mls's default provider: the seed is the last 32 bytes.
  if (signKey.length === 48) return signKey.subarray(16);
  throw new Error('Ed25519 private key must be a 32-byte seed');
}

const nobleVerify = (r: VerifyRequest): boolean => {
  try {
    return ed25519.verify(r.signature, r.message, r.publicKey);
  } catch {
    return false;
  }
};

interface Pending extends VerifyRequest {
  result: Promise<boolean>;
}

const PREFETCH_LIMIT = 8192;
const KEY_CACHE_LIMIT = 4096;

export function makeEd25519(subtle: SubtleCrypto | undefined): Ed25519Signature {
  const signKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
  const verifyKeys = new Map<string, Promise<CryptoKey>>();
  const pending = new Map<string, Pending>();

  const verifyKey = (publicKey: Uint8Array): Promise<CryptoKey> => {
    const id = toHex(publicKey);
    let key = verifyKeys.get(id);
    if (key === undefined) {
      if (verifyKeys.size >= KEY_CACHE_LIMIT) verifyKeys.delete(verifyKeys.keys().next().value!);
      key = subtle!.importKey('raw', buf(publicKey), 'Ed25519', false, ['verify']);
      key.catch(() => verifyKeys.delete(id));
      verifyKeys.set(id, key);
    }
    return key;
  };

  const nativeVerify = async (r: VerifyRequest): Promise<boolean> => {
    if (r.publicKey.length !== 32 || r.signature.length !== 64) return false;
    try {
      return await subtle!.verify('Ed25519', await verifyKey(r.publicKey), buf(r.signature), buf(r.message));
    } catch {
      return false;
    }
  };

  const verifyNow = subtle === undefined ? async (r: VerifyRequest) => nobleVerify(r) : nativeVerify;

  return {
    backend: subtle === undefined ? 'noble' : 'webcrypto',
    async keygen() {
      const signKey = ed25519.utils.randomSecretKey();
      return { signKey, publicKey: ed25519.getPublicKey(signKey) };
    },
    async sign(signKey, message) {
      const seed = seedOf(signKey);
      if (subtle === undefined) return ed25519.sign(message, seed);
      let key = signKeys.get(signKey);
      if (key === undefined) {
        key = subtle.importKey('pkcs8', buf(concatBytes(PKCS8_ED25519_PREFIX, seed)), 'Ed25519', false, [
          'sign',
        ]);
        signKeys.set(signKey, key);
      }
      return new Uint8Array(await subtle.sign('Ed25519', await key, buf(message)));
    },
    async verify(publicKey, message, signature) {
      const id = toHex(signature);
      const hit = pending.get(id);
      if (hit !== undefined) {
        pending.delete(id);
        if (bytesEqual(hit.publicKey, publicKey) && bytesEqual(hit.message, message)) return hit.result;
      }
      return verifyNow({ publicKey, message, signature });
    },
    prefetch(requests) {
      return requests.map((r) => {
        const result = verifyNow(r);
        if (subtle !== undefined) {
          if (pending.size >= PREFETCH_LIMIT) pending.delete(pending.keys().next().value!);
          pending.set(toHex(r.signature), { ...r, result });
        }
        return result;
      });
    },
  };
}

/** WebCrypto Ed25519 needs Chromium ≥ 137, Firefox ≥ 129, Safari ≥ 17, Node ≥ 20. */
export async function detectEd25519(): Promise<Ed25519Signature> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return makeEd25519(undefined);
  try {
    const probe = makeEd25519(subtle);
    const { signKey, publicKey } = await probe.keygen();
    const message = new Uint8Array([1, 2, 3]);
    const sig = await probe.sign(signKey, message);
    if (bytesEqual(sig, ed25519.sign(message, signKey)) && (await probe.verify(publicKey, message, sig))) {
      return probe;
    }
  } catch {
    // fall through to the pure-JS backend
  }
  return makeEd25519(undefined);
}
