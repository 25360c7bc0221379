import { type Bytes, U64_MAX } from '../bytes.ts';
import { E2eeError } from '../errors.ts';

/**
 * SFrame header codec (RFC 9605 §4.3).
 *
 *   +-+-+-+-+-+-+-+-+------------+------------+
 *   |X|  K  |Y|  C  |  KID (opt) |  CTR (opt) |
 *   +-+-+-+-+-+-+-+-+------------+------------+
 *
 * Values below 8 sit in K / C directly (X / Y = 0); larger values follow the config byte in
 * big-endian with K+1 / C+1 bytes (X / Y = 1). KID and CTR are unsigned 64-bit, kept as bigint.
 */

export interface SFrameHeader {
  kid: bigint;
  ctr: bigint;
}

export interface DecodedHeader extends SFrameHeader {
  /** Number of bytes the header occupies at the start of the input. */
  length: number;
}

export const MAX_HEADER_LENGTH = 17;

function assertU64(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new E2eeError('INVALID_ARGUMENT', `${what} must be a bigint in [0, 2^64)`);
  }
}

function byteLength(value: bigint): number {
  let n = 1;
  while (value >> BigInt(8 * n) !== 0n) n++;
  return n;
}

function writeBigEndian(out: Uint8Array, offset: number, value: bigint, length: number): void {
  let v = value;
  for (let i = offset + length - 1; i >= offset; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Length in bytes of the minimal header for (kid, ctr). */
export function headerLength(kid: bigint, ctr: bigint): number {
  return 1 + (kid < 8n ? 0 : byteLength(kid)) + (ctr < 8n ? 0 : byteLength(ctr));
}

/** Encodes a header in its minimal form. */
export function encodeHeader(kid: bigint, ctr: bigint): Bytes {
  assertU64(kid, 'KID');
  assertU64(ctr, 'CTR');
  const out = new Uint8Array(headerLength(kid, ctr));
  let config = 0;
  let offset = 1;
  if (kid < 8n) {
    config |= Number(kid) << 4;
  } else {
    const n = byteLength(kid);
    config |= 0x80 | ((n - 1) << 4);
    writeBigEndian(out, offset, kid, n);
    offset += n;
  }
  if (ctr < 8n) {
    config |= Number(ctr);
  } else {
    const n = byteLength(ctr);
    config |= 0x08 | (n - 1);
    writeBigEndian(out, offset, ctr, n);
  }
  out[0] = config;
  return out;
}

function readBigEndian(bytes: Uint8Array, offset: number, length: number): bigint {
  let v = 0n;
  for (let i = offset; i < offset + length; i++) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/**
 * Decodes the header at the start of `bytes`. Non-minimal encodings are accepted (the header
 * is authenticated as AAD, so its exact bytes cannot be swapped).
 */
export function decodeHeader(bytes: Uint8Array): DecodedHeader {
  if (bytes.length < 1) throw new E2eeError('SFRAME_BAD_HEADER', 'empty SFrame header');
  const config = bytes[0]!;
  let offset = 1;
  let kid: bigint;
  if (config & 0x80) {
    const n = ((config >> 4) & 7) + 1;
    if (bytes.length < offset + n) throw new E2eeError('SFRAME_BAD_HEADER', 'SFrame header KID truncated');
    kid = readBigEndian(bytes, offset, n);
    offset += n;
  } else {
    kid = BigInt((config >> 4) & 7);
  }
  let ctr: bigint;
  if (config & 0x08) {
    const n = (config & 7) + 1;
    if (bytes.length < offset + n) throw new E2eeError('SFRAME_BAD_HEADER', 'SFrame header CTR truncated');
    ctr = readBigEndian(bytes, offset, n);
    offset += n;
  } else {
    ctr = BigInt(config & 7);
  }
  return { kid, ctr, length: offset };
}
