/**
 * The WebRtcTransport forwarder of the SFU benchmarks: one worker (optionally loaded with
 * another libsrtp), one publisher of the 1 Mbps VP8 + Opus mix, and subscribers that are thin
 * WebRTC clients (webrtc-clients.ts) offering one SRTP suite, with or without browser-like
 * feedback. Used by webrtc.bench.ts and profile.ts.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { types } from 'mediasoup';
import type { Peer } from '../src/rtc/peer.ts';
import { plainReceiverCapabilities } from '../src/testing/media.ts';
import { type EventLoopUtilization, type Forwarder, publishMix, startBenchSfu } from './lib.ts';
import type { ClientOptions, ClientTarget, FeedbackOptions, SrtpSuite } from './webrtc-clients.ts';

const TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/** The thin clients' thread (webrtc-clients.ts). */
class Clients {
  readonly #thread = new Worker(new URL('./webrtc-clients.ts', import.meta.url));

  async #ask<T>(message: unknown): Promise<T> {
    this.#thread.postMessage(message);
    const [reply] = (await once(this.#thread, 'message')) as [T];
    return reply;
  }

  async init(options: ClientOptions): Promise<string> {
    return (await this.#ask<{ fingerprint: string }>({ op: 'init', options })).fingerprint;
  }

  connect(targets: ClientTarget[]) {
    return this.#ask<{ connected: number; failed: number; firstError?: string; ms: number }>({
      op: 'connect',
      targets,
    });
  }

  async loop(): Promise<EventLoopUtilization> {
    return (await this.#ask<{ loop: EventLoopUtilization }>({ op: 'loop' })).loop;
  }

  snapshot() {
    return this.#ask<{
      packets: number;
      retransmitted: number;
      feedbackSent: number;
      verified: number;
      verifyFailed: number;
    }>({ op: 'snapshot' });
  }

  async close(): Promise<void> {
    this.#thread.postMessage({ op: 'close' });
    await this.#thread.terminate();
  }
}

export interface Variant {
  label: string;
  suite: SrtpSuite;
  /** Undefined: the clients send no RTCP and consume without transport-cc, NACK or RTX. */
  feedback?: FeedbackOptions;
  /** A directory put ahead of the worker's RUNPATH, to load another libsrtp2.so.1. */
  libraryPath?: string;
}

/** The libsrtp a running worker mapped, and whether NSS came with it. */
export function srtpLibraryOf(pid: number): string {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  const srtp = maps.match(/\s(\/\S*libsrtp2\.so\S*)/)?.[1] ?? 'libsrtp2 not found';
  return `${srtp} (${/libnss3\.so/.test(maps) ? 'NSS' : 'OpenSSL'})`;
}

/** The directory of Debian's libsrtp2.so.1 (built against NSS), if the package is installed. */
export function debianSrtpDirectory(): string | undefined {
  try {
    const cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
    const path = cache.match(/libsrtp2\.so\.1 \(.*\) => (\S+)/)?.[1];
    return path && existsSync(path) ? dirname(path) : undefined;
  } catch {
    return undefined;
  }
}

export interface Diagnostics {
  handshakes: { connected: number; failed: number; ms: number; firstError?: string };
  srtpLibrary: string;
  /** One sample video consumer and its transport, as the worker saw them. */
  sample?: { nackCount: number; pliCount: number; retransmitted: number; outgoingBitrate?: number };
  clients?: Awaited<ReturnType<Clients['snapshot']>>;
}

/**
 * What Chromium's receiver negotiates out of the router's capabilities (its SDP offers no audio
 * NACK, no frame marking and no abs-capture-time), so the worker keeps no retransmission
 * buffer for audio and writes no header extension a browser would not get.
 */
export function chromiumCapabilities(
  router: types.RtpCapabilities,
  downlinkEstimate: FeedbackOptions['downlinkEstimate'] = 'transport-cc',
): types.RtpCapabilities {
  const unsupported = ['framemarking', 'abs-capture-time'];
  // A REMB receiver: what a browser negotiates when the SFU leaves transport-cc out.
  if (downlinkEstimate === 'remb') unsupported.push('transport-wide-cc');
  return {
    codecs: router.codecs?.map((codec) => ({
      ...codec,
      rtcpFeedback: codec.rtcpFeedback?.filter(
        (fb) =>
          !(codec.kind === 'audio' && fb.type === 'nack') &&
          !(downlinkEstimate === 'remb' && fb.type === 'transport-cc'),
      ),
    })),
    headerExtensions: router.headerExtensions?.filter(
      (ext) => !unsupported.some((name) => ext.uri.includes(name)),
    ),
  };
}

