// SRP-6a client for the load generator, written from docs/protocol.md §3–4 with BigInt
// arithmetic: RFC 5054 2048-bit group, g = 2, H = SHA-512, x = H(bytes(s) || H(P)).
//
// modPow is pluggable: `modPowBigInt` is plain square-and-multiply on BigInt; `modPowNative`
// delegates the same computation to OpenSSL through node:crypto's Diffie-Hellman (base^exp
// mod N is DH's computeSecret with exp as the private key), which is ~10× faster and lets one
// process generate realistic join rates. The two are checked against each other at start.
import { createDiffieHellman, createHash, hkdfSync, randomBytes } from 'node:crypto';

export const N = BigInt(
  '0xAC6BDB41324A9A9BF166DE5E1389582FAF72B6651987EE07FC3192943DB56050A37329CBB4A099ED8193E0757767A13DD52312AB4B03310DCD7F48A9DA04FD50E8083969EDB767B0CF6095179A163AB3661A05FBD5FAAAE82918A9962F0B93B855F97993EC975EEAA80D740ADBF4FF747359D041D5C33EA71D281E446B14773BCA97B43A23FB801676BD207A436C6481F1D2B9078717461A5B9D32E688F87748544523B524B0D57D5EA77A2775D2ECFA032CFBDBF52FB3786160279004E57AE6AF874E7303CE53299CCC041C7BC308D82A5698F3A8D0C38271AE35F8E9DBFBB694B5C803D89F7AE435DE236D525F54759B65E372FCD68EF20FA7111F9E4AFF73',
);
export const g = 2n;
const LEN = 256;

/** Minimal big-endian bytes of n (bytes(0) is one zero byte). */
export function bytes(n) {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}
/** Big-endian, left-padded to len(N). */
export function pad(n) {
  return Buffer.from(n.toString(16).padStart(LEN * 2, '0'), 'hex');
}
export function toBig(buf) {
  return buf.length ? BigInt(`0x${Buffer.from(buf).toString('hex')}`) : 0n;
}
function H(...parts) {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function modPowBigInt(base, exp, mod) {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

const nBuf = pad(N);
let dh; // created once: Node checks the prime when a group is made, which is slow
/** base^exp mod N through OpenSSL. N is prime, so exp can be reduced mod N−1 (Fermat). */
export function modPowNative(base, exp, mod) {
  if (mod !== N) return modPowBigInt(base, exp, mod);
  const b = base % N;
  if (b <= 1n) return b;
  const e = exp % (N - 1n);
  if (e === 0n) return 1n;
  dh ??= createDiffieHellman(nBuf, Buffer.from([2]));
  dh.setPrivateKey(bytes(e));
  return toBig(dh.computeSecret(pad(b)));
}

const k = toBig(H(pad(N), pad(g)));

/** srpSecret from the meeting password (protocol §3): HKDF-SHA256, lowercase hex. */
export function srpSecret(password, meetingId) {
  const ikm = Buffer.from(password, 'base64url');
  const prk = hkdfSync(
    'sha256',
    ikm,
    Buffer.from(`conclave/v1/${meetingId}`),
    Buffer.from('conclave/v1 srp'),
    32,
  );
  return Buffer.from(prk).toString('hex');
}

function xOf(salt, secret) {
  return toBig(H(bytes(salt), H(Buffer.from(secret, 'utf8'))));
}

/** Host side of meeting creation: a fresh salt and the verifier, both as wire hex. */
export function makeVerifier(secret, modPow = modPowNative) {
  const s = toBig(randomBytes(64));
  const v = modPow(g, xOf(s, secret), N);
  return { salt: s.toString(16), verifier: v.toString(16) };
}

/**
 * Client side of the join. `challenge` is the answer of join/init ({salt, B}); returns the
 * values to send and a function that checks the server's M2.
 */
export function clientProof(secret, challenge, modPow = modPowNative) {
  const s = BigInt(`0x${challenge.salt}`);
  const B = BigInt(`0x${challenge.B}`);
  if (B % N === 0n || B >= N) throw new Error('srp: invalid B');
  const a = toBig(randomBytes(32));
  const A = modPow(g, a, N);
  const u = toBig(H(pad(A), pad(B)));
  if (u === 0n) throw new Error('srp: u = 0');
  const x = xOf(s, secret);
  const base = (((B - ((k * modPow(g, x, N)) % N)) % N) + N) % N;
  const S = modPow(base, a + u * x, N);
  const M1 = toBig(H(bytes(A), bytes(B), bytes(S)));
  const M2 = toBig(H(bytes(A), bytes(M1), bytes(S)));
  return {
    A: A.toString(16),
    M1: M1.toString(16),
    verify: (m2hex) => BigInt(`0x${m2hex}`) === M2,
  };
}

/** Self-check: the native and the BigInt modPow agree. */
export function selfTest() {
  for (let i = 0; i < 3; i++) {
    const base = toBig(randomBytes(255));
    const exp = toBig(randomBytes(64));
    if (modPowNative(base, exp, N) !== modPowBigInt(base, exp, N)) throw new Error('srp: modPow mismatch');
  }
}
