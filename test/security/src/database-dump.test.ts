/**
 * Trust boundary 2 (database compromised). A meeting is created through the API in distributed
 * mode; its salt and verifier are then read from PostgreSQL as an attacker with a dump would.
 * With those alone the SRP join fails however the verifier is used, and the MLS PSK (and the
 * other password derivations) cannot be reached from it: they are independent HKDF outputs.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { bytesToHex, DERIVATION_LABELS, deriveMeetingSecrets, hexToBytes, utf8Encode } from '@conclave/e2ee';
import pg from 'pg';
import { SRPParameters } from 'tssrp6a';
import {
  createRealMeeting,
  joinMeeting,
  type RealMeeting,
  startApi,
  storedKey,
  type TestApi,
} from './support/meeting.ts';

const GROUP = SRPParameters.PrimeGroup[2048]!;
const N = GROUP.N;
const g = GROUP.g;
const LEN_N = 256;

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = ((base % modulus) + modulus) % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/** Minimal big-endian bytes (protocol.md §4 `bytes()`). */
function bytes(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}
const pad = (n: bigint): Buffer => Buffer.concat([Buffer.alloc(LEN_N - bytes(n).length), bytes(n)]);
const H = (...parts: Buffer[]): bigint =>
  BigInt(`0x${createHash('sha512').update(Buffer.concat(parts)).digest('hex')}`);
const hBytes = (data: Buffer | string): Buffer => createHash('sha512').update(data).digest();

/** The client side of SRP-6a given `x` directly (what an attacker would need instead of P). */
function clientProofFromX(x: bigint, B: bigint): { A: string; M1: string } {
  const a = BigInt(`0x${randomBytes(32).toString('hex')}`);
  const A = modPow(g, a, N);
  const k = H(pad(N), pad(g));
  const u = H(pad(A), pad(B));
  const S = modPow((((B - k * modPow(g, x, N)) % N) + N) % N, a + u * x, N);
  const M1 = H(bytes(A), bytes(B), bytes(S));
  return { A: A.toString(16), M1: M1.toString(16) };
}

let api: TestApi;
let db: pg.Client;
let meeting: RealMeeting;
let salt: string;
let verifier: string;

before(async () => {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    throw new Error('DATABASE_URL and REDIS_URL must be set: source "$(scripts/test-infra.sh start)" first');
  }
  api = await startApi('distributed');
  meeting = await createRealMeeting(api);
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const { rows } = await db.query<{ srp_salt: string; srp_verifier: string }>(
    'SELECT srp_salt, srp_verifier FROM meetings WHERE id = $1',
    [storedKey(api, meeting.meetingId)],
  );
  assert.equal(rows.length, 1, 'the meeting is in PostgreSQL');
  salt = rows[0]!.srp_salt;
  verifier = rows[0]!.srp_verifier;
});
after(async () => {
  await db?.end();
  await api?.close();
});

async function attempt(proof: (B: bigint, s: bigint) => { A: string; M1: string }) {
  const init = await api.request({ method: 'POST', url: `/v1/meetings/${meeting.meetingId}/join/init` });
  assert.equal(init.statusCode, 200);
  const body = init.json() as { salt: string; B: string; state: string };
  assert.equal(BigInt(`0x${body.salt}`), BigInt(`0x${salt}`), 'the dump has the salt the API uses');
  const { A, M1 } = proof(BigInt(`0x${body.B}`), BigInt(`0x${body.salt}`));
  return api.request({
    method: 'POST',
    url: `/v1/meetings/${meeting.meetingId}/join/verify`,
    payload: { state: body.state, A, M1 },
  });
}

