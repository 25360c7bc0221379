import type { SRPRoutines } from 'tssrp6a';
import { bigintToBytes, timingSafeEqual } from './bytes.ts';
import { E2eeError } from './errors.ts';
import { isMeetingId } from './link.ts';

/**
 * SRP-6a for joining a meeting (protocol v1 §3), on the stock routines of `tssrp6a` 3.0.0:
 * RFC 5054 2048-bit group, SHA-512, identity I = meetingId, password P = srpSecret.
 * Numbers travel as lower-case hex without leading zeros (bigint.toString(16)); any hex is
 * accepted on input. The exact formulas are in docs/protocol.md.
 */

export interface SrpVerifier {
  /** Salt s (hex). */
  salt: string;
  /** Verifier v = g^x mod N (hex). */
  verifier: string;
}

export interface SrpClientProof {
  /** Client public value A (hex). */
  A: string;
  /** Client evidence M1 (hex). */
  M1: string;
  /** Checks the server evidence M2 (hex); throws SRP_SERVER_PROOF_MISMATCH if it is wrong. */
  verifyServer(M2: string): Promise<void>;
}

export interface SrpOptions {
  /** Replaces the default routines (2048-bit group, SHA-512); for tests and vectors. */
  routines?: SRPRoutines;
}

// Loaded on first use: tssrp6a probes for `window.crypto` when imported, which fails inside Web
// Workers, and the frame-encryption worker must be able to import this package.
const loadTssrp6a = () => import('tssrp6a');

let defaultRoutines: Promise<SRPRoutines> | undefined;

/** Routines of protocol v1: RFC 5054 2048-bit group, SHA-512. */
export function conclaveSrpRoutines(): Promise<SRPRoutines> {
  defaultRoutines ??= loadTssrp6a().then(
    ({ SRPParameters, SRPRoutines }) =>
      new SRPRoutines(new SRPParameters(SRPParameters.PrimeGroup[2048], SRPParameters.H.SHA512)),
  );
  return defaultRoutines;
}

function assertCredentials(meetingId: string, srpSecret: string): void {
  if (!isMeetingId(meetingId))
    throw new E2eeError('SRP_BAD_INPUT', 'identity must be a canonical meeting ID');
  if (!/^[0-9a-f]{64}$/.test(srpSecret))
    throw new E2eeError('SRP_BAD_INPUT', 'srpSecret must be 64 hex digits');
}

function parseHex(value: string, what: string, maxBytes: number): bigint {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]+$/.test(value) || value.length > 2 * maxBytes) {
    throw new E2eeError('SRP_BAD_SERVER_VALUE', `${what} is not a hex number of at most ${maxBytes} bytes`);
  }
  return BigInt('0x' + value);
}

const toHex = (n: bigint): string => n.toString(16);

/** Makes salt and verifier at meeting creation (in the host's browser). */
export async function createSrpVerifier(
  meetingId: string,
  srpSecret: string,
  options: SrpOptions = {},
): Promise<SrpVerifier> {
  assertCredentials(meetingId, srpSecret);
  const { createVerifierAndSalt } = await loadTssrp6a();
  const routines = options.routines ?? (await conclaveSrpRoutines());
  const { s, v } = await createVerifierAndSalt(routines, meetingId, srpSecret);
  return { salt: toHex(s), verifier: toHex(v) };
}

/**
 * Client side of the join: given salt and B from the server, returns A and M1 to send back
 * and a check for M2. Refuses B ≡ 0 (mod N) and u = 0 (RFC 5054 §2.6).
 */
export async function computeSrpClientProof(
  meetingId: string,
  srpSecret: string,
  server: { salt: string; B: string },
  options: SrpOptions = {},
): Promise<SrpClientProof> {
  assertCredentials(meetingId, srpSecret);
  return srpClientProof(options.routines ?? (await conclaveSrpRoutines()), meetingId, srpSecret, server);
}

/**
 * The same exchange for an arbitrary identity and password; exported for interoperability
 * tests (RFC 5054 vectors), not for joining meetings.
 */
export async function srpClientProof(
  routines: SRPRoutines,
  identity: string,
  password: string,
  server: { salt: string; B: string },
): Promise<SrpClientProof> {
  const { N } = routines.parameters.primeGroup;
  const nBytes = Math.ceil(routines.parameters.NBits / 8);
  const salt = parseHex(server.salt, 'salt', 1024);
  const B = parseHex(server.B, 'B', nBytes);
  if (salt === 0n) throw new E2eeError('SRP_BAD_SERVER_VALUE', 'salt is zero');
  if (B % N === 0n || B >= N) throw new E2eeError('SRP_BAD_SERVER_VALUE', 'B must be in (0, N)');

  const identityHash = await routines.computeIdentityHash(identity, password);
  const x = await routines.computeXStep2(salt, identityHash);
  const a = routines.generatePrivateValue();
  const A = routines.computeClientPublicValue(a);
  const k = await routines.computeK();
  const u = await routines.computeU(A, B);
  if (u === 0n) throw new E2eeError('SRP_BAD_SERVER_VALUE', 'u is zero');
  const S = routines.computeClientSessionKey(k, x, u, a, B);
  const M1 = await routines.computeClientEvidence(identity, salt, A, B, S);
  const expectedM2 = await routines.computeServerEvidence(A, M1, S);
  const hashBytes = (await routines.hash(new Uint8Array(1).buffer)).byteLength;

  return {
    A: toHex(A),
    M1: toHex(M1),
    async verifyServer(M2: string): Promise<void> {
      let received: bigint;
      try {
        received = parseHex(M2, 'M2', hashBytes);
      } catch (cause) {
        throw new E2eeError('SRP_SERVER_PROOF_MISMATCH', 'M2 is malformed', { cause });
      }
      if (!timingSafeEqual(bigintToBytes(received, hashBytes), bigintToBytes(expectedM2, hashBytes))) {
        throw new E2eeError('SRP_SERVER_PROOF_MISMATCH', 'server evidence M2 does not match');
      }
    },
  };
}
