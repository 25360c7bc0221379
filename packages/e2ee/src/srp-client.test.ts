import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bigIntToArrayBuffer, SRPParameters, SRPRoutines, SRPServerSession } from 'tssrp6a';
import { loadSrpVectors } from '../test/fixtures/node.ts';
import { utf8Encode } from './bytes.ts';
import { deriveMeetingSecrets } from './derive.ts';
import { isE2eeError } from './errors.ts';
import {
  computeSrpClientProof,
  conclaveSrpRoutines,
  createSrpVerifier,
  srpClientProof,
} from './srp-client.ts';

const rfc = loadSrpVectors();
const big = (hex: string): bigint => BigInt('0x' + hex);

/** RFC 5054 Appendix B setup: 1024-bit group, SHA-1, x = H(s | H(I ":" P)), fixed a and b. */
class Rfc5054Routines extends SRPRoutines {
  readonly privateValues: bigint[] = [];

  override computeIdentityHash(I: string, P: string): Promise<ArrayBuffer> {
    return this.hash(utf8Encode(`${I}:${P}`).buffer);
  }

  override generatePrivateValue(): bigint {
    const next = this.privateValues.shift();
    if (next === undefined) throw new Error('no private value queued');
    return next;
  }
}

function rfcRoutines(): Rfc5054Routines {
  return new Rfc5054Routines(new SRPParameters(SRPParameters.PrimeGroup[1024], SRPParameters.H.SHA1));
}

/** Server side as tssrp6a runs it, for round trips. */
async function serverStep1(routines: SRPRoutines, I: string, salt: string, verifier: string) {
  return new SRPServerSession(routines).step1(I, big(salt), big(verifier));
}

describe('SRP against RFC 5054 Appendix B', () => {
  it('uses the RFC 5054 1024-bit group', () => {
    const { N, g } = rfcRoutines().parameters.primeGroup;
    assert.equal(N, big(rfc.N));
    assert.equal(g, big(rfc.g));
  });

  it('k, x and v match', async () => {
    const r = rfcRoutines();
    assert.equal(await r.computeK(), big(rfc.k));
    const x = await r.computeX(rfc.I, big(rfc.s), rfc.P);
    assert.equal(x, big(rfc.x));
    assert.equal(r.computeVerifier(x), big(rfc.v));
  });

  it('A, B, u, S match and the client proof passes the tssrp6a server', async () => {
    const r = rfcRoutines();
    r.privateValues.push(big(rfc.b));
    const server = await serverStep1(r, rfc.I, rfc.s, rfc.v);
    assert.equal(server.B, big(rfc.B));
    r.privateValues.push(big(rfc.a));
    const proof = await srpClientProof(r, rfc.I, rfc.P, { salt: rfc.s, B: rfc.B });
    assert.equal(big(proof.A), big(rfc.A));
    assert.equal(await r.computeU(big(rfc.A), big(rfc.B)), big(rfc.u));
    assert.equal(await server.sessionKey(big(proof.A)), big(rfc.premaster_secret_S));
    const M2 = await server.step2(big(proof.A), big(proof.M1));
    await proof.verifyServer(M2.toString(16));
  });

  it('M1 = H(A | B | S) and M2 = H(A | M1 | S) over minimal big-endian bytes', async () => {
    const r = rfcRoutines();
    r.privateValues.push(big(rfc.a));
    const proof = await srpClientProof(r, rfc.I, rfc.P, { salt: rfc.s, B: rfc.B });
    const bytes = (hex: string) => Buffer.from(bigIntToArrayBuffer(big(hex)));
    const sha1 = (...parts: Buffer[]) => createHash('sha1').update(Buffer.concat(parts)).digest();
    const M1 = sha1(bytes(rfc.A), bytes(rfc.B), bytes(rfc.premaster_secret_S));
    assert.equal(big(proof.M1), big(M1.toString('hex')));
    const M2 = sha1(bytes(rfc.A), bytes(proof.M1), bytes(rfc.premaster_secret_S));
    await proof.verifyServer(M2.toString('hex'));
  });
});

/** The server formulas of docs/protocol.md, written independently with node:crypto hashes. */
function minimalBytes(n: bigint): Buffer {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
}
function padded(n: bigint, length: number): Buffer {
  return Buffer.from(n.toString(16).padStart(2 * length, '0'), 'hex');
}
function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}
const sha512 = (...parts: Buffer[]): bigint =>
  big(createHash('sha512').update(Buffer.concat(parts)).digest('hex'));

