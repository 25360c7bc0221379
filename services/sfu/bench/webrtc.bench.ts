/**
 * Consumers per worker over WebRtcTransport (ICE + DTLS + SRTP) in the variants that decide its
 * cost, against PlainTransport in the same run.
 *
 * One publisher sends the 1 Mbps VP8 + 40 kbps Opus mix over plain RTP (ingest is not what is
 * measured). Each subscriber has its own WebRtcTransport on the worker's WebRtcServer port and
 * two consumers (audio + video). The subscribers are thin clients (webrtc-clients.ts, on their
 * own thread): a real ICE check and a real DTLS 1.2 handshake (werift-dtls) with SRTP key
 * export, after which they count the SRTP packets they get; a sample decrypts and
 * authenticates packets. With feedback on they consume with a browser's capabilities
 * (transport-cc, RTX, NACK, PLI) and send what a browser sends back, so the worker also runs
 * congestion control, retransmission and RTCP processing.
 *
 * Variants, each ramped until loss reaches 1 %:
 *   - shipped: the worker's own libsrtp (OpenSSL), AES_CM_128_HMAC_SHA1_80 (what Chromium
 *     negotiates), feedback on;
 *   - the same with AEAD_AES_128_GCM (what the worker prefers when a browser offers it);
 *   - the same without feedback (the RTCP-free cost);
 *   - the same with REMB instead of transport-cc (the client estimates the downlink, so the
 *     worker runs no per-transport congestion controller);
 *   - the same worker binary loaded with Debian's NSS-backed libsrtp2 (LD_LIBRARY_PATH ahead
 *     of the worker's RUNPATH), when that package is installed;
 *   - PlainTransport subscribers (no ICE, DTLS, SRTP or feedback): the floor.
 *
 * Env: MEDIASOUP_WORKER_BIN (required), CONCLAVE_BENCH_STEP_MS (default 2500),
 * CONCLAVE_BENCH_MAX_SECONDS (default 900), CONCLAVE_BENCH_NACK_SHARE (default 0.01: share of
 * video packets each client NACKs), CONCLAVE_BENCH_PLI_MS (default 10000: PLI interval per
 * client), CONCLAVE_BENCH_VARIANTS (comma-separated labels to run; default all),
 * CONCLAVE_BENCH_STEPS (comma-separated subscriber counts).
 */
import { requireWorkerBin } from '../src/testing/harness.ts';
import {
  LOSS_LIMIT,
  measure,
  pctCore,
  plainForwarder,
  printMachine,
  type StepResult,
  summarize,
} from './lib.ts';
import { debianSrtpDirectory, type Variant, webRtcForwarder } from './webrtc-forwarder.ts';

const STEP_MS = Number(process.env.CONCLAVE_BENCH_STEP_MS ?? 2500);
const MAX_SECONDS = Number(process.env.CONCLAVE_BENCH_MAX_SECONDS ?? 900);
const FEEDBACK = {
  nackShare: Number(process.env.CONCLAVE_BENCH_NACK_SHARE ?? 0.01),
  pliIntervalMs: Number(process.env.CONCLAVE_BENCH_PLI_MS ?? 10_000),
  downlinkEstimate: 'transport-cc' as const,
};
const STEPS = process.env.CONCLAVE_BENCH_STEPS?.split(',').map(Number) ?? [
  50, 100, 200, 300, 400, 500, 600, 700, 800, 1000, 1200,
];

/**
 * Near a full core, CPU per consumer only measures the share of the machine the worker got, so
 * ratios come from the largest subscriber count both runs passed with each worker below this.
 */
const UNSATURATED = 0.75;

/** The steps of two runs to compare: both passed, same count, unsaturated where possible. */
function common(a: StepResult[], b: StepResult[]): [StepResult, StepResult] | undefined {
  const passing = (r: StepResult) => r.loss < LOSS_LIMIT;
  const pairs = a.flatMap((x): [StepResult, StepResult][] => {
    const y = b.find((r) => r.subscribers === x.subscribers);
    return y && passing(x) && passing(y) ? [[x, y]] : [];
  });
  return pairs.filter(([x, y]) => x.cpu < UNSATURATED && y.cpu < UNSATURATED).at(-1) ?? pairs.at(-1);
}

const perConsumer = (r: StepResult) => r.cpu / r.subscribers / 2;

function variants(): Variant[] {
  const debian = debianSrtpDirectory();
  const all: (Variant | undefined)[] = [
    { label: 'shipped', suite: 'AES_CM_128_HMAC_SHA1_80', feedback: FEEDBACK },
    { label: 'gcm', suite: 'AEAD_AES_128_GCM', feedback: FEEDBACK },
    { label: 'no-feedback', suite: 'AES_CM_128_HMAC_SHA1_80', feedback: undefined },
    {
      label: 'remb',
      suite: 'AES_CM_128_HMAC_SHA1_80',
      feedback: { ...FEEDBACK, downlinkEstimate: 'remb' },
    },
    debian
      ? { label: 'debian-nss', suite: 'AES_CM_128_HMAC_SHA1_80', feedback: FEEDBACK, libraryPath: debian }
      : undefined,
  ];
  if (!debian) console.log("Debian's libsrtp2-1 is not installed: the NSS comparison is left out.\n");
  const wanted = process.env.CONCLAVE_BENCH_VARIANTS?.split(',');
  return all.filter((v): v is Variant => v !== undefined && (!wanted || wanted.includes(v.label)));
}

