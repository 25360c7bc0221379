import { createDiffieHellman, type DiffieHellman, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  fromBytes,
  hashToBigInt,
  multiplier,
  SRP_GROUP_2048_SHA512,
  type SrpGroup,
  scrambler,
  toBytes,
  toPaddedBytes,
} from './srp-group.ts';

/** Bits of the server's secret exponent b; RFC 5054 asks for at least 256. */
const SECRET_EXPONENT_BYTES = 32;

export type SrpVerifyResult =
  | { ok: true; M2: bigint }
  | { ok: false; code: 'invalid_srp_value' }
  | { ok: false; code: 'wrong_password' };

/**
 * The server side of SRP-6a, interoperable with the stock tssrp6a client
 * (x = H(s || H(P)), k = H(PAD(N) || PAD(g)), u = H(PAD(A) || PAD(B)), M1 = H(A || B || S),
 * M2 = H(A || M1 || S)), with every modular exponentiation done by OpenSSL.
 *
 * node:crypto's DiffieHellman computes g^e mod N (generateKeys) and y^e mod N (computeSecret)
 * for a private exponent e we set; one object per group is built once (its construction checks
 * the prime, which is slow) and reused, which is safe because every call here is synchronous.
 */
export class SrpServer {
  readonly group: SrpGroup;
  readonly #k: bigint;
  readonly #dh: DiffieHellman;

  constructor(group: SrpGroup = SRP_GROUP_2048_SHA512) {
    this.group = group;
    this.#k = multiplier(group);
    this.#dh = createDiffieHellman(toPaddedBytes(group.N, group.byteLength), toBytes(group.g));
  }

  /**
   * A verifier this group can use: 0 < v < N. Anything else is refused at registration, since
   * a join would otherwise fail deep inside OpenSSL (v ≥ N is not a residue it accepts).
   */
  acceptsVerifier(verifier: bigint): boolean {
    return verifier > 0n && verifier < this.group.N;
  }

  /** Step 1: a fresh secret b and B = (k·v + g^b) mod N. */
  challenge(
    verifier: bigint,
    secret: bigint = fromBytes(randomBytes(SECRET_EXPONENT_BYTES)),
  ): { b: bigint; B: bigint } {
    const { N } = this.group;
    const gb = this.#modPowPublic(secret);
    return { b: secret, B: (this.#k * verifier + gb) % N };
  }

  /** S = (A · v^u)^b mod N, or undefined for an A the protocol forbids. */
  sessionKey(verifier: bigint, b: bigint, B: bigint, A: bigint): bigint | undefined {
    const { N } = this.group;
    if (A <= 0n || A >= N || A % N === 0n) return undefined;
    const u = scrambler(this.group, A, B);
    if (u === 0n) return undefined;
    const vu = this.#modPow(verifier, u);
    const base = (A * vu) % N;
    // OpenSSL refuses 0, 1 and N-1 as a "public key"; their powers are trivial, and so is S.
    if (base <= 1n || base === N - 1n) return undefined;
    return this.#modPow(base, b);
  }

  /** Step 2: checks the client's proof M1 in constant time and returns the server proof M2. */
  verify(verifier: bigint, b: bigint, B: bigint, A: bigint, M1: bigint): SrpVerifyResult {
    const S = this.sessionKey(verifier, b, B, A);
    if (S === undefined) return { ok: false, code: 'invalid_srp_value' };
    const expected = hashToBigInt(this.group, toBytes(A), toBytes(B), toBytes(S));
    const width = this.#hashBytes();
    if (M1 >= 1n << BigInt(width * 8)) return { ok: false, code: 'wrong_password' };
    if (!timingSafeEqual(toPaddedBytes(expected, width), toPaddedBytes(M1, width))) {
      return { ok: false, code: 'wrong_password' };
    }
    return { ok: true, M2: hashToBigInt(this.group, toBytes(A), toBytes(M1), toBytes(S)) };
  }

  #hashBytes(): number {
    return this.group.hash === 'sha512' ? 64 : this.group.hash === 'sha256' ? 32 : 20;
  }

  #modPowPublic(exponent: bigint): bigint {
    this.#dh.setPrivateKey(toBytes(exponent));
    this.#dh.generateKeys();
    return fromBytes(this.#dh.getPublicKey());
  }

  #modPow(base: bigint, exponent: bigint): bigint {
    this.#dh.setPrivateKey(toBytes(exponent));
    return fromBytes(this.#dh.computeSecret(toPaddedBytes(base, this.group.byteLength)));
  }
}
