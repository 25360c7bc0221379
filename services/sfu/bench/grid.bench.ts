/**
 * A 50-publisher room on one node: every participant publishes 3-layer simulcast VP8 and Opus
 * and consumes everybody else (50 × 49 video + 50 × 49 audio consumers), in "grid view": every
 * video consumer on the low layer except the active speaker's, which everybody watches on the
 * high layer (the speaker watches the previous speaker on the high layer).
 *
 * Publishers send over PlainTransport RTP on 127.0.0.1: per frame (30 fps, L1T3 temporal
 * pattern, key frame every 2 s, sender reports every second) 1 packet of 625 bytes on the low
 * layer (~150 kbps), 2 × 1040 on the middle (~500 kbps) and 6 × 1040 on the high (~1.5 Mbps),
 * SFrame-like payloads behind the clear VP8 prefix. Audio: the active speaker sends Opus at 50
 * packets/s (100 bytes); the others send what a silent unmuted WebRTC client with Opus DTX
 * sends, one packet every 400 ms (CONCLAVE_GRID_AUDIO=all makes everyone send 50 packets/s).
 * Subscribers receive on PlainTransports (one per participant, one UDP socket each).
 *
 * The room spreads over the node's two workers (SFU_ROUTER_MAX_PEERS = 25: 25 participants
 * per worker, the publishers of the other half piped in over pipe transports, src/rtc/pipes.ts).
 *
 * Reported: loss per subscriber (against what the senders sent on the layers each subscriber
 * should get), forwarded packets/s, worker CPU from /proc/<pid>/stat.
 *
 * Env: MEDIASOUP_WORKER_BIN (required), CONCLAVE_GRID_PEERS (default 50),
 * CONCLAVE_GRID_SECONDS (measured window, default 15), CONCLAVE_GRID_AUDIO (dtx | all).
 */
import type { Peer } from '../src/rtc/peer.ts';
import { requireWorkerBin } from '../src/testing/harness.ts';
import {
  AUDIO_LEVEL_EXT_ID,
  OPUS_PT,
  opusParameters,
  plainReceiverCapabilities,
  VP8_PT,
} from '../src/testing/media.ts';
import {
  opusEncryptedPayload,
  RtpSender,
  vp8EncryptedPayload,
  writeRtp,
  writeSenderReport,
} from '../src/testing/rtp.ts';
import { LOSS_LIMIT, printMachine, processCpuMs, Receivers, sleep, startBenchSfu } from './lib.ts';

const PEERS = Number(process.env.CONCLAVE_GRID_PEERS ?? 50);
const WINDOW_S = Number(process.env.CONCLAVE_GRID_SECONDS ?? 15);
const AUDIO_ALL = process.env.CONCLAVE_GRID_AUDIO === 'all';
const ROUTER_MAX_PEERS = Number(process.env.CONCLAVE_GRID_ROUTER_MAX_PEERS ?? Math.ceil(PEERS / 2));
const FPS = 30;
const LAYERS = [
  { packets: 1, size: 625 }, // ~150 kbps
  { packets: 2, size: 1040 }, // ~500 kbps
  { packets: 6, size: 1040 }, // ~1.5 Mbps
] as const;
const AUDIO_PACKET = 100;
const SPEAKER = 0;

const videoSsrc = (p: number, layer: number) => (0x1000_0000 + p * 16 + layer) >>> 0;
const audioSsrc = (p: number) => (0x2000_0000 + p) >>> 0;

/** Prebuilt payloads per layer: key-frame start, delta start, continuation. */
const payloads = LAYERS.map((layer) => ({
  key: vp8EncryptedPayload({ keyFrame: true, pictureId: 0, tl0PicIdx: 0, tid: 0, size: layer.size }),
  delta: vp8EncryptedPayload({ keyFrame: false, pictureId: 0, tl0PicIdx: 0, tid: 0, size: layer.size }),
  rest: vp8EncryptedPayload({
    keyFrame: false,
    pictureId: 0,
    tl0PicIdx: 0,
    tid: 0,
    size: layer.size,
    start: false,
  }),
}));
const opus = opusEncryptedPayload(AUDIO_PACKET);

/** One participant's camera (3 simulcast layers) and microphone. */
class Participant {
  readonly sender: RtpSender;
  readonly sentVideo = [0, 0, 0];
  sentAudio = 0;
  readonly #octets = [0, 0, 0];
  #frame = 0;
  #tl0 = 0;
  #audioSeq = 0;
  #forceKey = true;

  readonly index: number;

  constructor(index: number, port: number) {
    this.index = index;
    this.sender = new RtpSender('127.0.0.1', port);
  }