const describe = (v: Variant) =>
  `${v.label}: ${v.suite}, ` +
  (v.feedback
    ? `browser-like feedback (${v.feedback.downlinkEstimate}, NACK ${v.feedback.nackShare * 100} % of video, ` +
      `PLI every ${v.feedback.pliIntervalMs / 1000} s)`
    : 'no RTCP from clients');

async function main(): Promise<void> {
  requireWorkerBin();
  const deadline = Date.now() + MAX_SECONDS * 1000;
  printMachine();
  console.log(
    `WebRtcTransport benchmark: 1 publisher (1 Mbps VP8 + 40 kbps Opus), 2 consumers per subscriber, ` +
      `${STEP_MS} ms per step, pass = loss < ${LOSS_LIMIT * 100} %\n`,
  );
  const chosen = variants();
  const results = new Map<string, StepResult[]>();
  for (const [i, variant] of chosen.entries()) {
    const forwarder = await webRtcForwarder(variant);
    console.log(describe(variant));
    try {
      // Each variant gets an equal share of what is left, the plain baseline one more.
      const share = (deadline - Date.now()) / (chosen.length - i + 1);
      results.set(
        variant.label,
        await measure(forwarder, { steps: STEPS, stepMs: STEP_MS, deadline: Date.now() + share }),
      );
      const d = await forwarder.diagnostics();
      const h = d.handshakes;
      console.log(`  worker's libsrtp: ${d.srtpLibrary}`);
      console.log(
        `  ICE + DTLS handshakes: ${h.connected} ok, ${h.failed} failed, ${(h.ms / Math.max(h.connected, 1)).toFixed(1)} ms each; ` +
          `SRTP packets authenticated by sampled clients: ${d.clients?.verified} ok, ${d.clients?.verifyFailed} failed`,
      );
      if (variant.feedback && d.sample)
        console.log(
          `  feedback: ${d.clients?.feedbackSent} RTCP packets sent, ${d.clients?.retransmitted} retransmissions received; ` +
            `one video consumer saw ${d.sample.nackCount} NACKs and ${d.sample.pliCount} PLIs, retransmitted ${d.sample.retransmitted}; ` +
            `its transport's estimated outgoing bitrate ${Math.round((d.sample.outgoingBitrate ?? 0) / 1000)} kbps`,
        );
      console.log('');
    } finally {
      await forwarder.close();
    }
  }

  const largest = Math.max(...[...results.values()].map((r) => r.at(-1)?.subscribers ?? 0));
  const plain = await plainForwarder({ name: 'plain', workers: 1, routerMaxPeers: 100_000 });
  console.log('plain: PlainTransport subscribers, plain RTP, no feedback (same steps)');
  try {
    results.set(
      'plain',
      await measure(plain, { steps: STEPS.filter((s) => s <= largest), stepMs: STEP_MS, deadline }),
    );
  } finally {
    await plain.close();
  }

  console.log('\nSummary (one worker; CPU per consumer at the largest step each variant passed):');
  for (const [label, steps] of results) {
    const s = summarize(label, steps);
    console.log(
      `  ${label.padEnd(12)} ${String(s.maxSubscribers).padStart(5)} subscribers = ${String(s.maxSubscribers * 2).padStart(5)} consumers at < 1 % loss` +
        `${s.saturated ? '' : ' (not saturated)'}   CPU per consumer ${pctCore(s.cpuPerSubscriber / 2)}`,
    );
  }
  console.log(
    `\nRatios at the same subscriber count (CPU per consumer; the largest count where both workers used < ${UNSATURATED * 100} % of a core):`,
  );
  const ratio = (a: string, b: string) => {
    const x = results.get(a);
    const y = results.get(b);
    const pair = x && y ? common(x, y) : undefined;
    if (!pair) return;
    const [ra, rb] = pair;
    console.log(
      `  ${`${a} / ${b}`.padEnd(26)} ${(perConsumer(ra) / perConsumer(rb)).toFixed(2)}×   at ${ra.subscribers} subscribers ` +
        `(${pctCore(perConsumer(ra))} vs ${pctCore(perConsumer(rb))})`,
    );
  };
  ratio('shipped', 'plain');
  ratio('no-feedback', 'plain');
  ratio('shipped', 'no-feedback');
  ratio('gcm', 'shipped');
  ratio('remb', 'shipped');
  ratio('debian-nss', 'shipped');
}

await main();
