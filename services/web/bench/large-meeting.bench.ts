/**
 * Large meetings on loopback, with the real stack (API, DS, SFU with one mediasoup worker) and
 * simulated participants (test/simulator/): for N participants, the SFU's CPU per participant,
 * the bytes each receiver receives per second, the join time of the N-th joiner and the time
 * from a commit leaving the DS to the last active member having processed it. The media
 * figures come twice from the same meeting: receivers subscribing as the web client does now
 * (`shown`: video only for a page of 9 tiles, at the lowest simulcast layer a 9-tile grid
 * needs) and as it did before (`everything`: every camera at the top layer). Receiving
 * everything in a crowd of hundreds is more than this one process can take in on 2 cores, so
 * `everything` is measured on BENCH_EVERYTHING_RECEIVERS receivers (40) and the SFU's extra
 * CPU for it scaled to the whole crowd (marked ~).
 *
 * The meeting's shape: up to 9 publishers (Opus microphone, VP8 camera in three simulcast
 * layers recorded by Chromium, all SFrame-encrypted; 3 of them speaking loudly) with real MLS,
 * and a crowd, muted with the camera off, that publishes nothing and receives (SRTP packets
 * counted as they arrive, not decrypted: video-receive.ts), spread over BENCH_CROWD_PROCESSES
 * Node processes (crowd-pool.ts; default: one per core); the crowd is passive on MLS (its
 * cryptographic work would run on its own devices). Each measured joiner is a full participant
 * with real MLS.
 *
 *   npm run bench:large-meeting -w @conclave/web
 *   BENCH_SIZES=50,200 BENCH_BUDGET_MS=600000 BENCH_WINDOW_MS=10000 BENCH_JOIN_SAMPLES=3
 *   BENCH_EVERYTHING_RECEIVERS=40 BENCH_CROWD_PROCESSES=2
 *   BENCH_CROWD_MLS=real (the crowd keeps real MLS state too)
 *   BENCH_SFU_WORKERS=2 BENCH_ROUTER_MAX_PEERS=110 (the room spread over two workers: once a
 *   router holds that many peers the next join goes to a router on another worker, and the
 *   publishers' media is piped across; default one worker, one router)
 */
import type { Page } from 'playwright-core';
import { createMeeting, startTestEnv } from '../test/support/harness.ts';
import { recordClips } from '../test/simulator/browser-clips.ts';
import type { MemberSnapshot } from '../test/simulator/crowd-messages.ts';
import { CrowdPool } from '../test/simulator/crowd-pool.ts';
import type { MediaClip } from '../test/simulator/media-clip.ts';
import { SimulatedParticipant } from '../test/simulator/participant.ts';
import { recordSimulcastClips } from '../test/simulator/simulcast-clips.ts';
import type { ReceiveMode } from '../test/simulator/video-receive.ts';
import { availableParallelism } from 'node:os';
import { cpuMs, load, percentile, sleep, udpReceiveDrops, until, workerPids } from './large-meeting-lib.ts';

const sizes = (process.env.BENCH_SIZES ?? '50,200,500,1000').split(',').map(Number);
const budgetMs = Number(process.env.BENCH_BUDGET_MS ?? 20 * 60_000);
const windowMs = Number(process.env.BENCH_WINDOW_MS ?? 10_000);
const joinSamples = Number(process.env.BENCH_JOIN_SAMPLES ?? 3);
/**
 * Receivers switched to `everything`: receiving every camera at the top layer in all of a big
 * crowd is more than this process can take in (and decrypt SRTP for) on 2 cores, so the SFU's
 * extra CPU for it is measured on this many and scaled to the whole crowd.
 */
const everythingReceivers = Number(process.env.BENCH_EVERYTHING_RECEIVERS ?? 40);
const crowdMls: 'real' | 'passive' = process.env.BENCH_CROWD_MLS === 'real' ? 'real' : 'passive';
const crowdProcesses = Number(process.env.BENCH_CROWD_PROCESSES ?? availableParallelism());
const sfuWorkers = Number(process.env.BENCH_SFU_WORKERS ?? 1);
const routerMaxPeers = process.env.BENCH_ROUTER_MAX_PEERS ?? '1100';
const PUBLISHERS = 9;
const LOUD = 3;
const BATCH = 10;
const SETTLE_MS = 2000;
const LAYER_SWITCH_MS = 20_000;
const LIFETIME_MS = budgetMs + 120_000;
const started = Date.now();
const overBudget = () => Date.now() - started > budgetMs;