  sendFrame(): void {
    const n = this.#frame++;
    const key = this.#forceKey || n % (2 * FPS) === 0;
    this.#forceKey = false;
    const tid = key ? 0 : [0, 2, 1, 2][n % 4]!;
    if (tid === 0) this.#tl0++;
    const timestamp = n * (90000 / FPS);
    for (const [l, layer] of LAYERS.entries()) {
      const ssrc = videoSsrc(this.index, l);
      if (n % FPS === 0)
        this.sender.send(
          writeSenderReport({
            ssrc,
            rtpTimestamp: timestamp,
            packets: this.sentVideo[l]!,
            octets: this.#octets[l]!,
          }),
        );
      for (let k = 0; k < layer.packets; k++) {
        const payload = k > 0 ? payloads[l]!.rest : key ? payloads[l]!.key : payloads[l]!.delta;
        const packet = writeRtp(
          {
            payloadType: VP8_PT,
            sequenceNumber: this.sentVideo[l]!,
            timestamp,
            ssrc,
            marker: k === layer.packets - 1,
          },
          payload,
        );
        // VP8 payload descriptor (bytes 12–17): picture ID, TL0PICIDX, TID for this frame.
        packet[14] = 0x80 | ((n >> 8) & 0x7f);
        packet[15] = n & 0xff;
        packet[16] = this.#tl0 & 0xff;
        packet[17] = ((tid & 0x03) << 6) | 0x20;
        this.sender.send(packet);
        this.sentVideo[l]!++;
        this.#octets[l]! += payload.length;
      }
    }
  }

  sendAudio(level: number): void {
    const n = this.#audioSeq++;
    this.sender.send(
      writeRtp(
        { payloadType: OPUS_PT, sequenceNumber: n, timestamp: n * 960, ssrc: audioSsrc(this.index) },
        opus,
        { id: AUDIO_LEVEL_EXT_ID, data: Buffer.from([0x80 | level]) },
      ),
    );
    this.sentAudio++;
  }
}

/** Paces all participants from one timer: video at FPS, audio per 20 ms (DTX: per 400 ms). */
class Pacer {
  #timer: NodeJS.Timeout | undefined;
  readonly participants: Participant[] = [];

  start(): void {
    const began = performance.now();
    let frames = 0;
    let ticks = 0;
    this.#timer = setInterval(() => {
      const elapsed = (performance.now() - began) / 1000;
      for (; frames < Math.floor(elapsed * FPS); frames++) for (const p of this.participants) p.sendFrame();
      for (; ticks < Math.floor(elapsed * 50); ticks++)
        for (const p of this.participants) {
          const talking = p.index === SPEAKER || AUDIO_ALL;
          if (talking) p.sendAudio(p.index === SPEAKER ? 10 : 60);
          else if (ticks % 20 === 0) p.sendAudio(127);
        }
    }, 5);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

