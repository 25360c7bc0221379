/**
 * The CiphersuiteImpl handed to ts-mls for suite 0x0001
 * (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519). Same algorithms and bytes on the wire as
 * ts-mls's own providers (tests cross-check against them), but pure-JS symmetric crypto and
 * native, cached asymmetric keys instead of a WebCrypto import per operation.
 */
import type { CiphersuiteImpl } from 'ts-mls';
import { detectEd25519, type Ed25519Signature } from './ed25519.ts';
import { makeHpke } from './hpke.ts';
import { hkdfSha256, sha256Hash } from './symmetric.ts';
import { detectX25519Backend } from './x25519.ts';

export const SUITE_NAME = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;

export interface ConclaveSuite extends CiphersuiteImpl {
  signature: Ed25519Signature;
}

let suite: Promise<ConclaveSuite> | undefined;

/** One shared instance per runtime (it holds only caches of public values and handles). */
export function getSuite(): Promise<ConclaveSuite> {
  suite ??= (async () => ({
    name: SUITE_NAME,
    hash: sha256Hash,
    kdf: hkdfSha256,
    signature: await detectEd25519(),
    hpke: makeHpke(await detectX25519Backend()),
    rng: { randomBytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)) },
  }))();
  return suite;
}
