/**
 * Where the worker's time goes per forwarded packet: one WebRtcTransport step of the benchmark
 * (webrtc-forwarder.ts) with the worker under valgrind's callgrind, instrumented only while
 * the publisher sends, so handshakes and start-up are not counted. Instruction counts are
 * repeatable on a shared machine, unlike time. Prints instructions per forwarded packet, by
 * library and for the costliest functions.
 *
 * Needs valgrind (Debian: apt-get install valgrind). Env: MEDIASOUP_WORKER_BIN (required),
 * CONCLAVE_PROFILE_SUBSCRIBERS (default 8), CONCLAVE_PROFILE_SECONDS (default 6),
 * CONCLAVE_PROFILE_VARIANT (shipped | gcm | no-feedback | remb; default shipped),
 * CONCLAVE_PROFILE_TOP (functions listed, default 25), CONCLAVE_PROFILE_OUT (keep the raw
 * callgrind file there, for callgrind_annotate --tree=caller or kcachegrind).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireWorkerBin } from '../src/testing/harness.ts';
import { Publisher, sleep } from './lib.ts';
import { type Variant, webRtcForwarder } from './webrtc-forwarder.ts';

const SUBSCRIBERS = Number(process.env.CONCLAVE_PROFILE_SUBSCRIBERS ?? 8);
const SECONDS = Number(process.env.CONCLAVE_PROFILE_SECONDS ?? 6);
const TOP = Number(process.env.CONCLAVE_PROFILE_TOP ?? 25);
const FEEDBACK = { nackShare: 0.01, pliIntervalMs: 10_000, downlinkEstimate: 'transport-cc' as const };
const VARIANTS: Record<string, Variant> = {
  shipped: { label: 'shipped', suite: 'AES_CM_128_HMAC_SHA1_80', feedback: FEEDBACK },
  gcm: { label: 'gcm', suite: 'AEAD_AES_128_GCM', feedback: FEEDBACK },
  'no-feedback': { label: 'no-feedback', suite: 'AES_CM_128_HMAC_SHA1_80' },
  remb: {
    label: 'remb',
    suite: 'AES_CM_128_HMAC_SHA1_80',
    feedback: { ...FEEDBACK, downlinkEstimate: 'remb' },
  },
};

interface Line {
  instructions: number;
  fn: string;
  object: string;
}

/** callgrind_annotate's per-function self counts, with the object file of each function. */
function annotate(file: string): { total: number; lines: Line[] } {
  const out = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const total = Number(
    out.match(/^([\d,]+)\s+(?:\([^)]*\)\s+)?PROGRAM TOTALS/m)?.[1]?.replaceAll(',', '') ?? 0,
  );
  const lines: Line[] = [];
  for (const match of out.matchAll(/^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?)(?:\s+\[([^\]]+)\])?$/gm)) {
    if (match[2]!.includes('PROGRAM TOTALS') || match[2]!.startsWith('file:function')) continue;
    lines.push({
      instructions: Number(match[1]!.replaceAll(',', '')),
      fn: match[2]!.replace(/^[^:]*:/, ''),
      object: (match[3] ?? '?').split('/').at(-1)!,
    });
  }
  return { total, lines };
}

async function main(): Promise<void> {
  requireWorkerBin();
  const variant = VARIANTS[process.env.CONCLAVE_PROFILE_VARIANT ?? 'shipped'];
  if (!variant)
    throw new Error(`CONCLAVE_PROFILE_VARIANT must be one of ${Object.keys(VARIANTS).join(', ')}`);
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('valgrind is not installed (Debian: apt-get install valgrind)');
  }
  const dir = mkdtempSync(join(tmpdir(), 'conclave-profile-'));
  // mediasoup runs the worker under valgrind when asked to (its Worker reads these at spawn).
  const forwarder = await webRtcForwarder(variant, {
    MEDIASOUP_USE_VALGRIND: 'true',
    MEDIASOUP_VALGRIND_OPTIONS: `--tool=callgrind --instr-atstart=no --callgrind-out-file=${join(dir, 'callgrind.out')}`,
  });
  const publisher = new Publisher(forwarder.ingressPort);
  let forwarded = 0;
  let worker = 0;
  let diagnostics: Awaited<ReturnType<typeof forwarder.diagnostics>> | undefined;
  try {
    await forwarder.subscribe(SUBSCRIBERS);
    worker = forwarder.workerPid();
    publisher.keyFrameNext();
    publisher.start();
    await sleep(1500);
    execFileSync('callgrind_control', ['--instr=on', String(worker)], { stdio: 'ignore' });
    const before = await forwarder.received();
    await sleep(SECONDS * 1000);
    const after = await forwarder.received();
    execFileSync('callgrind_control', ['--instr=off', String(worker)], { stdio: 'ignore' });
    forwarded = after - before;
    publisher.stop();
    diagnostics = await forwarder.diagnostics();
  } finally {
    publisher.close();
    await forwarder.close();
  }
  // callgrind writes its profile when the worker exits, which is after close() returns.
  for (let i = 0; i < 600 && worker && existsSync(`/proc/${worker}`); i++) await sleep(100);
  const file = readdirSync(dir).find((f) => f.startsWith('callgrind.out'));
  if (!file) throw new Error(`callgrind wrote no profile into ${dir}`);
  const { total, lines } = annotate(join(dir, file));
  if (process.env.CONCLAVE_PROFILE_OUT) copyFileSync(join(dir, file), process.env.CONCLAVE_PROFILE_OUT);
  rmSync(dir, { recursive: true, force: true });

  const perPacket = (n: number) => (n / Math.max(forwarded, 1)).toFixed(0).padStart(7);
  console.log(
    `callgrind profile of one worker: ${variant.label} (${variant.suite}, ${variant.feedback ? 'browser-like feedback' : 'no feedback'}), ` +
      `${SUBSCRIBERS} subscribers, ${SECONDS} s instrumented`,
  );
  console.log(`  worker's libsrtp: ${diagnostics?.srtpLibrary}`);
  console.log(`  packets forwarded (received by the clients): ${forwarded}`);
  console.log(`  instructions per forwarded packet: ${perPacket(total).trim()}\n`);
  const byObject = new Map<string, number>();
  for (const line of lines) byObject.set(line.object, (byObject.get(line.object) ?? 0) + line.instructions);
  console.log('By library (instructions per forwarded packet, share):');
  for (const [object, n] of [...byObject].sort((a, b) => b[1] - a[1]).slice(0, 8))
    console.log(`  ${perPacket(n)}  ${((n / total) * 100).toFixed(1).padStart(5)} %  ${object}`);
  console.log(`\nCostliest functions (self instructions per forwarded packet, share):`);
  for (const line of lines.slice(0, TOP))
    console.log(
      `  ${perPacket(line.instructions)}  ${((line.instructions / total) * 100).toFixed(1).padStart(5)} %  ` +
        `${line.fn.slice(0, 110)}  [${line.object}]`,
    );
}

await main();