async function main(): Promise<void> {
  requireWorkerBin();
  printMachine();
  const consumersPerKind = PEERS * (PEERS - 1);
  console.log(
    `Grid room: ${PEERS} publishers × (3-layer simulcast VP8 ~150k/500k/1.5M + Opus), ` +
      `${consumersPerKind} video + ${consumersPerKind} audio consumers, low layer except the active speaker (high), ` +
      `audio ${AUDIO_ALL ? 'everyone talking (50 pkt/s each)' : '1 speaker at 50 pkt/s, others Opus DTX (2.5 pkt/s)'}, ` +
      `2 workers, at most ${ROUTER_MAX_PEERS} participants per router\n`,
  );
  const bench = await startBenchSfu({ workers: 2, routerMaxPeers: ROUTER_MAX_PEERS });
  const receivers = new Receivers();
  const pacer = new Pacer();
  try {
    const ports = await receivers.open(PEERS);
    const setupStart = performance.now();
    const peers: Peer[] = [];
    const producers: { video: string; audio: string }[] = [];
    for (let i = 0; i < PEERS; i++) {
      const peer = bench.join();
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
              rtcpFeedback: [
                { type: 'nack', parameter: '' },
                { type: 'nack', parameter: 'pli' },
                { type: 'ccm', parameter: 'fir' },
              ],
            },
          ],
          encodings: LAYERS.map((_, l) => ({ ssrc: videoSsrc(i, l), scalabilityMode: 'L1T3' })),
          rtcp: { cname: `p${i}`, reducedSize: true },
        },
      });
      const audio = await peer.produce({
        transportId: ingress.id,
        kind: 'audio',
        source: 'mic',
        rtpParameters: opusParameters(audioSsrc(i)) as never,
      });
      peers.push(peer);
      producers.push({ video: video.producerId, audio: audio.producerId });
      pacer.participants.push(new Participant(i, ingress.tuple.localPort));
    }
    // Publishers start sending so the SFU knows every layer before consumers pick theirs.
    pacer.start();
    /** highOf[i]: whose video subscriber i watches on the high layer. */
    const highOf = peers.map((_, i) => (i === SPEAKER ? (SPEAKER + 1) % PEERS : SPEAKER));
    for (const [i, peer] of peers.entries()) {
      const transport = await peer.openPlainTransport('recv');
      await transport.connect({ ip: '127.0.0.1', port: ports[i]! });
      const caps = plainReceiverCapabilities(
        (await peer.room.routerOf(peer)).router.rtpCapabilities,
      ) as never;
      for (const [j, produced] of producers.entries()) {
        if (j === i) continue;
        const video = await peer.consume({
          transportId: transport.id,
          producerId: produced.video,
          rtpCapabilities: caps,
        });
        await peer.consumers.setPreferredLayers({
          consumerId: video.consumerId,
          spatialLayer: j === highOf[i] ? 2 : 0,
          temporalLayer: 2,
        });
        await peer.consumers.resume(video.consumerId);
        const audio = await peer.consume({
          transportId: transport.id,
          producerId: produced.audio,
          rtpCapabilities: caps,
        });
        await peer.consumers.resume(audio.consumerId);
      }
    }
    const routers = new Map<number, number>();
    for (const peer of peers) {
      const rr = await peer.room.routerOf(peer);
      routers.set(rr.slot.index, (routers.get(rr.slot.index) ?? 0) + 1);
    }
    console.log(
      `set up in ${((performance.now() - setupStart) / 1000).toFixed(1)} s; participants per worker: ` +
        [...routers.entries()].map(([w, n]) => `worker ${w}: ${n}`).join(', '),
    );
    // Let layers settle (key frames every 2 s), then measure.
    await sleep(5000);
    const layerCounts = new Map<string, number>();
    for (const peer of peers)
      for (const consumer of peer.consumers.list()) {
        if (consumer.kind !== 'video') continue;
        const current = consumer.currentLayers;
        const key = current ? `spatial ${current.spatialLayer}/temporal ${current.temporalLayer}` : 'none';
        layerCounts.set(key, (layerCounts.get(key) ?? 0) + 1);
      }
    console.log(
      `video consumers by current layer: ${[...layerCounts.entries()].map(([k, n]) => `${k}: ${n}`).join(', ')}`,
    );
    const pids = bench.sfu.pool.slots().map((slot) => slot.worker.pid);
    const snap = () => ({
      video: pacer.participants.map((p) => [...p.sentVideo]),
      audio: pacer.participants.map((p) => p.sentAudio),
    });
    const r0 = (await receivers.snapshot()).perSocket.slice();
    const s0 = snap();
    const cpu0 = pids.map(processCpuMs);
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const cpu1 = pids.map(processCpuMs);
    const elapsed = (performance.now() - t0) / 1000;
    pacer.stop();
    const s1 = snap();
    await sleep(500);
    const r1 = (await receivers.snapshot()).perSocket;

    let expectedTotal = 0;
    let receivedTotal = 0;
    let sentTotal = 0;
    const losses: number[] = [];
    for (let j = 0; j < PEERS; j++)
      sentTotal +=
        s1.audio[j]! - s0.audio[j]! + s1.video[j]!.reduce((a, x, l) => a + x - s0.video[j]![l]!, 0);
    for (let i = 0; i < PEERS; i++) {
      let expected = 0;
      for (let j = 0; j < PEERS; j++) {
        if (j === i) continue;
        const layer = j === highOf[i] ? 2 : 0;
        expected += s1.video[j]![layer]! - s0.video[j]![layer]! + s1.audio[j]! - s0.audio[j]!;
      }
      const received = r1[i]! - r0[i]!;
      expectedTotal += expected;
      receivedTotal += received;
      losses.push(1 - received / expected);
    }
    const loss = 1 - receivedTotal / expectedTotal;
    const cpu = cpu1.map((x, k) => (x - cpu0[k]!) / 1000 / elapsed);
    const cpuSum = cpu.reduce((a, b) => a + b, 0);
    const worst = Math.max(...losses);
    const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
    console.log(`\nmeasured over ${elapsed.toFixed(1)} s:`);
    console.log(
      `  consumers:                        ${2 * consumersPerKind} (${consumersPerKind} video, ${consumersPerKind} audio)`,
    );
    console.log(`  packets/s into the SFU:           ${Math.round(sentTotal / elapsed)}`);
    console.log(`  packets/s forwarded (received):   ${Math.round(receivedTotal / elapsed)}`);
    console.log(`  packets/s expected:               ${Math.round(expectedTotal / elapsed)}`);
    console.log(
      `  loss, all subscribers:            ${pct(loss)}  (worst subscriber ${pct(worst)}, best ${pct(Math.min(...losses))}; ` +
        `negative = more than expected, i.e. a wrong layer)`,
    );
    console.log(
      `  worker CPU:                       ${cpu.map((c, k) => `worker ${k} ${(c * 100).toFixed(1)} %`).join(', ')} ` +
        `= ${(cpuSum * 100).toFixed(1)} % of a core in total`,
    );
    console.log(
      `  packets/s forwarded per core:     ${Math.round(receivedTotal / elapsed / Math.max(cpuSum, 1e-6))}`,
    );
    console.log(
      `  held at < 1 % loss:               ${loss < LOSS_LIMIT && worst < LOSS_LIMIT ? 'yes' : 'NO'}`,
    );
  } finally {
    pacer.stop();
    for (const p of pacer.participants) p.sender.close();
    await receivers.close();
    await bench.close();
  }
}

await main();
