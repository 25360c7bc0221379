import { E2eeError } from '../errors.ts';
import type { HashName } from '../hkdf.ts';

/** SFrame cipher suites (RFC 9605 §4.5, IANA "SFrame Cipher Suites"). */
export const CipherSuite = {
  AES_128_CTR_HMAC_SHA256_80: 0x0001,
  AES_128_CTR_HMAC_SHA256_64: 0x0002,
  AES_128_CTR_HMAC_SHA256_32: 0x0003,
  AES_128_GCM_SHA256_128: 0x0004,
  AES_256_GCM_SHA512_128: 0x0005,
} as const;

export type CipherSuiteId = (typeof CipherSuite)[keyof typeof CipherSuite];

/** Conclave's media suite. */
export const DEFAULT_CIPHER_SUITE: CipherSuiteId = CipherSuite.AES_128_GCM_SHA256_128;

export interface SuiteParams {
  id: CipherSuiteId;
  name: string;
  hash: HashName;
  /** AEAD key length Nk (for CTR+HMAC: encryption key || authentication key). */
  nk: number;
  /** Nonce length Nn. */
  nn: number;
  /** Tag length Nt. */
  nt: number;
  construction: 'gcm' | 'ctr-hmac';
  /** For CTR+HMAC: length of the AES key at the start of the AEAD key. */
  encKeyLength: number;
}

const SUITES: Record<CipherSuiteId, SuiteParams> = {
  1: ctrHmac(0x0001, 'AES_128_CTR_HMAC_SHA256_80', 10),
  2: ctrHmac(0x0002, 'AES_128_CTR_HMAC_SHA256_64', 8),
  3: ctrHmac(0x0003, 'AES_128_CTR_HMAC_SHA256_32', 4),
  4: {
    id: 0x0004,
    name: 'AES_128_GCM_SHA256_128',
    hash: 'SHA-256',
    nk: 16,
    nn: 12,
    nt: 16,
    construction: 'gcm',
    encKeyLength: 16,
  },
  5: {
    id: 0x0005,
    name: 'AES_256_GCM_SHA512_128',
    hash: 'SHA-512',
    nk: 32,
    nn: 12,
    nt: 16,
    construction: 'gcm',
    encKeyLength: 32,
  },
};

function ctrHmac(id: CipherSuiteId, name: string, nt: number): SuiteParams {
  return { id, name, hash: 'SHA-256', nk: 48, nn: 12, nt, construction: 'ctr-hmac', encKeyLength: 16 };
}

export function suiteParams(suite: number): SuiteParams {
  const params = SUITES[suite as CipherSuiteId];
  if (!params) throw new E2eeError('SFRAME_UNSUPPORTED_SUITE', `unsupported SFrame cipher suite ${suite}`);
  return params;
}
