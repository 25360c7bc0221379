/**
 * Consumers per worker over WebRtcTransport (ICE + DTLS + SRTP), against PlainTransport in the
 * same run.
 *
 * One publisher sends the 1 Mbps VP8 + 40 kbps Opus mix over plain RTP (ingest is not what is
 * measured). Each subscriber has its own WebRtcTransport on the worker's WebRtcServer port and
 * two consumers (audio + video). The subscribers are thin clients (webrtc-clients.ts, on their
 * own thread): a real ICE check and a real DTLS 1.2 handshake (werift-dtls) with SRTP key
 * export, after which they count the SRTP packets they get; a sample decrypts and
 * authenticates packets. So the worker does everything it does for a browser — STUN, DTLS,
 * SRTP encryption (AES-128-CM + HMAC-SHA1-80) per packet — except congestion control: the
 * thin clients send no RTCP or transport-cc feedback, so transport-cc/REMB are not negotiated.
 *
 * Then the same steps with PlainTransport subscribers, for CPU per consumer on both.
 *
 * Env: MEDIASOUP_WORKER_BIN (required), CONCLAVE_BENCH_STEP_MS (default 2500),
 * CONCLAVE_BENCH_MAX_SECONDS (default 170).
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Peer } from '../src/rtc/peer.ts';
import { requireWorkerBin } from '../src/testing/harness.ts';
import {
  consumeAll,
  type Forwarder,
  LOSS_LIMIT,
  measure,
  pctCore,
  plainForwarder,
  printMachine,
  publishMix,
  type StepResult,
  startBenchSfu,
  summarize,
} from './lib.ts';
import type { ClientTarget } from './webrtc-clients.ts';

const STEP_MS = Number(process.env.CONCLAVE_BENCH_STEP_MS ?? 2500);
const MAX_SECONDS = Number(process.env.CONCLAVE_BENCH_MAX_SECONDS ?? 170);
const STEPS = [50, 100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500];

class Clients {
  readonly #thread = new Worker(new URL('./webrtc-clients.ts', import.meta.url));

  async #ask<T>(message: unknown): Promise<T> {
    this.#thread.postMessage(message);
    const [reply] = (await once(this.#thread, 'message')) as [T];
    return reply;
  }

  async fingerprint(): Promise<string> {
    return (await this.#ask<{ fingerprint: string }>({ op: 'init' })).fingerprint;
  }

  connect(targets: ClientTarget[]) {
    return this.#ask<{ connected: number; failed: number; firstError?: string; ms: number }>({
      op: 'connect',
      targets,
    });
  }

  snapshot() {
    return this.#ask<{ packets: number; verified: number; verifyFailed: number }>({ op: 'snapshot' });
  }

  async close(): Promise<void> {
    this.#thread.postMessage({ op: 'close' });
    await this.#thread.terminate();
  }
}

interface HandshakeStats {
  connected: number;
  failed: number;
  ms: number;
  firstError?: string;
}

async function webRtcForwarder(): Promise<Forwarder & { handshakes: HandshakeStats; clients: Clients }> {
  const bench = await startBenchSfu({ workers: 1, routerMaxPeers: 100_000 });
  const clients = new Clients();
  const fingerprint = await clients.fingerprint();
  const mix = await publishMix(bench.join());
  const subscribers: Peer[] = [];
  const handshakes: HandshakeStats = { connected: 0, failed: 0, ms: 0 };
  return {
    clients,
    handshakes,
    name: 'mediasoup worker, WebRtcTransport subscribers (ICE + DTLS + SRTP)',
    ingressPort: mix.port,
    async subscribe(total) {
      const targets: ClientTarget[] = [];
      while (subscribers.length < total) {
        const peer = bench.join();
        const transport = await peer.createWebRtcTransport('recv');
        await peer.connectWebRtcTransport({
          transportId: transport.transportId,
          dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: fingerprint }] },
        });
        await consumeAll(peer, transport.transportId, mix.producerIds);
        const udp = transport.iceCandidates.find((c) => c.protocol === 'udp')!;
        targets.push({ ip: udp.ip, port: udp.port, ...transport.iceParameters });
        subscribers.push(peer);
      }
      const result = await clients.connect(targets);
      handshakes.connected += result.connected;
      handshakes.failed += result.failed;
      handshakes.ms += result.ms;
      handshakes.firstError ??= result.firstError;
      if (result.failed > 0)
        console.log(
          `  ${result.failed} of ${targets.length} clients failed to connect: ${result.firstError}`,
        );
    },
    received: async () => (await clients.snapshot()).packets,
    cpuMs: async () => bench.cpuMs(),
    async close() {
      await clients.close();
      await bench.close();
    },
  };
}

/** The step both runs passed at the largest subscriber count, for a like-for-like CPU comparison. */
function common(a: StepResult[], b: StepResult[]): [StepResult, StepResult] | undefined {
  const passing = (r: StepResult) => r.loss < LOSS_LIMIT;
  for (const x of [...a].reverse()) {
    const y = b.find((r) => r.subscribers === x.subscribers);
    if (y && passing(x) && passing(y)) return [x, y];
  }
  return undefined;
}