/**
 * Runs `start` with `vars` added to the environment, which the mediasoup worker inherits when
 * it is spawned, and puts the environment back afterwards.
 */
async function withWorkerEnv<T>(vars: Record<string, string>, start: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await start();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * One worker whose subscribers are thin WebRTC clients, set up as `variant` says; `workerEnv`
 * goes to the worker's environment too (e.g. mediasoup's valgrind switches).
 */
export async function webRtcForwarder(
  variant: Variant,
  workerEnv: Record<string, string> = {},
): Promise<Forwarder & { diagnostics(): Promise<Diagnostics>; workerPid(): number }> {
  const bench = await withWorkerEnv(
    { ...workerEnv, ...(variant.libraryPath ? { LD_LIBRARY_PATH: variant.libraryPath } : {}) },
    () => startBenchSfu({ workers: 1, routerMaxPeers: 100_000 }),
  );
  const clients = new Clients();
  const fingerprint = await clients.init({ suite: variant.suite, feedback: variant.feedback });
  const publisher = bench.join();
  const mix = await publishMix(publisher);
  const subscribers: Peer[] = [];
  const handshakes: Diagnostics['handshakes'] = { connected: 0, failed: 0, ms: 0 };
  const { router } = await publisher.room.routerOf(publisher);
  let sampleTransport: types.Transport | undefined;
  router.observer.on('newtransport', (transport) => {
    if (!sampleTransport && 'iceState' in transport) sampleTransport = transport;
  });
  // A browser's capabilities when feedback is on; without it, none of the feedback mechanisms.
  const capabilities = (
    variant.feedback
      ? chromiumCapabilities(router.rtpCapabilities, variant.feedback.downlinkEstimate)
      : plainReceiverCapabilities(router.rtpCapabilities)
  ) as never;
  let samplePeer: Peer | undefined;
  return {
    name: variant.label,
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
        const consumed: types.RtpParameters[] = [];
        for (const producerId of mix.producerIds) {
          const consumer = await peer.consume({
            transportId: transport.transportId,
            producerId,
            rtpCapabilities: capabilities,
          });
          await peer.consumers.resume(consumer.consumerId);
          consumed.push(consumer.rtpParameters as types.RtpParameters);
        }
        const [video, audio] = consumed as [types.RtpParameters, types.RtpParameters];
        const udp = transport.iceCandidates.find((c) => c.protocol === 'udp')!;
        targets.push({
          ip: udp.ip,
          port: udp.port,
          ...transport.iceParameters,
          videoSsrc: video.encodings![0]!.ssrc!,
          videoRtxSsrc: video.encodings![0]!.rtx?.ssrc,
          audioSsrc: audio.encodings![0]!.ssrc!,
          transportCcId: video.headerExtensions?.find((e) => e.uri === TRANSPORT_CC)?.id,
        });
        subscribers.push(peer);
        samplePeer ??= peer;
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
    receiverLoop: () => clients.loop(),
    workerPid: () => bench.sfu.pool.slots()[0]!.worker.pid,
    async diagnostics() {
      const diagnostics: Diagnostics = {
        handshakes,
        srtpLibrary: srtpLibraryOf(bench.sfu.pool.slots()[0]!.worker.pid),
        clients: await clients.snapshot(),
      };
      const video = samplePeer?.consumers.list().find((c) => c.kind === 'video');
      if (video) {
        const stats = (await video.getStats()).find((s) => s.type === 'outbound-rtp');
        const transportStats = (await sampleTransport?.getStats())?.[0];
        diagnostics.sample = {
          nackCount: stats?.nackCount ?? 0,
          pliCount: stats?.pliCount ?? 0,
          retransmitted: stats?.packetsRetransmitted ?? 0,
          outgoingBitrate: transportStats?.availableOutgoingBitrate,
        };
      }
      return diagnostics;
    },
    async close() {
      await clients.close();
      await bench.close();
    },
  };
}