describe('SRP join with protocol v1 parameters', () => {
  const meetingId = 'ABCDEFGHJK';

  it('matches an independent server written from the documented formulas', async () => {
    const { N, g } = (await conclaveSrpRoutines()).parameters.primeGroup;
    const { srpSecret } = await deriveMeetingSecrets(meetingId, 'AAECAwQFBgcICQoLDA0ODw');
    const { salt, verifier } = await createSrpVerifier(meetingId, srpSecret);
    const x = sha512(minimalBytes(big(salt)), Buffer.from(createHash('sha512').update(srpSecret).digest()));
    assert.equal(modPow(g, x, N), big(verifier), 'v = g^x with x = H(s | H(P))');
    const k = sha512(padded(N, 256), padded(g, 256));
    const b = big(Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'));
    const B = (k * big(verifier) + modPow(g, b, N)) % N;
    const proof = await computeSrpClientProof(meetingId, srpSecret, { salt, B: B.toString(16) });
    const A = big(proof.A);
    const u = sha512(padded(A, 256), padded(B, 256));
    const S = modPow((A * modPow(big(verifier), u, N)) % N, b, N);
    assert.equal(big(proof.M1), sha512(minimalBytes(A), minimalBytes(B), minimalBytes(S)));
    const M2 = sha512(minimalBytes(A), minimalBytes(big(proof.M1)), minimalBytes(S));
    await proof.verifyServer(M2.toString(16));
  });

  it('uses the RFC 5054 2048-bit group with SHA-512', async () => {
    const r = await conclaveSrpRoutines();
    assert.equal(r.parameters.NBits, 2048);
    assert.ok(r.parameters.primeGroup.N.toString(16).startsWith('ac6bdb41324a9a9bf166de5e1389582f'));
    assert.equal((await r.hash(bigIntToArrayBuffer(1n))).byteLength, 64);
  });

  it('a client holding the password proves itself and verifies the server', async () => {
    const { srpSecret } = await deriveMeetingSecrets(meetingId, 'AAECAwQFBgcICQoLDA0ODw');
    const { salt, verifier } = await createSrpVerifier(meetingId, srpSecret);
    assert.match(salt, /^[0-9a-f]+$/);
    const server = await serverStep1(await conclaveSrpRoutines(), meetingId, salt, verifier);
    const proof = await computeSrpClientProof(meetingId, srpSecret, { salt, B: server.B.toString(16) });
    const M2 = await server.step2(big(proof.A), big(proof.M1));
    await proof.verifyServer(M2.toString(16));
  });

  it('a wrong password yields an M1 the server refuses', async () => {
    const good = await deriveMeetingSecrets(meetingId, 'AAECAwQFBgcICQoLDA0ODw');
    const bad = await deriveMeetingSecrets(meetingId, 'AAECAwQFBgcICQoLDA0OEA');
    const { salt, verifier } = await createSrpVerifier(meetingId, good.srpSecret);
    const server = await serverStep1(await conclaveSrpRoutines(), meetingId, salt, verifier);
    const proof = await computeSrpClientProof(meetingId, bad.srpSecret, { salt, B: server.B.toString(16) });
    await assert.rejects(server.step2(big(proof.A), big(proof.M1)), /Bad client credentials/);
  });

  it('refuses a wrong or malformed M2', async () => {
    const { srpSecret } = await deriveMeetingSecrets(meetingId, 'AAECAwQFBgcICQoLDA0ODw');
    const { salt, verifier } = await createSrpVerifier(meetingId, srpSecret);
    const server = await serverStep1(await conclaveSrpRoutines(), meetingId, salt, verifier);
    const proof = await computeSrpClientProof(meetingId, srpSecret, { salt, B: server.B.toString(16) });
    await assert.rejects(proof.verifyServer('00'), (e) => isE2eeError(e, 'SRP_SERVER_PROOF_MISMATCH'));
    await assert.rejects(proof.verifyServer('xyz'), (e) => isE2eeError(e, 'SRP_SERVER_PROOF_MISMATCH'));
  });

  it('refuses B = 0, B = N, non-hex values and bad credentials', async () => {
    const secret = 'a'.repeat(64);
    const N = (await conclaveSrpRoutines()).parameters.primeGroup.N.toString(16);
    for (const B of ['0', N, 'not-hex', 'f'.repeat(600)]) {
      await assert.rejects(computeSrpClientProof(meetingId, secret, { salt: '01', B }), (e) =>
        isE2eeError(e, 'SRP_BAD_SERVER_VALUE'),
      );
    }
    await assert.rejects(createSrpVerifier('abc', secret), (e) => isE2eeError(e, 'SRP_BAD_INPUT'));
    await assert.rejects(createSrpVerifier(meetingId, 'A'.repeat(64)), (e) =>
      isE2eeError(e, 'SRP_BAD_INPUT'),
    );
  });
});
