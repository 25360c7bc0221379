/**
 * Audible speakers: a room of CONCLAVE_AUDIBLE_MICS open microphones (default 30) and
 * CONCLAVE_AUDIBLE_LISTENERS listeners (default 10) that consume every one of them, run twice
 * in the same process: with the SFU forwarding the 5 most recently loud microphones
 * (SFU_AUDIBLE_SPEAKERS = 5) and, as the baseline, forwarding every microphone (the limit above
 * the number of microphones, as before the limit existed).
 *
 * Microphones send Opus at 50 packets/s with the RFC 6464 level of silence (−127 dBov), as an
 * open microphone in a quiet room does without DTX. Then, CONCLAVE_AUDIBLE_ROUNDS times (default
 * 20), one microphone the listener does not hear starts speaking (−20 dBov) until it is heard
 * (at most 1.5 s), then 200 ms more.
 *
 * Reported: how long after a speaker's first loud packet the first listener receives their
 * audio (p50, p95, max; the target is under 300 ms), and over a steady 5 s, the audio packets
 * each listener receives per second and the worker's CPU, with their ratio to the baseline.
 * Loopback only; bounded in time.
 */
import type { Peer } from '../src/rtc/peer.ts';
import { opusParameters, plainReceiverCapabilities } from '../src/testing/media.ts';
import { opusEncryptedPayload, RtpReceiver, RtpSender, writeRtp } from '../src/testing/rtp.ts';
import { AUDIO_LEVEL_EXT_ID, OPUS_PT } from '../src/testing/media.ts';
import { printMachine, sleep, startBenchSfu } from './lib.ts';

const MICS = Number(process.env.CONCLAVE_AUDIBLE_MICS ?? 30);
const LISTENERS = Number(process.env.CONCLAVE_AUDIBLE_LISTENERS ?? 10);
const ROUNDS = Number(process.env.CONCLAVE_AUDIBLE_ROUNDS ?? 20);
const LIMIT = 5;
const SILENT = 127;
const LOUD = 20;
const PAYLOAD = opusEncryptedPayload(80);

interface Mic {
  producerId: string;
  sender: RtpSender;
  ssrc: number;
  seq: number;
  level: number;
  /** When it started speaking this round. */
  loudSince: number | undefined;
}

interface Run {
  onsets: number[];
  packetsPerListener: number;
  workerCpuPct: number;
}

async function run(audibleSpeakers: number): Promise<Run> {
  const bench = await startBenchSfu({ workers: 1, routerMaxPeers: 1000, audibleSpeakers });
  try {
    const mics: Mic[] = [];
    for (let i = 0; i < MICS; i++) {
      const peer = bench.join();
      const ingress = await peer.openPlainTransport('send');
      const ssrc = 0x7000_0000 + i;
      const { producerId } = await peer.produce({
        transportId: ingress.id,
        kind: 'audio',
        source: 'mic',
        rtpParameters: opusParameters(ssrc) as never,
      });
      const sender = new RtpSender(ingress.tuple.localIp, ingress.tuple.localPort);
      mics.push({ producerId, sender, ssrc, seq: 0, level: SILENT, loudSince: undefined });
    }
    // Listener 0 tells which microphone each packet is of, by the consumer's SSRC.
    const micOfSsrc = new Map<number, Mic>();
    const onsets: number[] = [];
    const receivers: RtpReceiver[] = [];
    for (let l = 0; l < LISTENERS; l++) {
      const listener: Peer = bench.join();
      const receiver = new RtpReceiver({ keepPackets: false });
      receivers.push(receiver);
      const transport = await listener.openPlainTransport('recv');
      await transport.connect({ ip: '127.0.0.1', port: await receiver.bind() });
      const caps = plainReceiverCapabilities((await listener.room.routerOf(listener)).router.rtpCapabilities);
      for (const mic of mics) {
        const consumer = await listener.consume({
          transportId: transport.id,
          producerId: mic.producerId,
          rtpCapabilities: caps as never,
        });
        await listener.consumers.resume(consumer.consumerId);
        if (l === 0) {
          const ssrc = (consumer.rtpParameters as { encodings: { ssrc: number }[] }).encodings[0]!.ssrc;
          micOfSsrc.set(ssrc, mic);
        }
      }
    }
    receivers[0]!.onPacket((packet) => {
      const mic = micOfSsrc.get(packet.ssrc);
      if (mic?.loudSince === undefined) return;
      onsets.push(performance.now() - mic.loudSince);
      mic.loudSince = undefined;
    });
    let ts = 0;
    const timer = setInterval(() => {
      ts += 960;
      for (const mic of mics) {
        const ext = { id: AUDIO_LEVEL_EXT_ID, data: Buffer.from([0x80 | mic.level]) };
        const rtp = {
          payloadType: OPUS_PT,
          sequenceNumber: mic.seq++ & 0xffff,
          timestamp: ts,
          ssrc: mic.ssrc,
        };
        mic.sender.send(writeRtp(rtp, PAYLOAD, ext));
      }
    }, 20);
    try {
      await sleep(1000);
      // Steady: everyone silent.
      for (const r of receivers) r.clear();
      const cpuBefore = bench.cpuMs();
      const steadyFrom = performance.now();
      await sleep(5000);
      const seconds = (performance.now() - steadyFrom) / 1000;
      const workerCpuPct = (bench.cpuMs() - cpuBefore) / 10 / seconds;
      const packetsPerListener = receivers.reduce((sum, r) => sum + r.count, 0) / LISTENERS / seconds;
      // Rounds: a microphone not heard so far starts speaking for 400 ms.
      for (let round = 0; round < ROUNDS; round++) {
        const mic = mics[(LIMIT + round) % MICS]!;
        mic.loudSince = performance.now();
        mic.level = LOUD;
        // Speaks until heard (at most 1.5 s), then a little more.
        const until = performance.now() + 1500;
        while (mic.loudSince !== undefined && performance.now() < until) await sleep(20);
        await sleep(200);
        mic.level = SILENT;
        mic.loudSince = undefined;
        await sleep(200);
      }
      return { onsets, packetsPerListener, workerCpuPct };
    } finally {
      clearInterval(timer);
      for (const mic of mics) mic.sender.close();
      for (const r of receivers) r.close();
    }
  } finally {
    await bench.close();
  }
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
};
const onsetLine = (xs: number[]) =>
  `p50 ${percentile(xs, 50).toFixed(0)} ms, p95 ${percentile(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (${xs.length} of ${ROUNDS} heard)`;

printMachine();
console.log(`audible speakers: ${MICS} open microphones, ${LISTENERS} listeners consuming all of them`);
const limited = await run(LIMIT);
const everyone = await run(MICS + 1);
console.log(
  `forwarding the ${LIMIT} most recently loud: a new speaker heard after ${onsetLine(limited.onsets)}`,
);
console.log(
  `forwarding every microphone (baseline):  a new speaker heard after ${onsetLine(everyone.onsets)}`,
);
console.log(
  `audio packets/s per listener: ${limited.packetsPerListener.toFixed(0)} vs ${everyone.packetsPerListener.toFixed(0)} (ratio ${(limited.packetsPerListener / everyone.packetsPerListener).toFixed(2)})`,
);
console.log(
  `worker CPU: ${limited.workerCpuPct.toFixed(1)} % vs ${everyone.workerCpuPct.toFixed(1)} % of a core (ratio ${(limited.workerCpuPct / everyone.workerCpuPct).toFixed(2)})`,
);
