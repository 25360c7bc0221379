/**
 * Worker scaling with fair CPU budgets: does a node with W workers, one room spread over them
 * with pipes, carry W × what one worker carries?
 *
 * On a small machine the sender, the receivers and the workers share the cores, so "2 workers"
 * cannot simply be compared with "1 worker" there: the second worker takes the CPU the first
 * one's receivers used. Here every mediasoup worker process gets the same fixed CPU budget
 * through the Linux cgroup cpu controller (its own group, quota = budget × 10 ms period, and a
 * high weight so that it gets the budget on a busy machine), and the load generator and
 * receivers run outside the budgets with the rest of the machine. Then:
 *
 *   1. one worker with budget B: the most subscribers at < 1 % loss (step search);
 *   2. W workers each with budget B, one room over all of them (SFU_ROUTER_MAX_PEERS = 1, so
 *      subscribers alternate between the workers and the publisher is piped, src/rtc/pipes.ts):
 *      the most subscribers at < 1 % loss;
 *
 * and prints the ratio of 2. to W × 1. against the 90 % target. Each subscriber receives the
 * 1 Mbps VP8 + 40 kbps Opus mix of one publisher on its own PlainTransport (as in
 * forwarding.bench.ts). Loss is counted at the workers' output — RTP packets sent by the
 * consumers of 24 subscribers spread over the room (consumer stats), against what the
 * publisher sent — because a worker over its budget falls behind and drops at its ingress
 * socket, which every consumer sees; the loss at the receiving sockets is printed beside it
 * (on a shared machine the receiving threads can fall behind on their own). The step search grows the subscriber count from an estimate made from
 * CPU per subscriber, then bisects between the last passing and the first failing count
 * (subscribers are removed newest first, so the workers stay balanced).
 *
 * Needs a writable cgroup cpu controller (root, or a delegated v2 subtree). Without one it
 * says so and measures nothing: there is no fair comparison to make.
 *
 * Env: MEDIASOUP_WORKER_BIN (required), CONCLAVE_BENCH_CPU_BUDGET (fraction of a core per
 * worker, default 0.3), CONCLAVE_SCALING_WORKERS (W, default 2), CONCLAVE_BENCH_STEP_MS
 * (default 2500), CONCLAVE_SCALING_ROUNDS (default 1; each round measures 1 and W workers).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { requireWorkerBin } from '../src/testing/harness.ts';
import { type CpuBudget, findCpuController, limitCpu, PERIOD_US, releaseAllSync } from './cpu-budget.ts';
import {
  AUDIO_PPS,
  formatStep,
  LOSS_LIMIT,
  Publisher,
  plainForwarder,
  printMachine,
  processCpuMs,
  type StepResult,
  step,
  VIDEO_PPS,
} from './lib.ts';

const BUDGET = Number(process.env.CONCLAVE_BENCH_CPU_BUDGET ?? 0.3);
const WORKERS = Number(process.env.CONCLAVE_SCALING_WORKERS ?? 2);
const STEP_MS = Number(process.env.CONCLAVE_BENCH_STEP_MS ?? 2500);
const ROUNDS = Number(process.env.CONCLAVE_SCALING_ROUNDS ?? 1);
/** The search stops when the bracket is this narrow (relative to the passing count). */
const RESOLUTION = 0.02;
/** Subscribers whose consumer stats are read after every step. */
const SAMPLE = 24;

/** Datagrams the kernel dropped because a socket's receive buffer was full (whole machine). */
function udpReceiveBufferDrops(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Udp: '));
  const [names, values] = lines.map((line) => line.split(' ').slice(1)) as [string[], string[]];
  return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
}

interface Outcome {
  workers: number;
  max: number;
  /** The passing step at `max` and the first failing step above it. */
  pass?: StepResult;
  fail?: StepResult;
  /** Each worker's share of the CPU and of its budget at `max`. */
  perWorkerCpu: number[];
  throttledShare: number[];
}

