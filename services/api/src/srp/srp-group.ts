import { createHash } from 'node:crypto';

/**
 * SRP-6a group parameters. The defaults are those of the stock tssrp6a client: the RFC 5054
 * 2048-bit group with SHA-512. The 1024-bit group with SHA-1 exists for the RFC 5054 vectors.
 */
export interface SrpGroup {
  readonly N: bigint;
  readonly g: bigint;
  /** Length of N in bytes: the padding length of k and u. */
  readonly byteLength: number;
  readonly hash: 'sha512' | 'sha1' | 'sha256';
}

const N2048 =
  'AC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B855F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773BCA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB694B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73';
const N1024 =
  'EEAF0AB9ADB38DD69C33F80AFA8FC5E86072618775FF3C0B9EA2314C9C256576D674DF7496EA81D3383B4813D692C6E0E0D5D8E250B98BE48E495C1D6089DAD15DC7D7B46154D6B6CE8EF4AD69B15D4982559B297BCF1885C529F566660E57EC68EDBC3C05726CC02FD4CBF4976EAA9AFD5138FE8376435B9FC61D2FC0EB06E3';

export const SRP_GROUP_2048_SHA512: SrpGroup = {
  N: BigInt(`0x${N2048}`),
  g: 2n,
  byteLength: 256,
  hash: 'sha512',
};
export const SRP_GROUP_1024_SHA1: SrpGroup = {
  N: BigInt(`0x${N1024}`),
  g: 2n,
  byteLength: 128,
  hash: 'sha1',
};

/** Minimal big-endian bytes of a non-negative integer, as tssrp6a hashes unpadded values. */
export function toBytes(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

export function toPaddedBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');
}

export function fromBytes(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

export function hashToBigInt(group: SrpGroup, ...parts: Uint8Array[]): bigint {
  const h = createHash(group.hash);
  for (const part of parts) h.update(part);
  return fromBytes(h.digest());
}

/** k = H(PAD(N) || PAD(g)) */
export function multiplier(group: SrpGroup): bigint {
  return hashToBigInt(
    group,
    toPaddedBytes(group.N, group.byteLength),
    toPaddedBytes(group.g, group.byteLength),
  );
}

/** u = H(PAD(A) || PAD(B)) */
export function scrambler(group: SrpGroup, A: bigint, B: bigint): bigint {
  return hashToBigInt(group, toPaddedBytes(A, group.byteLength), toPaddedBytes(B, group.byteLength));
}
