/**
 * DS benchmark on loopback: join latency (KeyPackage published → Welcome processed by the
 * joiner, real MLS on packages/e2ee) and application-message fan-out throughput (windowed,
 * and as one back-to-back burst), for groups of 10, 100, 500 and 1000 members. Uses two DS
 * instances on Redis when REDIS_URL is set, the
 * embedded mode otherwise. The crowd members are passive (their MLS work would run on
 * their own machines); the committer and the measured joiner do all real MLS work. Each
 * measured joiner leaves again, so the committer commits a Remove and every later joiner checks
 * a tree whose root is filled: stock ts-mls 1.6.4 checks it in N², the patched install in N
 * (docs/mls-ds.md).
 *
 *   npm run bench -w @conclave/mls-ds            # BENCH_SIZES=10,100 BENCH_SAMPLES=20 to narrow
 */
import { randomBytes } from 'node:crypto';
import { type Cluster, newSigner, startCluster } from '../src/testing/fixtures.ts';
import { eventually, TestMeeting } from '../src/testing/meeting.ts';
import type { SimMember } from '../src/testing/sim-member.ts';

const sizes = (process.env.BENCH_SIZES ?? '10,100,500,1000').split(',').map(Number);
const samples = Number(process.env.BENCH_SAMPLES ?? 20);
const budgetMs = Number(process.env.BENCH_BUDGET_MS ?? 240_000);
const MIN_SAMPLES = Math.min(3, samples);
const started = Date.now();
const signer = newSigner();
const redis = Boolean(process.env.REDIS_URL);

// A join into 1000 members keeps this one process busy for seconds (the DS shares it): generous
// deadlines, so the designated committer is not passed over for a passive member meanwhile.
const env = {
  DS_RESUME_GRACE_MS: '60000',
  DS_COMMIT_DEADLINE_MS: '60000',
  DS_MAINTAIN_INTERVAL_MS: '1000',
  DS_PING_INTERVAL_MS: '10000',
  DS_AUTH_TIMEOUT_MS: '10000',
  DS_RATE_MESSAGES_PER_SECOND: '100000',
  DS_RATE_MESSAGE_BURST: '100000',
  DS_MAX_PENDING_KEY_PACKAGES: '1000',
  // N members, the measured joiner and the previous one still awaiting its Remove.
  DS_MAX_GROUP_MEMBERS: '1100',
};

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const fmt = (n: number) => n.toFixed(0).padStart(6);

async function benchSize(cluster: Cluster, n: number): Promise<void> {
  const url = (i: number) => cluster.instances[i % cluster.instances.length]!.url;
  const meeting = new TestMeeting(signer);
  const committer = await meeting.join(url(0));
  const crowd: SimMember[] = [];
  const t0 = performance.now();
  // n-2 passive members, joined in batches, so the measured joiner is the n-th member.
  for (let i = 0; i < n - 2; i += 50) {
    const batch = Math.min(50, n - 2 - i);
    crowd.push(
      ...(await Promise.all(
        Array.from({ length: batch }, (_, j) => meeting.join(url(i + j + 1), { passive: true })),
      )),
    );
  }
  await eventually(() => committer.engine.size === n - 1, 120_000, `group of ${n - 1}`);
  await eventually(() => crowd.every((m) => m.joinedAt > 0), 30_000, 'crowd welcomed');
  const buildMs = performance.now() - t0;

  const latencies: number[] = [];
  // A few samples per size even past the budget, so every size measured gets a figure.
  for (let s = 0; s < samples && (s < MIN_SAMPLES || Date.now() - started < budgetMs); s++) {
    const epoch = committer.epoch;
    const joiner = await meeting.join(url(s + 1));
    await joiner.waitForEpoch(epoch + 1, 120_000).catch((e) => {
      console.log(
        'DEBUG',
        committer.epoch,
        committer.client.received
          .slice(-6)
          .map((m) => m.type + ':' + ('epoch' in m ? m.epoch : '') + ('code' in m ? m.code : '')),
        committer.errors.map(String),
        joiner.client.received.map((m) => m.type),
        joiner.errors.map((x) => String(x) + String((x as Error).cause)),
      );
      throw e;
    });
    latencies.push(joiner.joinedAt - joiner.keyPackageSentAt);
    joiner.leave();
    await committer.waitForEpoch(epoch + 2, 120_000);
  }

  // Fan-out: one sender, every other member counts what it receives.
  const messages = n >= 500 ? 100 : 300;
  const payload = randomBytes(200).toString('base64');
  const receivers = crowd;
  const before = receivers.map((m) => m.appCount);
  const f0 = performance.now();
  // Windowed like a real client: at most 32 messages in flight.
  const probe = receivers[0]!;
  for (let i = 0; i < messages; i++) {
    if (i - (probe.appCount - before[0]!) >= 32) {
      await eventually(() => i - (probe.appCount - before[0]!) < 16, 30_000, 'window');
    }
    committer.client.send({ type: 'app', epoch: committer.epoch, data: payload });
  }
  await eventually(() => receivers.every((m, i) => m.appCount - before[i]! >= messages), 120_000, 'fan-out');
  const fanoutMs = performance.now() - f0;
  const deliveries = messages * receivers.length;

  // Burst: the same messages written back-to-back with no window; the DS pauses reading the
  // sender's socket while its queue is full instead of refusing anything.
  const burstBefore = receivers.map((m) => m.appCount);
  const b0 = performance.now();
  for (let i = 0; i < messages; i++)
    committer.client.send({ type: 'app', epoch: committer.epoch, data: payload });
  await eventually(
    () => receivers.every((m, i) => m.appCount - burstBefore[i]! >= messages),
    120_000,
    'burst fan-out',
  );
  const burstMs = performance.now() - b0;

  const addressed = await introductions(meeting, committer, crowd, true, url(1));
  const broadcast = await introductions(meeting, committer, crowd, false, url(1));

  console.log(
    `N=${String(n).padStart(3)}  group built in ${fmt(buildMs)} ms | join ${latencies.length} samples: p50 ${fmt(percentile(latencies, 50))} ms  p95 ${fmt(percentile(latencies, 95))} ms  max ${fmt(Math.max(...latencies))} ms | fan-out ${messages} msgs to ${receivers.length}: ${fmt(deliveries / (fanoutMs / 1000))} deliveries/s windowed, ${fmt(deliveries / (burstMs / 1000))} as one burst`,
  );
  console.log(
    `       introductions to a newcomer (one message from each of ${crowd.length} members): for the newcomer only ${introductionsLine(addressed)} | to everyone (before) ${introductionsLine(broadcast)} | ratio ${(addressed.ms / broadcast.ms).toFixed(2)} time, ${(addressed.deliveries / broadcast.wanted).toFixed(4)} deliveries`,
  );
  for (const m of meeting.members) m.client.close();
}