async function main(): Promise<void> {
  requireWorkerBin();
  const deadline = Date.now() + MAX_SECONDS * 1000;
  printMachine();
  console.log(
    `WebRtcTransport benchmark: 1 publisher (1 Mbps VP8 + 40 kbps Opus), 2 consumers per subscriber, ` +
      `${STEP_MS} ms per step, pass = loss < ${LOSS_LIMIT * 100} %\n`,
  );
  const webrtc = await webRtcForwarder();
  console.log(`${webrtc.name}:`);
  let webrtcResults: StepResult[];
  let srtp: { verified: number; verifyFailed: number };
  try {
    webrtcResults = await measure(webrtc, {
      steps: STEPS,
      stepMs: STEP_MS,
      deadline: Date.now() + (deadline - Date.now()) * 0.65,
    });
    srtp = await webrtc.clients.snapshot();
  } finally {
    await webrtc.close();
  }
  const h = webrtc.handshakes;
  console.log(
    `  ICE + DTLS handshakes: ${h.connected} ok, ${h.failed} failed, ${(h.ms / Math.max(h.connected, 1)).toFixed(1)} ms each ` +
      `(16 in parallel); SRTP packets decrypted and authenticated by sampled clients: ${srtp.verified} ok, ${srtp.verifyFailed} failed\n`,
  );

  // PlainTransport at the same counts, up to the largest WebRTC step.
  const plain = await plainForwarder({
    name: 'mediasoup worker, PlainTransport subscribers',
    workers: 1,
    routerMaxPeers: 100_000,
  });
  console.log(`${plain.name} (same steps):`);
  let plainResults: StepResult[];
  try {
    const last = webrtcResults.at(-1)?.subscribers ?? STEPS[0]!;
    plainResults = await measure(plain, {
      steps: STEPS.filter((s) => s <= last),
      stepMs: STEP_MS,
      deadline,
    });
  } finally {
    await plain.close();
  }

  const w = summarize('webrtc', webrtcResults);
  console.log('\nWebRtcTransport (DTLS/SRTP), one worker:');
  console.log(
    `  subscribers at < 1 % loss (measured):  ${w.maxSubscribers} = ${w.maxSubscribers * 2} consumers` +
      (w.saturated ? '' : ' (largest step reached; not saturated)'),
  );
  console.log(
    `  largest count held (all connected):   ${h.connected} subscribers = ${h.connected * 2} consumers`,
  );
  console.log(`  CPU per consumer:                      ${pctCore(w.cpuPerSubscriber / 2)}`);
  console.log(
    `  consumers per worker core, EXTRAPOLATED from CPU per consumer: ${Math.floor(2 / w.cpuPerSubscriber)}`,
  );
  const pair = common(webrtcResults, plainResults);
  if (pair) {
    const [a, b] = pair;
    const perA = a.cpu / a.subscribers / 2;
    const perB = b.cpu / b.subscribers / 2;
    console.log(`\nSame count (${a.subscribers} subscribers, ${a.subscribers * 2} consumers):`);
    console.log(`  CPU per consumer, WebRtcTransport:  ${pctCore(perA)}`);
    console.log(`  CPU per consumer, PlainTransport:   ${pctCore(perB)}`);
    console.log(`  WebRtcTransport / PlainTransport:   ${(perA / perB).toFixed(2)}×`);
    console.log(
      `  packets/s per core, WebRtc / Plain: ${Math.round(a.forwardedPps / a.cpu)} / ${Math.round(b.forwardedPps / b.cpu)}`,
    );
  }
  console.log(`\nmediasoup's documentation estimates ~500 consumers per worker; target ≥ 500.`);
}

await main();
