/**
 * SHA-256 and HMAC-SHA256 tuned for MLS's many tiny inputs: no per-call objects beyond the
 * output, and HMAC key schedules (the two padded-key compressions) of recent keys reused. A secret-tree
 * rebuild at 1000 members is ~12k HMACs; this halves the compressions and removes most garbage.
 * Verified against @noble/hashes in the tests.
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const W = new Int32Array(64);
const TAIL = new Uint8Array(128);

function compress(s: Int32Array, b: Uint8Array, o: number): void {
  for (let i = 0; i < 16; i++, o += 4)
    W[i] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = s[0]!;
  let bb = s[1]!;
  let c = s[2]!;
  let d = s[3]!;
  let e = s[4]!;
  let f = s[5]!;
  let g = s[6]!;
  let h = s[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = bb;
    bb = a;
    a = (t1 + t2) | 0;
  }
  s[0] = (s[0]! + a) | 0;
  s[1] = (s[1]! + bb) | 0;
  s[2] = (s[2]! + c) | 0;
  s[3] = (s[3]! + d) | 0;
  s[4] = (s[4]! + e) | 0;
  s[5] = (s[5]! + f) | 0;
  s[6] = (s[6]! + g) | 0;
  s[7] = (s[7]! + h) | 0;
}

/** Hashes `data` into state `s`, which already absorbed `prefixBytes` (a multiple of 64). */
function finish(
  s: Int32Array,
  data: Uint8Array,
  prefixBytes: number,
  out: Uint8Array,
  outOffset: number,
): void {
  const full = data.length - (data.length % 64);
  for (let o = 0; o < full; o += 64) compress(s, data, o);
  const rest = data.length - full;
  TAIL.fill(0);
  TAIL.set(data.subarray(full), 0);
  TAIL[rest] = 0x80;
  const tailLength = rest < 56 ? 64 : 128;
  const bits = (prefixBytes + data.length) * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  TAIL[tailLength - 8] = hi >>> 24;
  TAIL[tailLength - 7] = hi >>> 16;
  TAIL[tailLength - 6] = hi >>> 8;
  TAIL[tailLength - 5] = hi;
  TAIL[tailLength - 4] = lo >>> 24;
  TAIL[tailLength - 3] = lo >>> 16;
  TAIL[tailLength - 2] = lo >>> 8;
  TAIL[tailLength - 1] = lo;
  compress(s, TAIL, 0);
  if (tailLength === 128) compress(s, TAIL, 64);
  for (let i = 0; i < 8; i++) {
    const v = s[i]!;
    out[outOffset + 4 * i] = v >>> 24;
    out[outOffset + 4 * i + 1] = v >>> 16;
    out[outOffset + 4 * i + 2] = v >>> 8;
    out[outOffset + 4 * i + 3] = v;
  }
}

export function sha256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  finish(IV.slice(), data, 0, out, 0);
  return out;
}

interface HmacKey {
  ref: Uint8Array | undefined;
  key: Uint8Array;
  inner: Int32Array;
  outer: Int32Array;
}

const PAD = new Uint8Array(64);

function schedule(key: Uint8Array, into: HmacKey): void {
  const k = key.length > 64 ? sha256(key) : key;
  into.inner.set(IV);
  into.outer.set(IV);
  PAD.fill(0x36);
  for (let i = 0; i < k.length; i++) PAD[i] = k[i]! ^ 0x36;
  compress(into.inner, PAD, 0);
  PAD.fill(0x5c);
  for (let i = 0; i < k.length; i++) PAD[i] = k[i]! ^ 0x5c;
  compress(into.outer, PAD, 0);
  PAD.fill(0);
  into.key.fill(0);
  into.key = key.slice();
  into.ref = key;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// MLS derives from each secret a few times (left/right child, then handshake/application
// ratchet roots after a whole pass over the secret tree), so recent key schedules are kept.
// Bounded, not a WeakMap: cached schedules are key-equivalent, so they are wiped once 8192 newer
// keys have been scheduled (about one secret-tree rebuild at 2000 members) rather than living
// as long as ts-mls keeps a zeroed array around. Hits need the same array with the same bytes.
const CAPACITY = 8192;
const cache = new Map<Uint8Array, HmacKey>();
const order: HmacKey[] = [];
let next = 0;

function scheduleFor(key: Uint8Array): HmacKey {
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Same array, new bytes (zeroed or refilled in place): reschedule in the same slot.
    if (!sameBytes(hit.key, key)) schedule(key, hit);
    return hit;
  }
  let entry = order[next];
  if (entry === undefined) {
    entry = { ref: undefined, key: new Uint8Array(0), inner: new Int32Array(8), outer: new Int32Array(8) };
    order.push(entry);
  } else if (entry.ref !== undefined) {
    cache.delete(entry.ref);
  }
  next = (next + 1) % CAPACITY;
  schedule(key, entry);
  cache.set(key, entry);
  return entry;
}

const INNER = new Uint8Array(32);

const STATE = new Int32Array(8);

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const ks = scheduleFor(key);
  STATE.set(ks.inner);
  finish(STATE, data, 64, INNER, 0);
  const out = new Uint8Array(32);
  STATE.set(ks.outer);
  finish(STATE, INNER, 64, out, 0);
  INNER.fill(0);
  STATE.fill(0);
  return out;
}

/** RFC 5869 HKDF-Expand with HMAC-SHA256. */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length > 255 * 32) throw new Error('HKDF-Expand length too large');
  const blocks = Math.ceil(length / 32);
  const out = new Uint8Array(blocks * 32);
  const input = new Uint8Array(32 + info.length + 1);
  let previous = 0;
  for (let i = 1; i <= blocks; i++) {
    let msg: Uint8Array;
    if (i === 1) {
      input.set(info, 0);
      input[info.length] = 1;
      msg = input.subarray(0, info.length + 1);
    } else {
      input.set(out.subarray(previous, previous + 32), 0);
      input.set(info, 32);
      input[32 + info.length] = i;
      msg = input;
    }
    out.set(hmacSha256(prk, msg), (i - 1) * 32);
    previous = (i - 1) * 32;
  }
  return length === out.length ? out : out.slice(0, length);
}

/** RFC 5869 HKDF-Extract (an empty salt is HashLen zero bytes, which HMAC pads identically). */
export const hkdfExtract = (salt: Uint8Array, ikm: Uint8Array): Uint8Array => hmacSha256(salt, ikm);