interface Clips {
  audio: MediaClip;
  layers: MediaClip[];
}

interface Window {
  cpuPercent: number;
  perParticipantMsPerS: number;
  meanBps: number;
  maxBps: number;
  videoResumed: number;
  /** Cameras received at each spatial layer, over all receivers, at the window's end. */
  layers: string;
  nodePercent: number;
  /** Key frames the publishers were asked for, per second. */
  keyFrameRequests: number;
  /** Frames per second each publisher's top camera layer sent (mean). */
  topLayerFps: number;
  /** UDP datagrams dropped by the kernel per second (receive buffers full). */
  udpDrops: number;
  /** Receivers whose bytes were counted; the SFU CPU was scaled from them to the crowd. */
  receivers: number;
  scaled: boolean;
}

/** Media over one steady window: worker CPU, and bytes per second of the first `receivers` of the crowd. */
async function measure(
  n: number,
  crowd: CrowdPool,
  receivers: number,
  publishers: SimulatedParticipant[],
  pids: number[],
): Promise<Window> {
  const requests = () => publishers.reduce((a, s) => a + s.state().keyFrameRequests, 0);
  const requests0 = requests();
  // A participant's state names its camera's last loop: the top layer.
  const topFrames = () => publishers.reduce((a, s) => a + (s.state().loops.camera?.framesSent ?? 0), 0);
  const top0 = topFrames();
  const drops0 = udpReceiveDrops();
  const members = async () => (await crowd.snapshot()).slice(0, receivers);
  const before = await members();
  const benchPids = [process.pid, ...crowd.pids];
  const cpu0 = cpuMs(pids);
  const bench0 = cpuMs(benchPids);
  const t0 = performance.now();
  await sleep(windowMs);
  const after = await members();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (cpuMs(pids) - cpu0) / seconds;
  const rates = after.map((m, i) => (m.bytes - (before[i]?.bytes ?? 0)) / seconds);
  return {
    cpuPercent: cpu / 10,
    perParticipantMsPerS: cpu / n,
    meanBps: rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length),
    maxBps: Math.max(0, ...rates),
    videoResumed: percentile(
      after.map((m) => m.videoResumed),
      50,
    ),
    layers: layerCounts(after),
    nodePercent: (cpuMs(benchPids) - bench0) / 10 / seconds,
    keyFrameRequests: (requests() - requests0) / seconds,
    topLayerFps: (topFrames() - top0) / seconds / Math.max(1, publishers.length),
    udpDrops: (udpReceiveDrops() - drops0) / seconds,
    receivers: after.length,
    scaled: false,
  };
}

function layerCounts(members: MemberSnapshot[]): string {
  const counts = new Map<string, number>();
  for (const m of members)
    for (const l of m.layers) counts.set(`L${l ?? '-'}`, (counts.get(`L${l ?? '-'}`) ?? 0) + 1);
  return [...counts]
    .sort()
    .map(([l, k]) => `${l}×${k}`)
    .join(' ');
}

/**
 * The first `members` of the crowd receive as `mode` asks; waits (bounded) until the SFU sends
 * them the layer asked for.
 */
async function switchTo(mode: ReceiveMode, crowd: CrowdPool, members = crowd.size): Promise<void> {
  await crowd.setPolicy({ mode }, members);
  const layer = mode === 'shown' ? 0 : 2;
  await until(
    async () => (await crowd.snapshot()).slice(0, members).every((m) => m.layers.every((l) => l === layer)),
    LAYER_SWITCH_MS,
    `every camera at layer ${layer}`,
  ).catch(() => console.log(`  (${mode}: not every camera at layer ${layer} after ${LAYER_SWITCH_MS} ms)`));
  await sleep(SETTLE_MS);
}

/** `count` crowd members, BATCH at a time, as far as the time budget goes. */
async function joinCrowd(crowd: CrowdPool, count: number, link: string): Promise<void> {
  const options = { link, receive: { mode: 'shown' as const }, mls: crowdMls, maxDurationMs: LIFETIME_MS };
  for (let i = 0; i < count; i += BATCH) {
    if (overBudget()) throw new Error(`time budget used up with ${crowd.size} of ${count} joined`);
    await crowd.join(Math.min(BATCH, count - i), options);
  }
}

