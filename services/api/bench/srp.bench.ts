/**
 * SRP-6a server handshakes per second on one core: the API's OpenSSL-backed server against the
 * stock tssrp6a server routines, measured in the same run on the same inputs. Only server work
 * is timed; client proofs are computed outside the timed region.
 *   node services/api/bench/srp.bench.ts        (BENCH_QUICK=1 for a short run)
 */
import { createDiffieHellman, createHash, randomBytes } from 'node:crypto';
import { createVerifierAndSalt, SRPParameters, SRPRoutines, SRPServerSession } from 'tssrp6a';
import {
  fromBytes,
  multiplier,
  SRP_GROUP_2048_SHA512,
  scrambler,
  toBytes,
  toPaddedBytes,
} from '../src/srp/srp-group.ts';
import { SrpServer } from '../src/srp/srp-server.ts';

const quick = process.env.BENCH_QUICK === '1';
const group = SRP_GROUP_2048_SHA512;
const routines = new SRPRoutines(new SRPParameters());
const identity = 'ABCDEFGHJK';
const password = randomBytes(32).toString('hex');
const { s: salt, v: verifier } = await createVerifierAndSalt(routines, identity, password);

// A client on OpenSSL modexp too, so preparing thousands of proofs does not dominate the run.
const dh = createDiffieHellman(toPaddedBytes(group.N, group.byteLength), toBytes(group.g));
const H = (...parts: Uint8Array[]) => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return fromBytes(h.digest());
};
const x = H(toBytes(salt), createHash('sha512').update(password).digest());
const k = multiplier(group);
function clientProof(B: bigint): { A: bigint; M1: bigint } {
  const a = fromBytes(randomBytes(32));
  dh.setPrivateKey(toBytes(a));
  dh.generateKeys();
  const A = fromBytes(dh.getPublicKey());
  const u = scrambler(group, A, B);
  dh.setPrivateKey(toBytes(x));
  dh.generateKeys();
  const gx = fromBytes(dh.getPublicKey());
  const base = (((B - ((k * gx) % group.N)) % group.N) + group.N) % group.N;
  dh.setPrivateKey(toBytes(a + u * x));
  const S = fromBytes(dh.computeSecret(toPaddedBytes(base, group.byteLength)));
  return { A, M1: H(toBytes(A), toBytes(B), toBytes(S)) };
}

async function measureProject(count: number): Promise<number> {
  const server = new SrpServer(group);
  let serverMs = 0;
  for (let i = 0; i < count; i++) {
    let t = performance.now();
    const { b, B } = server.challenge(verifier);
    serverMs += performance.now() - t;
    const { A, M1 } = clientProof(B);
    t = performance.now();
    const result = server.verify(verifier, b, B, A, M1);
    serverMs += performance.now() - t;
    if (!result.ok) throw new Error('project server refused a valid proof');
  }
  return serverMs / count;
}

async function measureStock(count: number): Promise<number> {
  let serverMs = 0;
  for (let i = 0; i < count; i++) {
    let t = performance.now();
    const step1 = await new SRPServerSession(routines).step1(identity, salt, verifier);
    serverMs += performance.now() - t;
    const { A, M1 } = clientProof(step1.B);
    t = performance.now();
    await step1.step2(A, M1);
    serverMs += performance.now() - t;
  }
  return serverMs / count;
}

await measureProject(20); // warm-up
await measureStock(2);
const projectMs = await measureProject(quick ? 200 : 2000);
const stockMs = await measureStock(quick ? 5 : 30);
const rate = (ms: number) => (1000 / ms).toFixed(0);
console.log('SRP-6a server handshakes, 2048-bit group, SHA-512, one core');
console.log(`  stock tssrp6a server:   ${stockMs.toFixed(2)} ms/handshake  ${rate(stockMs)} handshakes/s`);
console.log(
  `  Conclave SrpServer:     ${projectMs.toFixed(3)} ms/handshake  ${rate(projectMs)} handshakes/s`,
);
console.log(`  ratio: ${(stockMs / projectMs).toFixed(1)}x faster (target ≥ 500 handshakes/s/core)`);
