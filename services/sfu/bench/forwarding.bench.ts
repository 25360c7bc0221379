/**
 * Forwarding capacity over plain RTP on 127.0.0.1: one mediasoup worker, a node of two workers
 * with one room spread over both (producers piped between them), and a minimal Node.js UDP relay as baseline.
 *
 * One publisher sends 1 Mbps VP8 (30 fps, ~4 packets per frame, SFrame-like payloads behind
 * a clear VP8 prefix) and 40 kbps Opus (50 packets/s). Subscribers are added in steps; each
 * receives both streams through its own PlainTransport. A step passes when < 1 % of the
 * packets the subscribers should get are lost. Reported per step: packets/s forwarded, the
 * workers' CPU (fraction of one core, from /proc/<pid>/stat), and packets/s per core.
 *
 * Two workers: SFU_ROUTER_MAX_PEERS is 1, so the publisher's router on worker 0 is full at
 * once and the room takes a router on worker 1; from then on each new peer goes to the router
 * with fewer peers, so subscribers alternate between the workers and the publisher's streams
 * are piped to worker 1 (src/rtc/pipes.ts), as in a room larger than one router.
 *
 * Baseline in the same run: the simplest possible SFU in Node.js (one UDP socket copying each
 * packet to every subscriber, no RTP processing), driven by the same sender and receivers.
 *
 * Env: MEDIASOUP_WORKER_BIN (required), CONCLAVE_BENCH_STEP_MS (default 2500),
 * CONCLAVE_BENCH_MAX_SECONDS (default 175).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { requireWorkerBin } from '../src/testing/harness.ts';
import {
  AUDIO_PPS,
  type Forwarder,
  LOSS_LIMIT,
  measure,
  pctCore,
  plainForwarder,
  printMachine,
  processCpuMs,
  Receivers,
  type Summary,
  summarize,
  VIDEO_PPS,
} from './lib.ts';

const STEP_MS = Number(process.env.CONCLAVE_BENCH_STEP_MS ?? 2500);
const MAX_SECONDS = Number(process.env.CONCLAVE_BENCH_MAX_SECONDS ?? 175);
const STEPS = [10, 100, 200, 300, 400, 500, 700, 1000, 1400, 1800, 2400, 3000, 3600];

async function nodeRelayForwarder(): Promise<Forwarder> {
  const child = fork(new URL('./node-relay.ts', import.meta.url), { stdio: 'inherit' });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  const ask = async <T>(message: unknown): Promise<T> => {
    child.send(message as never);
    const [reply] = (await once(child, 'message')) as [T];
    return reply;
  };
  const receivers = new Receivers();
  const ports = await receivers.open(16);
  const destinations: number[] = [];
  return {
    name: 'Node.js UDP relay (baseline)',
    ingressPort: ready.port,
    async subscribe(total) {
      while (destinations.length < total) destinations.push(ports[destinations.length % ports.length]!);
      await ask({ op: 'subscribe', ports: destinations });
    },
    received: () => receivers.packets(),
    cpuMs: async () => processCpuMs(child.pid!),
    async close() {
      await receivers.close();
      child.send({ op: 'close' });
      await once(child, 'exit');
    },
  };
}

async function main(): Promise<void> {
  requireWorkerBin();
  const deadline = Date.now() + MAX_SECONDS * 1000;
  printMachine();
  console.log(
    `Forwarding benchmark: 1 publisher (VP8 ${VIDEO_PPS} pkt/s ≈ 1 Mbps + Opus ${AUDIO_PPS} pkt/s ≈ 40 kbps), ` +
      `plain RTP on 127.0.0.1, ${STEP_MS} ms per step, pass = loss < ${LOSS_LIMIT * 100} %\n`,
  );
  const makers: [number, () => Promise<Forwarder & { perWorker?: () => number[] }>][] = [
    [0.35, () => plainForwarder({ name: 'mediasoup, 1 worker', workers: 1, routerMaxPeers: 100_000 })],
    [
      0.4,
      async () => {
        const f = await plainForwarder({
          name: 'mediasoup, 2 workers, one room (piped)',
          workers: 2,
          routerMaxPeers: 1,
        });
        const pids = f.bench.sfu.pool.slots().map((slot) => slot.worker.pid);
        return { ...f, perWorker: () => pids.map(processCpuMs) };
      },
    ],
    [0.25, nodeRelayForwarder],
  ];
  const summaries: Summary[] = [];
  for (const [share, make] of makers) {
    const forwarder = await make();
    console.log(`${forwarder.name}:`);
    const cpu0 = forwarder.perWorker?.();
    try {
      const results = await measure(forwarder, {
        steps: STEPS,
        stepMs: STEP_MS,
        deadline: Math.min(deadline, Date.now() + MAX_SECONDS * 1000 * share),
      });
      summaries.push(summarize(forwarder.name, results));
      if (cpu0) {
        const used = forwarder.perWorker!().map((x, i) => x - cpu0[i]!);
        const total = used.reduce((a, b) => a + b, 0);
        console.log(
          `  CPU split between the workers: ${used.map((x) => `${Math.round((x / total) * 100)} %`).join(' / ')}`,
        );
      }
    } finally {
      await forwarder.close();
    }
    console.log('');
  }
  const [one, two, node] = summaries as [Summary, Summary, Summary];
  for (const s of summaries) {
    console.log(`${s.name}:`);
    console.log(
      `  subscribers at < 1 % loss (measured):     ${s.maxSubscribers}${s.saturated ? '' : ' (not saturated: steps or time ran out)'}`,
    );
    console.log(`  consumers (audio + video):                ${s.maxSubscribers * 2}`);
    console.log(`  packets/s forwarded per core:             ${Math.round(s.ppsPerCore)}`);
    console.log(`  CPU per subscriber (1.04 Mbps):           ${pctCore(s.cpuPerSubscriber)}`);
  }
  console.log('\nmediasoup, 1 worker vs baseline:');
  console.log(`  packets/s per core:        ${(one.ppsPerCore / node.ppsPerCore).toFixed(2)}×`);
  console.log(
    `  CPU per subscriber:        ${(one.cpuPerSubscriber / node.cpuPerSubscriber).toFixed(2)}× the baseline's`,
  );
  console.log(`  subscribers at < 1 % loss: ${one.maxSubscribers} vs ${node.maxSubscribers}`);
  console.log('\n2 workers (one room over both) vs 2 × 1 worker:');
  console.log(
    `  measured subscribers at < 1 % loss: ${two.maxSubscribers} vs 2 × ${one.maxSubscribers} = ` +
      `${((two.maxSubscribers / (2 * one.maxSubscribers)) * 100).toFixed(0)} % (target ≥ 90 %)`,
  );
  console.log(
    `  from CPU per subscriber (each worker on its own core): ${Math.floor(2 / two.cpuPerSubscriber)} vs 2 × ` +
      `${Math.floor(1 / one.cpuPerSubscriber)} = ${((one.cpuPerSubscriber / two.cpuPerSubscriber) * 100).toFixed(0)} % (projected)`,
  );
  console.log(
    '\nNote: sender, receivers and forwarders share this machine’s two cores; when a measured maximum is\n' +
      'below the CPU projection, the load generator or the kernel’s loopback path was the limit, not the worker.',
  );
}

await main();
