/**
 * Long file: the benchmarks' shared publisher, receiver and stepping loop belong together.
 * Shared pieces of the SFU benchmarks: the paced 1 Mbps VP8 + Opus publisher, the plain-RTP
 * receiver thread, an SFU started for benchmarking, worker CPU from /proc, and the stepped
 * "add subscribers until loss reaches 1 %" measurement.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { createLogger } from '@conclave/runtime';
import type { Peer } from '../src/rtc/peer.ts';
import { type SfuServer, startSfu } from '../src/server.ts';
import {
  freePortBase,
  RecordingConnection,
  randomId,
  requireWorkerBin,
  TestTokens,
} from '../src/testing/harness.ts';
import { OPUS_PT, opusParameters, plainReceiverCapabilities, VP8_PT } from '../src/testing/media.ts';
import { opusEncryptedPayload, RtpSender, vp8EncryptedPayload, writeRtp } from '../src/testing/rtp.ts';

export const VIDEO_PPS = 120; // 1 Mbps: 30 fps × 4 packets × ~1040 bytes
export const VIDEO_PACKET = 1040;
export const AUDIO_PPS = 50; // 40 kbps: 100-byte packets every 20 ms
export const AUDIO_PACKET = 100;
export const VIDEO_SSRC = 0x5555_0000;
export const AUDIO_SSRC = 0x6666_0000;
export const LOSS_LIMIT = 0.01;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function printMachine(): void {
  console.log(
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} on ${availableParallelism()} cores`,
  );
}

/** Paced sender of the publisher mix; payloads are prebuilt so sending costs almost nothing. */
export class Publisher {
  readonly #sender: RtpSender;
  readonly #key = vp8EncryptedPayload({
    keyFrame: true,
    pictureId: 0,
    tl0PicIdx: 0,
    tid: 0,
    size: VIDEO_PACKET,
  });
  readonly #delta = vp8EncryptedPayload({
    keyFrame: false,
    pictureId: 1,
    tl0PicIdx: 0,
    tid: 0,
    size: VIDEO_PACKET,
  });
  readonly #rest = vp8EncryptedPayload({
    keyFrame: false,
    pictureId: 1,
    tl0PicIdx: 0,
    tid: 0,
    size: VIDEO_PACKET,
    start: false,
  });
  readonly #audio = opusEncryptedPayload(AUDIO_PACKET);
  #timer: NodeJS.Timeout | undefined;
  #videoSeq = 0;
  #audioSeq = 0;
  #forceKey = true;
  sent = 0;

  constructor(port: number) {
    this.#sender = new RtpSender('127.0.0.1', port);
  }

  start(): void {
    const began = performance.now();
    let video = 0;
    let audio = 0;
    this.#timer = setInterval(() => {
      const elapsed = (performance.now() - began) / 1000;
      for (; video < Math.floor(elapsed * VIDEO_PPS); video++) this.#sendVideo();
      for (; audio < Math.floor(elapsed * AUDIO_PPS); audio++) this.#sendAudio();
    }, 5);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  keyFrameNext(): void {
    this.#forceKey = true;
  }

  #sendVideo(): void {
    const n = this.#videoSeq++;
    const first = n % 4 === 0;
    const frame = Math.floor(n / 4);
    const key = first && (this.#forceKey || frame % 60 === 0);
    if (key) this.#forceKey = false;
    const payload = !first ? this.#rest : key ? this.#key : this.#delta;
    const header = {
      payloadType: VP8_PT,
      sequenceNumber: n,
      timestamp: frame * 3000,
      ssrc: VIDEO_SSRC,
      marker: n % 4 === 3,
    };
    this.#sender.send(writeRtp(header, payload));
    this.sent++;
  }

  #sendAudio(): void {
    const n = this.#audioSeq++;
    this.#sender.send(
      writeRtp(
        { payloadType: OPUS_PT, sequenceNumber: n, timestamp: n * 960, ssrc: AUDIO_SSRC },
        this.#audio,
      ),
    );
    this.sent++;
  }

  close(): void {
    this.stop();
    this.#sender.close();
  }
}

