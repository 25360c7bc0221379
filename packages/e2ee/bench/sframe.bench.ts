/**
 * SFrame throughput in Node: encrypt + decrypt of one frame at a time (as in the media
 * pipeline), through the key store with cached keys, against raw WebCrypto AES-128-GCM
 * encrypt + decrypt of the same sizes measured in the same run.
 *
 *   node bench/sframe.bench.ts            (or: npm run bench -w @conclave/e2ee)
 */
import { FrameCryptor } from '../src/frame-transform/frame-cryptor.ts';
import { SFrameKeyStore } from '../src/sframe/key-store.ts';

const SIZES = [
  { label: 'audio 100 B', bytes: 100 },
  { label: 'video 1 KB', bytes: 1024 },
  { label: 'video 30 KB', bytes: 30 * 1024 },
];
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 0.15);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 8);

async function measureOnce(run: () => Promise<void>): Promise<number> {
  let frames = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i++) await run();
    frames += 50;
  }
  return frames / ((performance.now() - start) / 1000);
}

/** Best of ROUNDS interleaved rounds: the machine is shared, the best round is the least disturbed. */
async function measureAll(runs: (() => Promise<void>)[]): Promise<number[]> {
  for (const run of runs) for (let i = 0; i < 500; i++) await run(); // warm-up
  const best = runs.map(() => 0);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, run] of runs.entries()) best[i] = Math.max(best[i]!, await measureOnce(run));
  }
  return best;
}

const baseKey = crypto.getRandomValues(new Uint8Array(16));
const sender = new SFrameKeyStore();
const receiver = new SFrameKeyStore();
sender.installEpoch({ epoch: 1n, baseKey, groupSize: 8, selfLeafIndex: 3 });
receiver.installEpoch({ epoch: 1n, baseKey, groupSize: 8, selfLeafIndex: 5 });
const sendFrames = new FrameCryptor(sender);
const receiveFrames = new FrameCryptor(receiver);

const gcmKey = await crypto.subtle.importKey(
  'raw',
  crypto.getRandomValues(new Uint8Array(16)),
  'AES-GCM',
  false,
  ['encrypt', 'decrypt'],
);
const iv = new Uint8Array(12);
const aad = new Uint8Array(3);

const rows: string[][] = [];
for (const { label, bytes } of SIZES) {
  const payload = crypto.getRandomValues(new Uint8Array(bytes));
  payload[0] = 0x31; // a VP8 delta frame for the transform row
  const metadata = payload.subarray(0, 1);

  const [baseline, sframe, transform] = (await measureAll([
    async () => {
      const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, gcmKey, payload);
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, gcmKey, ct);
    },
    async () => {
      const ct = await sender.encrypt(1, metadata, payload);
      await receiver.decrypt(metadata, ct);
    },
    async () => {
      const wire = await sendFrames.encryptFrame(payload, 'vp8', 'camera');
      await receiveFrames.decryptFrame(wire!, 'vp8', { leafIndex: 3, context: 'camera' });
    },
  ])) as [number, number, number];
  const mb = (fps: number) => ((fps * bytes) / 1e6).toFixed(1);
  for (const [name, fps] of [
    ['WebCrypto AES-GCM (baseline)', baseline],
    ['SFrame key store', sframe],
    ['frame transform (VP8)', transform],
  ] as const) {
    rows.push([label, name, Math.round(fps).toString(), mb(fps), (fps / baseline).toFixed(2)]);
  }
}

const failures = receiveFrames.stats().decryptFailures;
if (Object.keys(failures).length > 0)
  throw new Error(`decryption failed during the benchmark: ${JSON.stringify(failures)}`);

console.log(
  `SFrame encrypt+decrypt, suite AES_128_GCM_SHA256_128, Node ${process.versions.node}, best of ${ROUNDS} x ${SECONDS}s`,
);
const header = ['frame', 'path', 'frames/s', 'MB/s', 'vs baseline'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) =>
  r.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