async function benchSize(n: number, page: Page, origin: string, clips: Clips): Promise<void> {
  const { link, hostLink } = await createMeeting(page, origin);
  const publishers: SimulatedParticipant[] = [];
  const crowd = new CrowdPool(crowdProcesses);
  const p = Math.min(PUBLISHERS, n - 1);
  const t0 = performance.now();
  try {
    const publish = (i: number) =>
      SimulatedParticipant.join({
        link: i === 0 ? hostLink : link,
        name: `Publisher ${i + 1}`,
        media: [{ source: 'mic', clip: clips.audio }],
        cameraLayers: clips.layers,
        receiveAudio: false,
        maxDurationMs: LIFETIME_MS,
      });
    publishers.push(await publish(0));
    await until(() => publishers[0]!.epoch !== undefined, 30_000, 'the group created');
    publishers.push(...(await Promise.all(Array.from({ length: p - 1 }, (_, i) => publish(i + 1)))));
    for (const [i, s] of publishers.entries()) s.setAudioLevel(i < LOUD ? 30 : 127);
    await joinCrowd(crowd, n - 1 - p, link);
    const size = () => publishers[0]!.epoch?.size ?? 0;
    await until(() => size() === n - 1, 120_000, `a group of ${n - 1}`);
    await until(async () => (await crowd.snapshot()).every((m) => m.welcomed), 60_000, 'the crowd welcomed');
    const buildS = (performance.now() - t0) / 1000;
    const pids = workerPids();

    const windows = new Map<ReceiveMode, Window>();
    await switchTo('shown', crowd);
    const shown = await measure(n, crowd, crowd.size, publishers, pids);
    windows.set('shown', shown);
    const sample = Math.min(everythingReceivers, crowd.size);
    await switchTo('everything', crowd, sample);
    const mixed = await measure(n, crowd, sample, publishers, pids);
    const scale = crowd.size / Math.max(1, sample);
    windows.set('everything', {
      ...mixed,
      cpuPercent: shown.cpuPercent + (mixed.cpuPercent - shown.cpuPercent) * scale,
      perParticipantMsPerS:
        shown.perParticipantMsPerS + (mixed.perParticipantMsPerS - shown.perParticipantMsPerS) * scale,
      scaled: sample < crowd.size,
    });
    reportMedia(n, p, crowd.size, buildS, windows);
    // Back to `shown` for the joins, as the meeting would be.
    await switchTo('shown', crowd, sample);

    // The N-th joiner, into the group of N − 1; then it leaves (a Remove commit) for the next.
    const joins: number[] = [];
    const commits: number[] = [];
    const commitLatency = (epoch: number, active: SimulatedParticipant[]) => {
      const sent = crowd.commitSent.get(epoch);
      const done = active.map((s) => s.epochAt.get(epoch + 1));
      // epochAt is this process's performance.now(); commitSent is wall-clock milliseconds.
      if (sent !== undefined && done.every((d) => d !== undefined))
        commits.push(performance.timeOrigin + Math.max(...(done as number[])) - sent);
    };
    for (let s = 0; s < joinSamples && (s === 0 || !overBudget()); s++) {
      const epoch = Number(publishers[0]!.epoch!.epoch);
      const joiner = await SimulatedParticipant.join({
        link,
        name: `Joiner ${s + 1}`,
        media: [],
        receiveAudio: false,
        maxDurationMs: LIFETIME_MS,
      });
      await until(() => joiner.epoch !== undefined, 120_000, 'the joiner welcomed');
      joins.push(joiner.epochAt.values().next().value! - joiner.joinStartedAt);
      await until(() => publishers.every((x) => x.epochAt.has(epoch + 1)), 60_000, 'the add everywhere');
      commitLatency(epoch, publishers);
      joiner.leave();
      await until(() => publishers.every((x) => x.epochAt.has(epoch + 2)), 60_000, 'the remove everywhere');
      commitLatency(epoch + 1, publishers);
    }
    reportMls(n, p, joins, commits);
  } finally {
    await crowd.close();
    for (const s of publishers) s.leave();
    await sleep(2000);
  }
}

const ms = (x: number) => (Number.isNaN(x) ? '   n/a' : x.toFixed(0).padStart(6));
const kbps = (bytesPerS: number) => ((bytesPerS * 8) / 1000).toFixed(0).padStart(7);

