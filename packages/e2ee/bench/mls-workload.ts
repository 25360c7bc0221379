/**
 * The MLS batched-join workload shared by the Node benchmark (mls.bench.ts) and the browser
 * benchmark (mls-browser.bench.ts, which bundles this file for Chromium). No Node built-ins:
 * only WebCrypto, performance.now() and the package's MLS API.
 *
 * Groups are grown with one large batched Add from the first member, so all other leaves are
 * fresh KeyPackage leaves and parent nodes are blank (the cheapest tree to validate). Each
 * measurement starts from copies of the same two member states (the committer and one other
 * member), so rows are independent of each other.
 */
import {
  acceptCommit,
  commitAdd,
  createJoiner,
  createMeetingGroup,
  decodeMeetingGroup,
  encodeMeetingGroup,
  getSuite,
  type Joiner,
  joinFromWelcome,
  type MeetingGroup,
  type MeetingKeys,
  receiveMessage,
} from '../src/mls/index.ts';

export interface Row {
  n: number;
  k: number;
  /** Committer creates the batched Add commit (ms, median). */
  commit: number;
  /** An existing member processes it (ms, median). */
  process: number;
  /** A joiner joins from the Welcome (ms, median). */
  join: number;
  welcomeKB: number;
  samples: number;
}

/** One group size and the batch sizes measured on it; sizes must grow from step to step. */
export interface BurstStep {
  n: number;
  batches: number[];
}

export function benchKeys(): MeetingKeys {
  return {
    mlsPsk: crypto.getRandomValues(new Uint8Array(32)),
    pskId: 'conclave/v1/psk/BENCHMARK0',
    credKey: crypto.getRandomValues(new Uint8Array(32)),
  };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const repeatsFor = (n: number): number => (n <= 10 ? 7 : n <= 100 ? 5 : n <= 500 ? 3 : 2);

export async function time<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
}

export async function makeJoiners(keys: MeetingKeys, count: number): Promise<Joiner[]> {
  const out: Joiner[] = [];
  for (let i = 0; i < count; i += 64) {
    out.push(
      ...(await Promise.all(Array.from({ length: Math.min(64, count - i) }, () => createJoiner(keys)))),
    );
  }
  return out;
}

export function leafCount(group: MeetingGroup): number {
  return group.state.ratchetTree.filter((x) => x?.nodeType === 'leaf').length;
}

/** Grows the committer's group to `n` members with one batched Add; returns it and member 1. */
export async function grow(
  keys: MeetingKeys,
  committer: MeetingGroup,
  other: MeetingGroup | undefined,
  n: number,
): Promise<{ committer: MeetingGroup; member: MeetingGroup }> {
  const joiners = await makeJoiners(keys, n - leafCount(committer));
  const pending = await commitAdd(
    committer,
    joiners.map((j) => j.keyPackageBytes),
  );
  let member = other;
  if (member === undefined) member = await joinFromWelcome(joiners[0]!, pending.welcome!);
  else {
    const r = await receiveMessage(member, pending.commit);
    member = r.group;
  }
  return { committer: acceptCommit(pending), member };
}

/** k joiners added in one commit to the committer's group: commit, process, join, Welcome size. */
export async function measure(
  keys: MeetingKeys,
  committer: MeetingGroup,
  member: MeetingGroup,
  n: number,
  k: number,
  repeats = repeatsFor(n),
): Promise<Row> {
  const samples: Omit<Row, 'samples'>[] = [];
  const memberBytes = encodeMeetingGroup(member);
  for (let r = 0; r < repeats; r++) {
    const joiners = await makeJoiners(keys, k);
    // commitAdd leaves the committer's state untouched until acceptCommit: reuse it.
    const [pending, commit] = await time(() =>
      commitAdd(
        committer,
        joiners.map((j) => j.keyPackageBytes),
      ),
    );
    const receiver = decodeMeetingGroup(memberBytes, keys);
    const [, process] = await time(() => receiveMessage(receiver, pending.commit));
    const [, join] = await time(() => joinFromWelcome(joiners[0]!, pending.welcome!));
    samples.push({ n, k, commit, process, join, welcomeKB: pending.welcome!.length / 1024 });
  }
  return {
    n,
    k,
    commit: median(samples.map((s) => s.commit)),
    process: median(samples.map((s) => s.process)),
    join: median(samples.map((s) => s.join)),
    welcomeKB: median(samples.map((s) => s.welcomeKB)),
    samples: samples.length,
  };
}

export interface BurstResult {
  rows: Row[];
  /** How the Ed25519 signatures ran ('webcrypto' or 'noble'). */
  signatures: string;
}

/**
 * Runs the plan from one fresh group: grow to each step's N, measure its batches. `log` gets
 * progress lines (the browser run forwards them to the console).
 */
export async function runBursts(
  plan: BurstStep[],
  options: { repeats?: number; log?: (line: string) => void } = {},
): Promise<BurstResult> {
  const keys = benchKeys();
  const suite = await getSuite();
  const creator = await createJoiner(keys);
  let committer = await createMeetingGroup(creator, crypto.getRandomValues(new Uint8Array(16)));
  let member: MeetingGroup | undefined;
  const rows: Row[] = [];
  for (const step of plan) {
    const [grown, growMs] = await time(() => grow(keys, committer, member, step.n));
    committer = grown.committer;
    member = grown.member;
    options.log?.(`built N=${step.n} in ${(growMs / 1000).toFixed(1)} s`);
    for (const k of step.batches) {
      rows.push(await measure(keys, committer, member, step.n, k, options.repeats ?? repeatsFor(step.n)));
    }
  }
  return { rows, signatures: suite.signature.backend };
}