describe('database compromised: salt and verifier alone', () => {
  it('the dump holds salt and verifier but not the password or any derivation of it', async () => {
    const dump = JSON.stringify(
      (await db.query('SELECT * FROM meetings WHERE id = $1', [storedKey(api, meeting.meetingId)])).rows,
    );
    assert.ok(dump.includes(verifier));
    for (const secret of [
      meeting.password,
      meeting.secrets.srpSecret,
      bytesToHex(meeting.secrets.mlsPsk),
      bytesToHex(meeting.secrets.credKey),
      bytesToHex(meeting.secrets.nameKey),
      Buffer.from(meeting.secrets.mlsPsk).toString('base64'),
    ]) {
      assert.ok(!dump.includes(secret), 'no password-derived secret in the database');
    }
  });

  it('the raw SRP client works with the real x (control for the attacks below)', async () => {
    const x = H(bytes(BigInt(`0x${salt}`)), hBytes(meeting.secrets.srpSecret));
    assert.equal(modPow(g, x, N), BigInt(`0x${verifier}`), 'x from the password gives the stored verifier');
    const res = await attempt((B) => clientProofFromX(x, B));
    assert.equal(res.statusCode, 200, res.body);
    // And the browser's own client joins too.
    await joinMeeting(api, meeting);
  });

  it('cannot complete the SRP join using the verifier as the password or deriving x from it', async () => {
    const v = BigInt(`0x${verifier}`);
    const s = BigInt(`0x${salt}`);
    const candidates: [string, bigint][] = [
      ['x = v', v],
      ['x = H(v)', H(bytes(v))],
      ['x = H(s || H(v as hex text))', H(bytes(s), hBytes(verifier))],
      ['x = H(s || H(bytes(v)))', H(bytes(s), hBytes(bytes(v)))],
      ['x = H(s || H(salt as hex text))', H(bytes(s), hBytes(salt))],
      ['x = H(s || H(first 64 hex digits of v))', H(bytes(s), hBytes(verifier.slice(0, 64).padEnd(64, '0')))],
      ['x = v mod (N - 1)', v % (N - 1n)],
    ];
    for (const [what, x] of candidates) {
      const res = await attempt((B) => clientProofFromX(x, B));
      assert.equal(res.statusCode, 401, `${what}: ${res.body}`);
      assert.equal((res.json() as { error: string }).error, 'wrong_password', what);
    }
  });

  it('cannot bypass the proof with degenerate A values (refused, never a server error)', async () => {
    for (const A of [0n, N, 2n * N]) {
      const res = await attempt(() => ({ A: A.toString(16), M1: 'ab'.repeat(64) }));
      assert.equal(res.statusCode, 400, `A = ${A.toString(16).slice(0, 8)}…: ${res.body}`);
      // Either the schema (length) or the SRP check refuses it.
      assert.ok(['invalid_srp_value', 'bad_request'].includes((res.json() as { error: string }).error));
    }
  });

  it('cannot derive the MLS PSK: the derivations are independent HKDF labels', async () => {
    const real = meeting.secrets;
    const labels = [
      DERIVATION_LABELS.srp,
      DERIVATION_LABELS.mlsPsk,
      DERIVATION_LABELS.credential,
      DERIVATION_LABELS.displayName,
    ];
    assert.equal(new Set(labels).size, labels.length, 'distinct labels');
    // The four outputs of one password share no bytes beyond chance.
    const outputs = [hexToBytes(real.srpSecret), real.mlsPsk, real.credKey, real.nameKey].map(bytesToHex);
    assert.equal(new Set(outputs).size, 4);
    for (const o of outputs.slice(1)) assert.ok(!outputs[0]!.includes(o.slice(0, 16)));

    // Anything an attacker can feed in from the dump (as a password of the right shape), or a
    // wrong password, gives another PSK.
    const vBytes = hexToBytes(verifier.length % 2 ? `0${verifier}` : verifier);
    const sBytes = hexToBytes(salt.length % 2 ? `0${salt}` : salt);
    const guesses = [
      Buffer.from(vBytes.subarray(0, 16)).toString('base64url'),
      Buffer.from(vBytes.subarray(-16)).toString('base64url'),
      Buffer.from(sBytes.subarray(0, 16)).toString('base64url'),
      Buffer.from(createHash('sha256').update(vBytes).digest().subarray(0, 16)).toString('base64url'),
      randomBytes(16).toString('base64url'),
    ];
    for (const guess of guesses) {
      const derived = await deriveMeetingSecrets(meeting.meetingId, guess);
      assert.notDeepEqual(derived.mlsPsk, real.mlsPsk);
      assert.notDeepEqual(derived.credKey, real.credKey);
      assert.notEqual(derived.srpSecret, real.srpSecret);
    }
    // The one password-derived value the server sees a function of (srpSecret, inside v) does
    // not give the PSK either: re-expanding it under the PSK label is not the PSK.
    const { hkdfExpandForTest } = await hkdf();
    const fromSrp = await hkdfExpandForTest(hexToBytes(real.srpSecret), utf8Encode(DERIVATION_LABELS.mlsPsk));
    assert.notDeepEqual(fromSrp, real.mlsPsk);
    const fromVerifier = await hkdfExpandForTest(
      vBytes.subarray(0, 32),
      utf8Encode(DERIVATION_LABELS.mlsPsk),
    );
    assert.notDeepEqual(fromVerifier, real.mlsPsk);
  });
});

/** HKDF-Expand (SHA-256) with WebCrypto, to try the labels on attacker-chosen keys. */
async function hkdf() {
  return {
    async hkdfExpandForTest(prk: Uint8Array, info: Uint8Array): Promise<Uint8Array> {
      const key = await crypto.subtle.importKey('raw', Uint8Array.from(prk), 'HKDF', false, ['deriveBits']);
      const bits = await crypto.subtle.deriveBits(
        { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: Uint8Array.from(info) },
        key,
        256,
      );
      return new Uint8Array(bits);
    },
  };
}