/** Plain-RTP receiving sockets on their own thread (see receivers.ts). */
export class Receivers {
  readonly #thread = new Worker(new URL('./receivers.ts', import.meta.url));

  async open(count: number): Promise<number[]> {
    this.#thread.postMessage({ op: 'open', count });
    const [reply] = (await once(this.#thread, 'message')) as [{ ports: number[] }];
    return reply.ports;
  }

  async snapshot(): Promise<{ packets: number; perSocket: number[] }> {
    this.#thread.postMessage({ op: 'snapshot' });
    const [reply] = (await once(this.#thread, 'message')) as [{ packets: number; perSocket: number[] }];
    return reply;
  }

  async packets(): Promise<number> {
    return (await this.snapshot()).packets;
  }

  async loop(): Promise<EventLoopUtilization> {
    this.#thread.postMessage({ op: 'loop' });
    const [reply] = (await once(this.#thread, 'message')) as [{ loop: EventLoopUtilization }];
    return reply.loop;
  }

  async close(): Promise<void> {
    this.#thread.postMessage({ op: 'close' });
    await this.#thread.terminate();
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at ")"; utime and stime are
  // fields 14 and 15 of the whole line, i.e. 12 and 13 after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

export interface BenchSfu {
  sfu: SfuServer;
  join(): Peer;
  /** Summed CPU time of the workers, ms. */
  cpuMs(): number;
  close(): Promise<void>;
}

/** An SFU with `workers` workers, one room, peers joined directly (no WebSocket). */
/** `audibleSpeakers`: microphones forwarded at once; by default more than any benchmark has. */
export async function startBenchSfu(options: {
  workers: number;
  routerMaxPeers: number;
  audibleSpeakers?: number;
}): Promise<BenchSfu> {
  const tokens = new TestTokens();
  const rangeBase = 30000 + Math.floor(Math.random() * 3) * 10000;
  const sfu = await startSfu(
    {
      host: '127.0.0.1',
      port: 0,
      publicUrl: 'ws://127.0.0.1/v1/sfu',
      nodeId: 'bench',
      workers: options.workers,
      rtc: {
        listenIp: '127.0.0.1',
        portBase: await freePortBase(options.workers),
        minPort: rangeBase,
        maxPort: rangeBase + 9999,
        initialOutgoingBitrate: 1_000_000,
      },
      routerMaxPeers: options.routerMaxPeers,
      roomMaxPeers: 10_000,
      // The forwarding cost is measured for every microphone, as without a limit.
      audibleSpeakers: options.audibleSpeakers ?? 64,
      maxMessageBytes: 16384,
      helloTimeoutMs: 5000,
      drainTimeoutMs: 0,
      joinTokenPublicKeys: [tokens.publicKeyPem],
      logLevel: 'silent',
      workerBin: requireWorkerBin(),
    },
    { log: createLogger({ service: 'sfu', level: 'silent' }) },
  );
  const room = randomId();
  return {
    sfu,
    join: () => sfu.rooms.join(tokens.claims({ room }), new RecordingConnection()),
    cpuMs: () => sfu.pool.slots().reduce((sum, slot) => sum + processCpuMs(slot.worker.pid), 0),
    close: () => sfu.close(),
  };
}

/** Consumes each producer on `transportId` with plain-RTP receiver capabilities, resumed at once. */
export async function consumeAll(peer: Peer, transportId: string, producerIds: string[]): Promise<void> {
  const caps = plainReceiverCapabilities((await peer.room.routerOf(peer)).router.rtpCapabilities) as never;
  for (const producerId of producerIds) {
    const consumer = await peer.consume({ transportId, producerId, rtpCapabilities: caps });
    await peer.consumers.resume(consumer.consumerId);
  }
}

/** Publishes the 1 Mbps VP8 + Opus mix from `peer` over a plain transport (comedia). */
export async function publishMix(peer: Peer) {
  const ingress = await peer.openPlainTransport('send');
  const video = await peer.produce({
    transportId: ingress.id,
    kind: 'video',
    source: 'camera',
    rtpParameters: {
      codecs: [
        {
          mimeType: 'video/VP8',
          payloadType: VP8_PT,
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack', parameter: 'pli' }],
        },
      ],
      encodings: [{ ssrc: VIDEO_SSRC }],
    },
  });
  const audio = await peer.produce({
    transportId: ingress.id,
    kind: 'audio',
    source: 'mic',
    rtpParameters: opusParameters(AUDIO_SSRC) as never,
  });
  return { port: ingress.tuple.localPort, producerIds: [video.producerId, audio.producerId] };
}

/** A forwarder under test: where the publisher sends, how to add subscribers, what they got. */
export interface Forwarder {
  name: string;
  ingressPort: number;
  /** Grows to `total` subscribers of the publisher mix. */
  subscribe(total: number): Promise<void>;
  /** RTP packets received by all subscribers so far. */
  received(): Promise<number>;
  /** CPU time of the forwarding process(es), ms. */
  cpuMs(): Promise<number>;
  /**
   * The receiving thread's event-loop time so far (performance.eventLoopUtilization()), so a
   * step can say when the receivers, not the forwarder, were the limit.
   */
  receiverLoop?(): Promise<EventLoopUtilization>;
  close(): Promise<void>;
}

export type { EventLoopUtilization };

export interface StepResult {
  subscribers: number;
  loss: number;
  forwardedPps: number;
  /** Forwarder CPU, fraction of one core. */
  cpu: number;
  /** How busy the receiving thread was while the publisher sent, 0–1, when known. */
  receiverBusy?: number;
}

export interface MeasureOptions {
  steps: readonly number[];
  stepMs: number;
  deadline: number;
}

/** One measured step at the current subscriber count (warm-up, then `stepMs` of sending). */
export async function step(
  forwarder: Forwarder,
  publisher: Publisher,
  subscribers: number,
  stepMs: number,
): Promise<StepResult> {
  // Warm-up with a key frame so new subscribers are in sync before counting.
  publisher.keyFrameNext();
  publisher.start();
  await sleep(500);
  publisher.stop();
  await sleep(300);
  const received0 = await forwarder.received();
  const sent0 = publisher.sent;
  const cpu0 = await forwarder.cpuMs();
  const loop0 = await forwarder.receiverLoop?.();
  const t0 = performance.now();
  publisher.start();
  await sleep(stepMs);
  publisher.stop();
  const sending = (performance.now() - t0) / 1000;
  const cpu1 = await forwarder.cpuMs();
  const loop1 = await forwarder.receiverLoop?.();
  const sampled = (performance.now() - t0) / 1000;
  await sleep(300);
  const received = (await forwarder.received()) - received0;
  const expected = (publisher.sent - sent0) * subscribers;
  return {
    subscribers,
    loss: Math.max(0, 1 - received / expected),
    forwardedPps: received / sending,
    cpu: (cpu1 - cpu0) / 1000 / sampled,
    receiverBusy: loop0 && loop1 ? performance.eventLoopUtilization(loop1, loop0).utilization : undefined,
  };
}

export function formatStep(result: StepResult): string {
  return (
    `  ${String(result.subscribers).padStart(4)} subscribers  loss ${(result.loss * 100).toFixed(2).padStart(6)} %  ` +
    `${Math.round(result.forwardedPps).toString().padStart(7)} pkt/s out  CPU ${(result.cpu * 100).toFixed(1).padStart(5)} % of a core  ` +
    `${Math.round(result.forwardedPps / Math.max(result.cpu, 1e-6))
      .toString()
      .padStart(8)} pkt/s per core` +
    (result.receiverBusy === undefined ? '' : `  receivers ${Math.round(result.receiverBusy * 100)} % busy`)
  );
}

/** Adds subscribers step by step until loss reaches LOSS_LIMIT, the steps run out or time does. */
export async function measure(forwarder: Forwarder, options: MeasureOptions): Promise<StepResult[]> {
  const publisher = new Publisher(forwarder.ingressPort);
  const results: StepResult[] = [];
  try {
    for (const subscribers of options.steps) {
      if (Date.now() + options.stepMs + 2000 > options.deadline) {
        console.log(`  (time budget reached before ${subscribers} subscribers)`);
        break;
      }
      await forwarder.subscribe(subscribers);
      // The machine is shared: a failing step is measured once more before it counts.
      let result = await step(forwarder, publisher, subscribers, options.stepMs);
      if (result.loss >= LOSS_LIMIT) {
        const again = await step(forwarder, publisher, subscribers, options.stepMs);
        if (again.loss < result.loss) result = again;
      }
      results.push(result);
      console.log(formatStep(result));
      if (result.loss >= LOSS_LIMIT) break;
    }
  } finally {
    publisher.close();
  }
  return results;
}

export interface Summary {
  name: string;
  maxSubscribers: number;
  saturated: boolean;
  ppsPerCore: number;
  cpuPerSubscriber: number;
  projected: number;
}

export function summarize(name: string, results: StepResult[]): Summary {
  const passing = results.filter((r) => r.loss < LOSS_LIMIT);
  const best = passing.at(-1);
  // CPU per subscriber and packets per core from the largest passing step (fixed costs amortised).
  const cpuPerSubscriber = best ? best.cpu / best.subscribers : Number.NaN;
  return {
    name,
    maxSubscribers: best?.subscribers ?? 0,
    saturated: results.some((r) => r.loss >= LOSS_LIMIT),
    ppsPerCore: best ? best.forwardedPps / Math.max(best.cpu, 1e-6) : 0,
    cpuPerSubscriber,
    projected: best ? Math.floor(1 / cpuPerSubscriber) : 0,
  };
}

export const pctCore = (x: number) => `${(x * 100).toFixed(3)} % of a core`;

/** The plain-RTP mediasoup forwarder: every subscriber gets its own PlainTransport. */
export async function plainForwarder(options: {
  name: string;
  workers: number;
  routerMaxPeers: number;
  receiverSockets?: number;
  /** Receiving threads (the sockets are spread over them); default 1. */
  receiverThreads?: number;
}): Promise<Forwarder & { bench: BenchSfu; subscribers(): readonly Peer[] }> {
  const bench = await startBenchSfu(options);
  const threads = Array.from({ length: options.receiverThreads ?? 1 }, () => new Receivers());
  const perThread = Math.ceil((options.receiverSockets ?? 16) / threads.length);
  const ports = (await Promise.all(threads.map((t) => t.open(perThread)))).flat();
  const publisher = bench.join();
  const mix = await publishMix(publisher);
  const subscribers: Peer[] = [];
  return {
    bench,
    subscribers: () => subscribers,
    name: options.name,
    ingressPort: mix.port,
    async subscribe(total) {
      // Shrinking closes the newest subscribers, so a room spread over workers stays balanced.
      while (subscribers.length > total) subscribers.pop()!.close();
      while (subscribers.length < total) {
        const peer = bench.join();
        const transport = await peer.openPlainTransport('recv');
        await transport.connect({ ip: '127.0.0.1', port: ports[subscribers.length % ports.length]! });
        await consumeAll(peer, transport.id, mix.producerIds);
        subscribers.push(peer);
      }
    },
    received: async () => (await Promise.all(threads.map((t) => t.packets()))).reduce((a, b) => a + b, 0),
    cpuMs: async () => bench.cpuMs(),
    // One thread's view is enough to tell whether receiving kept up.
    receiverLoop: () => threads[0]!.loop(),
    async close() {
      await Promise.all(threads.map((t) => t.close()));
      await bench.close();
    },
  };
}