async function run(workers: number): Promise<Outcome> {
  const forwarder = await plainForwarder({
    name: `${workers} worker(s)`,
    workers,
    routerMaxPeers: workers === 1 ? 100_000 : 1,
    // The same receiving side for every run: its own threads and many sockets, so bursts
    // (each packet fanned out to every subscriber at once) spread over many buffers.
    receiverSockets: 128,
    receiverThreads: 2,
  });
  const budgets: CpuBudget[] = [];
  const publisher = new Publisher(forwarder.ingressPort);
  try {
    const pids = forwarder.bench.sfu.pool.slots().map((slot) => slot.worker.pid);
    pids.forEach((pid, i) => {
      budgets.push(limitCpu(pid, BUDGET, `w${workers}-${i}`));
    });
    let perWorkerCpu: number[] = [];
    let throttledShare: number[] = [];
    // step() reads the workers' CPU right before and right after sending: keep both per worker.
    const samples: number[][] = [];
    forwarder.cpuMs = async () => {
      const each = pids.map(processCpuMs);
      samples.push(each);
      return each.reduce((a, b) => a + b, 0);
    };
    // Loss is counted where the worker's work ends: the RTP packets its consumers sent (consumer
    // stats of a sample of subscribers, scaled to all). Every subscriber gets the same packets,
    // and a throttled worker that falls behind drops at its ingress socket, so a sample shows
    // it. What the receiving sockets got is printed too: on a shared machine the receiving
    // threads can fall behind on their own, and that is the load generator's limit, not the SFU's.
    const rx: { packets: number; sent: number }[] = [];
    const receiversGot = forwarder.received;
    forwarder.received = async () => {
      const peers = forwarder.subscribers();
      const sample = Array.from(
        { length: Math.min(SAMPLE, peers.length) },
        (_, i) => peers[Math.floor((i * peers.length) / Math.min(SAMPLE, peers.length))]!,
      );
      const counts = await Promise.all(
        sample.flatMap((peer) =>
          peer.consumers.list().map(async (consumer) => {
            const stats = await consumer.getStats();
            return stats.find((s) => s.type === 'outbound-rtp')?.packetCount ?? 0;
          }),
        ),
      );
      rx.push({ packets: await receiversGot(), sent: publisher.sent });
      return (counts.reduce((a, b) => a + b, 0) * peers.length) / Math.max(1, sample.length);
    };
    const receiverLoss = (n: number) => {
      const [before, after] = rx.slice(-2) as [(typeof rx)[0], (typeof rx)[0]];
      const expected = (after.sent - before.sent) * n;
      return expected > 0 ? Math.max(0, 1 - (after.packets - before.packets) / expected) : 0;
    };
    const measureAt = async (n: number): Promise<StepResult> => {
      await forwarder.subscribe(n);
      const thr0 = budgets.map((b) => b.throttling());
      const drops0 = udpReceiveBufferDrops();
      const once = async () => {
        const r = await step(forwarder, publisher, n, STEP_MS);
        const [before, after] = samples.slice(-2) as [number[], number[]];
        const used = after.map((x, i) => x - before[i]!);
        const total = used.reduce((a, b) => a + b, 0) || 1;
        return { r, cpu: used.map((u) => (u / total) * r.cpu), rxLoss: receiverLoss(n) };
      };
      let result = await once();
      // The machine is shared: a failing step is measured once more before it counts, and up
      // to twice more while the workers did not use their budget (then the loss came from
      // elsewhere: the sender or the kernel starved by other processes).
      const underBudget = (x: typeof result) => x.cpu.some((c) => c < BUDGET * 0.9);
      for (
        let attempt = 0;
        result.r.loss >= LOSS_LIMIT && attempt < (underBudget(result) ? 3 : 1);
        attempt++
      ) {
        const again = await once();
        if (again.r.loss < result.r.loss) result = again;
      }
      const throttled = budgets.map((b, i) => {
        const now = b.throttling();
        const periods = now.periods - thr0[i]!.periods;
        return periods > 0 ? (now.throttled - thr0[i]!.throttled) / periods : 0;
      });
      const drops = udpReceiveBufferDrops() - drops0;
      console.log(
        `${formatStep(result.r)}  receivers lost ${(result.rxLoss * 100).toFixed(2)} % (UDP buffer drops ${drops})  per worker ${result.cpu.map((c) => `${(c * 100).toFixed(1)} %`).join(' / ')}` +
          `  throttled in ${throttled.map((t) => `${Math.round(t * 100)} %`).join(' / ')} of periods`,
      );
      if (result.r.loss < LOSS_LIMIT) {
        perWorkerCpu = result.cpu;
        throttledShare = throttled;
      }
      return result.r;
    };

    // Estimate from CPU per subscriber at a small count, then grow, then bisect.
    const probe = await measureAt(50 * workers);
    if (probe.loss >= LOSS_LIMIT) return { workers, max: 0, fail: probe, perWorkerCpu, throttledShare };
    const estimate = Math.max(
      probe.subscribers,
      Math.floor((BUDGET * workers * probe.subscribers) / probe.cpu),
    );
    let pass: StepResult = probe;
    let fail: StepResult | undefined;
    let n = Math.max(probe.subscribers + 10, Math.round(estimate * 0.7));
    const grow = Math.max(10, Math.round(estimate * 0.1));
    for (let i = 0; i < 40 && !fail; i++, n += grow) {
      const r = await measureAt(n);
      if (r.loss < LOSS_LIMIT) pass = r;
      else fail = r;
    }
    while (fail && fail.subscribers - pass.subscribers > Math.max(4, pass.subscribers * RESOLUTION)) {
      const r = await measureAt(Math.round((pass.subscribers + fail.subscribers) / 2));
      if (r.loss < LOSS_LIMIT) pass = r;
      else fail = r;
    }
    return { workers, max: pass.subscribers, pass, fail, perWorkerCpu, throttledShare };
  } finally {
    publisher.close();
    for (const budget of budgets) budget.release();
    await forwarder.close();
  }
}

