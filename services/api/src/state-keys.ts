import { hkdfSync } from 'node:crypto';

/** Subkeys of CONCLAVE_STATE_KEY, one per use, so no key ever serves two algorithms. */
export interface StateKeys {
  /** AES-256-GCM key sealing the SRP server state between the two join round trips. */
  sealing: Buffer;
  /** HMAC-SHA-256 key naming rate-limit buckets. */
  bucketing: Buffer;
  /** HMAC-SHA-256 key naming stored meetings and their room and group IDs (meeting-names.ts). */
  naming: Buffer;
}

const derive = (stateKey: Buffer, label: string) =>
  Buffer.from(hkdfSync('sha256', stateKey, Buffer.alloc(0), `conclave api state key/${label}`, 32));

/**
 * HKDF-SHA-256 with a distinct label per use. Sealed states live 60 s and buckets one window,
 * but stored meetings are found by their `naming` subkey: a deployment keeps the same state key
 * for as long as its meetings should last.
 */
export function deriveStateKeys(stateKey: Buffer): StateKeys {
  return {
    sealing: derive(stateKey, 'join-state-sealing'),
    bucketing: derive(stateKey, 'rate-limit-buckets'),
    naming: derive(stateKey, 'meeting-storage-names'),
  };
}