function reportMedia(
  n: number,
  p: number,
  crowd: number,
  buildS: number,
  windows: Map<ReceiveMode, Window>,
): void {
  console.log(
    `\nN=${n}: ${p} publishers (${Math.min(LOUD, p)} loud), ${crowd} receivers (crowd, MLS ${crowdMls}), 1 measured joiner; built in ${buildS.toFixed(0)} s`,
  );
  console.log(
    '  mode        receivers  SFU CPU %core  per participant ms/s  kbit/s per receiver mean     max  cameras resumed  bench processes %core  key frame requests/s  720p fps sent  UDP drops/s  layers received',
  );
  for (const [mode, w] of windows) {
    console.log(
      `  ${mode.padEnd(10)}  ${String(w.receivers).padStart(9)}  ${w.scaled ? '~' : ' '}${w.cpuPercent.toFixed(1).padStart(12)}  ${w.scaled ? '~' : ' '}${w.perParticipantMsPerS.toFixed(3).padStart(19)}  ${kbps(w.meanBps).padStart(24)} ${kbps(w.maxBps)}  ${String(w.videoResumed).padStart(15)}  ${w.nodePercent.toFixed(0).padStart(21)}  ${w.keyFrameRequests.toFixed(1).padStart(20)}  ${w.topLayerFps.toFixed(1).padStart(13)}  ${w.udpDrops.toFixed(0).padStart(11)}  ${w.layers}`,
    );
  }
  const shown = windows.get('shown');
  const all = windows.get('everything');
  if (shown && all)
    console.log(
      `  shown/everything: SFU CPU ${(shown.cpuPercent / all.cpuPercent).toFixed(2)}, bytes per receiver ${(shown.meanBps / all.meanBps).toFixed(3)}`,
    );
  if (all?.scaled)
    console.log(
      `  ~ everything: measured with ${all.receivers} of the ${crowd} receivers switched, the SFU's extra CPU scaled to all of them`,
    );
}

function reportMls(n: number, p: number, joins: number[], commits: number[]): void {
  console.log(
    `  join of the ${n}-th (SRP init → Welcome processed), ${joins.length} samples: p50 ${ms(percentile(joins, 50))} ms  p95 ${ms(percentile(joins, 95))} ms`,
  );
  console.log(
    `  commit → last of ${p} active members at the new epoch, ${commits.length} commits: p50 ${ms(percentile(commits, 50))} ms  max ${ms(Math.max(...commits))} ms`,
  );
}

const env = await startTestEnv({
  sfuWorkers,
  env: {
    CONCLAVE_FAILED_JOINS_PER_SOURCE: '100000',
    CONCLAVE_RATE_PER_SOURCE: '1000000',
    SFU_ROOM_MAX_PEERS: '1100',
    SFU_ROUTER_MAX_PEERS: routerMaxPeers,
    DS_MAX_GROUP_MEMBERS: '1100',
    DS_MAX_PENDING_KEY_PACKAGES: '1100',
    DS_RATE_MESSAGES_PER_SECOND: '100000',
    DS_RATE_MESSAGE_BURST: '100000',
    DS_COMMIT_DEADLINE_MS: '60000',
    DS_RESUME_GRACE_MS: '60000',
    DS_AUTH_TIMEOUT_MS: '30000',
  },
});
console.log(
  `large-meeting bench: loopback, ${sfuWorkers} SFU worker(s), up to ${routerMaxPeers} peers per router, ${load('at start')}`,
);
console.log(
  `shape: up to ${PUBLISHERS} publishers (mic + 3-layer simulcast camera, ${LOUD} loud), the rest muted with the camera off and receiving; window ${windowMs} ms; budget ${budgetMs} ms`,
);
let exitCode = 0;
try {
  const recorder = await env.newPage();
  await recorder.goto(`${env.origin}/`);
  const [{ audio }, layers] = [await recordClips(recorder), await recordSimulcastClips(recorder)];
  await recorder.context().close();
  const rate = (clip: MediaClip) => {
    const ms = clip.frames.reduce((a, f) => a + f.durationMs, 0);
    const bytes = clip.frames.reduce((a, f) => a + f.data.length, 0);
    return `${kbps((bytes * 1000) / ms).trim()} kbit/s at ${((clip.frames.length * 1000) / ms).toFixed(0)} fps`;
  };
  console.log(`clips: microphone ${rate(audio)}; camera layers ${layers.map(rate).join(', ')}`);
  const page = await env.newPage();
  for (const n of sizes) {
    if (overBudget()) {
      console.log(`\nN=${n} skipped: the time budget of ${budgetMs} ms is used up`);
      continue;
    }
    try {
      await benchSize(n, page, env.origin, { audio, layers });
    } catch (error) {
      console.log(`\nN=${n} stopped: ${(error as Error).message}`);
    }
  }
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  console.log(`\n${load('at end')}; ran ${((Date.now() - started) / 1000).toFixed(0)} s`);
  await env.close();
}
process.exit(exitCode);
