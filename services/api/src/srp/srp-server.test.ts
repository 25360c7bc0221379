import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createVerifierAndSalt, SRPClientSession, SRPParameters, SRPRoutines } from 'tssrp6a';
import { multiplier, SRP_GROUP_1024_SHA1, scrambler } from './srp-group.ts';
import { SrpServer } from './srp-server.ts';

const vectors = JSON.parse(
  readFileSync(new URL('../../test/fixtures/srp-rfc5054.json', import.meta.url), 'utf8'),
);
const big = (hex: string) => BigInt(`0x${hex}`);

describe('SRP-6a server: RFC 5054 Appendix B vectors (1024-bit group, SHA-1)', () => {
  const server = new SrpServer(SRP_GROUP_1024_SHA1);

  it('k matches', () => assert.equal(multiplier(SRP_GROUP_1024_SHA1), big(vectors.k)));

  it('B from b and v matches', () => {
    assert.equal(server.challenge(big(vectors.v), big(vectors.b)).B, big(vectors.B));
  });

  it('u matches', () =>
    assert.equal(scrambler(SRP_GROUP_1024_SHA1, big(vectors.A), big(vectors.B)), big(vectors.u)));

  it('the premaster secret S matches', () => {
    const S = server.sessionKey(big(vectors.v), big(vectors.b), big(vectors.B), big(vectors.A));
    assert.equal(S, big(vectors.premaster_secret_S));
  });
});

describe('SRP-6a server: interoperability with the stock tssrp6a client (2048-bit group, SHA-512)', () => {
  const server = new SrpServer();
  const parameters = new SRPParameters();
  const routines = new SRPRoutines(parameters);
  const identity = 'ABCDEFGHJK';
  const password = 'f'.repeat(64);

  async function clientProof(loginPassword: string, B: bigint, salt: bigint) {
    const step1 = await new SRPClientSession(routines).step1(identity, loginPassword);
    return step1.step2(salt, B);
  }

  it('a client with the right password is accepted and accepts the server proof', async () => {
    const { s, v } = await createVerifierAndSalt(routines, identity, password);
    const { b, B } = server.challenge(v);
    const step2 = await clientProof(password, B, s);
    const result = server.verify(v, b, B, step2.A, step2.M1);
    assert.equal(result.ok, true);
    if (result.ok) await step2.step3(result.M2); // throws if M2 is wrong
  });

  it('a client with a wrong password is refused with wrong_password', async () => {
    const { s, v } = await createVerifierAndSalt(routines, identity, password);
    const { b, B } = server.challenge(v);
    const step2 = await clientProof('0'.repeat(64), B, s);
    assert.deepEqual(server.verify(v, b, B, step2.A, step2.M1), { ok: false, code: 'wrong_password' });
  });

  it('the server proof for one session does not satisfy the client of another', async () => {
    const { s, v } = await createVerifierAndSalt(routines, identity, password);
    const first = server.challenge(v);
    const second = server.challenge(v);
    const step2 = await clientProof(password, second.B, s);
    const other = await clientProof(password, first.B, s);
    const result = server.verify(v, first.b, first.B, other.A, other.M1);
    assert.equal(result.ok, true);
    if (result.ok) await assert.rejects(step2.step3(result.M2));
  });

  for (const [name, A] of [
    ['A = 0', () => 0n],
    ['A = N', () => server.group.N],
    ['A = 2N', () => 2n * server.group.N],
    ['A = 1', () => 1n],
    ['A = N - 1', () => server.group.N - 1n],
  ] as const) {
    it(`${name} is refused as invalid_srp_value`, async () => {
      const { v } = await createVerifierAndSalt(routines, identity, password);
      const { b, B } = server.challenge(v);
      const result = server.verify(v, b, B, A(), 123n);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.code, /invalid_srp_value|wrong_password/);
      if (A() % server.group.N === 0n || A() >= server.group.N)
        assert.deepEqual(result, { ok: false, code: 'invalid_srp_value' });
    });
  }
});