async function main(): Promise<void> {
  requireWorkerBin();
  printMachine();
  const controller = findCpuController();
  if ('unavailable' in controller) {
    console.log(
      `Scaling benchmark: SKIPPED, nothing measured. It needs a writable cgroup cpu controller to give each\n` +
        `worker the same CPU budget (${controller.unavailable}). Run it as root, or with a delegated cgroup v2\n` +
        'subtree; forwarding.bench.ts measures 2 workers against 1 on a shared machine instead.',
    );
    return;
  }
  console.log(
    `Scaling benchmark: every mediasoup worker limited to ${(BUDGET * 100).toFixed(0)} % of a core ` +
      `(cgroup ${controller.flavour}, ${PERIOD_US / 1000} ms period, ${controller.base}); sender and receivers unlimited ` +
      `on ${availableParallelism()} cores.\n1 publisher (VP8 ${VIDEO_PPS} pkt/s ≈ 1 Mbps + Opus ${AUDIO_PPS} pkt/s), ` +
      `plain RTP on 127.0.0.1, ${STEP_MS} ms per step, pass = loss < ${LOSS_LIMIT * 100} %\n`,
  );
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    if (ROUNDS > 1) console.log(`Round ${round} of ${ROUNDS}`);
    const outcomes: Outcome[] = [];
    for (const workers of [1, WORKERS]) {
      console.log(
        workers === 1
          ? `1 worker, budget ${(BUDGET * 100).toFixed(0)} % of a core:`
          : `${workers} workers, each ${(BUDGET * 100).toFixed(0)} % of a core, one room spread over all (piped):`,
      );
      outcomes.push(await run(workers));
      console.log('');
    }
    const [one, many] = outcomes as [Outcome, Outcome];
    for (const o of outcomes) {
      console.log(
        `${o.workers} worker(s): ${o.max} subscribers (${o.max * 2} consumers) at < 1 % loss` +
          (o.fail
            ? `; ${o.fail.subscribers} lost ${(o.fail.loss * 100).toFixed(1)} %`
            : ' (never failed: not saturated)') +
          (o.perWorkerCpu.length
            ? `; workers at ${o.perWorkerCpu.map((c) => `${((c / BUDGET) * 100).toFixed(0)} %`).join(' / ')} of their budget, ` +
              `throttled in ${o.throttledShare.map((t) => `${Math.round(t * 100)} %`).join(' / ')} of periods`
            : ''),
      );
    }
    const ratio = one.max > 0 ? many.max / (WORKERS * one.max) : Number.NaN;
    ratios.push(ratio);
    console.log(
      `${WORKERS} workers vs ${WORKERS} × 1 worker: ${many.max} / (${WORKERS} × ${one.max} = ${WORKERS * one.max}) = ` +
        `${(ratio * 100).toFixed(0)} % (target ≥ 90 %: ${ratio >= 0.9 ? 'met' : 'NOT met'})\n`,
    );
  }
  if (ROUNDS > 1) {
    console.log(`Ratios over ${ROUNDS} rounds: ${ratios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}`);
  }
}

const cleanUp = (signal: NodeJS.Signals) => {
  releaseAllSync();
  process.kill(process.pid, signal);
};
process.once('SIGINT', cleanUp);
process.once('SIGTERM', cleanUp);
process.on('exit', releaseAllSync);

try {
  await main();
} finally {
  releaseAllSync();
}