/**
 * A newcomer learns who everyone is from one message per member (the web client's roster
 * entry). Sent to the newcomer alone, as the client does, or to everyone, as it did before:
 * the time until every copy is delivered, and how many copies the DS delivered.
 */
async function introductions(
  meeting: TestMeeting,
  committer: SimMember,
  crowd: SimMember[],
  addressed: boolean,
  url: string,
): Promise<Introductions> {
  const epoch = committer.epoch;
  const newcomer = await meeting.join(url, { passive: true });
  await committer.waitForEpoch(epoch + 1, 120_000);
  await eventually(() => newcomer.joinedAt > 0, 30_000, 'newcomer welcomed');
  const everyone = [...crowd, newcomer];
  const before = everyone.map((m) => m.appCount);
  const payload = randomBytes(120).toString('base64');
  const t0 = performance.now();
  for (const m of crowd)
    m.client.send({
      type: 'app',
      epoch: epoch + 1,
      data: payload,
      ...(addressed ? { to: [newcomer.member] } : {}),
    });
  // Each crowd member receives the others' copies too when they go to everyone.
  const expected = (m: SimMember) => (m === newcomer ? crowd.length : addressed ? 0 : crowd.length - 1);
  const wanted = everyone.reduce((sum, m) => sum + expected(m), 0);
  const delivered = () => everyone.reduce((sum, m, i) => sum + m.appCount - before[i]!, 0);
  // Bounded: at N = 1000, a million copies to everyone may not be through in time.
  const complete = await eventually(
    () => everyone.every((m, i) => m.appCount - before[i]! >= expected(m)),
    INTRODUCTIONS_LIMIT_MS,
    'introductions delivered',
  ).then(
    () => true,
    () => false,
  );
  const ms = performance.now() - t0;
  const deliveries = delivered();
  newcomer.leave();
  await committer.waitForEpoch(epoch + 2, 120_000).catch(() => undefined);
  return { ms, deliveries, wanted, complete };
}

const INTRODUCTIONS_LIMIT_MS = 120_000;

function introductionsLine(r: Introductions): string {
  if (r.complete) return `${fmt(r.ms)} ms, ${r.deliveries} deliveries`;
  return `not through after ${fmt(r.ms)} ms: ${r.deliveries} of ${r.wanted} deliveries`;
}

interface Introductions {
  ms: number;
  deliveries: number;
  wanted: number;
  complete: boolean;
}

const cluster = await startCluster(signer, { redis, count: redis ? 2 : 1, env });
console.log(
  `mls-ds join bench: ${redis ? 'two instances on Redis' : 'embedded'}, loopback, ${samples} samples`,
);
try {
  for (const n of sizes) {
    if (Date.now() - started > budgetMs) {
      console.log(`N=${n} skipped: time budget of ${budgetMs} ms used up`);
      continue;
    }
    await benchSize(cluster, n);
  }
} finally {
  await cluster.close();
}
process.exit(0);
