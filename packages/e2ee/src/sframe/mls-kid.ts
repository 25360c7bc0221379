import { E2eeError } from '../errors.ts';

/**
 * KID layout for SFrame keyed from MLS (RFC 9605 §5.2, protocol v1 §5):
 *
 *   KID = (context << (S + E)) + (leafIndex << E) + (epoch mod 2^E)
 *
 * E = 4 epoch bits; S = the smallest value with groupSize <= 2^S, where groupSize is the number
 * of leaves of the MLS ratchet tree (so every leaf index fits in S bits); context says which
 * media source of the member sent the frame.
 */

export const EPOCH_BITS = 4;

export const MediaContext = { mic: 0, camera: 1, screen: 2 } as const;
export type MediaContextName = keyof typeof MediaContext;
export type MediaContextId = (typeof MediaContext)[MediaContextName];

const MAX_GROUP_SIZE = 2 ** 32;

/** S: bits needed for leaf indices in a tree of `groupSize` leaves. */
export function senderIndexBits(groupSize: number): number {
  if (!Number.isSafeInteger(groupSize) || groupSize < 1 || groupSize > MAX_GROUP_SIZE) {
    throw new E2eeError('INVALID_ARGUMENT', 'group size must be an integer in [1, 2^32]');
  }
  let s = 0;
  while (2 ** s < groupSize) s++;
  return s;
}

export interface MlsKidParts {
  context: MediaContextId;
  leafIndex: number;
  /** epoch mod 2^E */
  epochBits: number;
}

export function isMediaContext(value: unknown): value is MediaContextId {
  return value === 0 || value === 1 || value === 2;
}

export function mlsKid(parts: {
  context: MediaContextId;
  leafIndex: number;
  epoch: bigint;
  groupSize: number;
}): bigint {
  const s = senderIndexBits(parts.groupSize);
  if (!isMediaContext(parts.context)) throw new E2eeError('INVALID_ARGUMENT', 'unknown media context');
  if (!Number.isSafeInteger(parts.leafIndex) || parts.leafIndex < 0 || parts.leafIndex >= 2 ** s) {
    throw new E2eeError('INVALID_ARGUMENT', 'leaf index does not fit the group size');
  }
  if (typeof parts.epoch !== 'bigint' || parts.epoch < 0n) {
    throw new E2eeError('INVALID_ARGUMENT', 'epoch must be a non-negative bigint');
  }
  const e = BigInt(EPOCH_BITS);
  return (
    (BigInt(parts.context) << (BigInt(s) + e)) +
    (BigInt(parts.leafIndex) << e) +
    (parts.epoch & ((1n << e) - 1n))
  );
}

/** Splits a KID received in a group of `groupSize` leaves; refuses unknown contexts. */
export function parseMlsKid(kid: bigint, groupSize: number): MlsKidParts {
  const s = BigInt(senderIndexBits(groupSize));
  const e = BigInt(EPOCH_BITS);
  const context = Number(kid >> (s + e) > 3n ? 3n : kid >> (s + e));
  if (!isMediaContext(context))
    throw new E2eeError('SFRAME_BAD_KID', `KID ${kid} has an unknown media context`);
  return {
    context,
    leafIndex: Number((kid >> e) & ((1n << s) - 1n)),
    epochBits: Number(kid & ((1n << e) - 1n)),
  };
}
