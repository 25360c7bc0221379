/**
 * MLS batched joins: k joiners added in one commit to an N-member group (suite 0x0001).
 * For each (N, k): committer time, per-member commit-processing time, join-from-Welcome time
 * and Welcome size, and the ratio of the batch to k one-Add commits (k × the k = 1 row of the
 * same N, measured in the same run). A last section runs the same burst on stock ts-mls
 * (its default WebCrypto provider) for reference.
 *
 *   node packages/e2ee/bench/mls.bench.ts              N = 10, 100, 500, 1000; k = 1, 10, 50
 *   BENCH_QUICK=1 node packages/e2ee/bench/mls.bench.ts   N = 10, 100; k = 1, 10
 *   BENCH_SIZES=100,500,1000 BENCH_BATCHES=1 BENCH_STOCK=0 ...   chosen sizes and batches only
 *
 * Groups are grown with one large batched Add from the first member, so all other leaves are
 * fresh KeyPackage leaves and parent nodes are blank (the cheapest tree to validate). Each
 * measurement starts from copies of the same two member states (the committer and one other
 * member), so rows are independent of each other. A last table per N repeats join, Add and
 * Remove on copies after one Remove filled the committer's path up to the root (as in any
 * meeting after its first leave), times the parent-hash check of the joiner's tree (N² in stock
 * ts-mls 1.6.4, linear with patches/ts-mls@1.6.4.patch), and divides that join by the join into
 * the blank tree of the same N. The last table has a member process a run of Adds and Removes
 * in the state it keeps in memory, as members do, and divides by the same commits processed from
 * a decoded copy (the patch's remembered tree hashes make the difference). The burst workload
 * lives in mls-workload.ts, shared with the Chromium run (mls-browser.bench.ts).
 */
import {
  bytesToBase64,
  createCommit,
  defaultCryptoProvider,
  defaultCapabilities,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  makePskIndex,
  processPrivateMessage,
  createGroup,
  type ClientState,
  type CiphersuiteImpl,
} from 'ts-mls';
import { verifyParentHashes } from 'ts-mls/parentHash.js';
import {
  acceptCommit,
  commitAdd,
  commitRemove,
  createJoiner,
  createMeetingGroup,
  decodeMeetingGroup,
  encodeMeetingGroup,
  getSuite,
  joinFromWelcome,
  type MeetingGroup,
  receiveMessage,
  SUITE_NAME,
} from '../src/mls/index.ts';
import { benchKeys, grow, makeJoiners, measure, median, repeatsFor, type Row, time } from './mls-workload.ts';

const QUICK = process.env['BENCH_QUICK'] === '1';
const list = (name: string, fallback: number[]) => process.env[name]?.split(',').map(Number) ?? fallback;
const SIZES = list('BENCH_SIZES', QUICK ? [10, 100] : [10, 100, 500, 1000]);
const BATCHES = list('BENCH_BATCHES', QUICK ? [1, 10] : [1, 10, 50]);
const STOCK = !QUICK && process.env['BENCH_STOCK'] !== '0';

const keys = benchKeys();

const ms = (t: number) => t.toFixed(1).padStart(8);

interface PathRow {
  n: number;
  commit: number;
  process: number;
  commitKB: number;
}

/** A Remove commit carries an UpdatePath: encrypted to the resolution of every copath node. */
async function measureRemove(committer: MeetingGroup, member: MeetingGroup, n: number): Promise<PathRow> {
  const memberBytes = encodeMeetingGroup(member);
  const leaves = committer.state.ratchetTree.flatMap((node, i) => (node?.nodeType === 'leaf' ? [i / 2] : []));
  const victim = leaves.at(-1)!;
  const samples: PathRow[] = [];
  for (let r = 0; r < Math.max(1, repeatsFor(n) - 1); r++) {
    const [pending, commit] = await time(() => commitRemove(committer, [victim]));
    // Decoding the copy is not part of processing (in a client the state stays in memory).
    const receiver = decodeMeetingGroup(memberBytes, keys);
    const [, process] = await time(() => receiveMessage(receiver, pending.commit));
    samples.push({ n, commit, process, commitKB: pending.commit.length / 1024 });
  }
  return {
    n,
    commit: median(samples.map((s) => s.commit)),
    process: median(samples.map((s) => s.process)),
    commitKB: median(samples.map((s) => s.commitKB)),
  };
}

function reportRemoves(rows: PathRow[]): void {
  console.log('\nRemove one member (UpdatePath to the rest; parent nodes blank after batched adds):');
  console.log('   N   commit ms  process ms  commit KB');
  for (const r of rows) {
    console.log(
      `${String(r.n).padStart(4)} ${ms(r.commit)}    ${ms(r.process)}  ${r.commitKB.toFixed(1).padStart(9)}`,
    );
  }
}

interface FilledRow {
  n: number;
  join: number;
  /** ts-mls's `verifyParentHashes` run again, alone, on the joiner's tree (`join` includes it once). */
  parentHashes: number;
  addCommit: number;
  addProcess: number;
  removeCommit: number;
  removeProcess: number;
}

const copyOf = (group: MeetingGroup) => decodeMeetingGroup(encodeMeetingGroup(group), keys);

/**
 * The same operations once a commit with an UpdatePath (a Remove, a self-update) has filled the
 * committer's path, root included: every meeting after its first leave. Works on copies, so the
 * blank tree of the rows above is left as it was.
 */
async function measureFilled(
  committerIn: MeetingGroup,
  memberIn: MeetingGroup,
  n: number,
): Promise<FilledRow> {
  let committer = copyOf(committerIn);
  let member = copyOf(memberIn);
  const leaves = committer.state.ratchetTree.flatMap((node, i) => (node?.nodeType === 'leaf' ? [i / 2] : []));
  const first = await commitRemove(committer, [leaves.at(-1)!]);
  member = (await receiveMessage(member, first.commit)).group;
  committer = acceptCommit(first);
  const memberBytes = encodeMeetingGroup(member);
  const suite = await getSuite();
  const samples: FilledRow[] = [];
  for (let r = 0; r < repeatsFor(n); r++) {
    const [joiner] = await makeJoiners(keys, 1);
    const [add, addCommit] = await time(() => commitAdd(committer, [joiner!.keyPackageBytes]));
    const addReceiver = decodeMeetingGroup(memberBytes, keys);
    const [, addProcess] = await time(() => receiveMessage(addReceiver, add.commit));
    const [joined, join] = await time(() => joinFromWelcome(joiner!, add.welcome!));
    const [, parentHashes] = await time(() => verifyParentHashes(joined.state.ratchetTree, suite.hash));
    const [remove, removeCommit] = await time(() => commitRemove(committer, [leaves.at(-2)!]));
    const removeReceiver = decodeMeetingGroup(memberBytes, keys);
    const [, removeProcess] = await time(() => receiveMessage(removeReceiver, remove.commit));
    samples.push({ n, join, parentHashes, addCommit, addProcess, removeCommit, removeProcess });
  }
  const mid = (pick: (row: FilledRow) => number) => median(samples.map(pick));
  return {
    n,
    join: mid((x) => x.join),
    parentHashes: mid((x) => x.parentHashes),
    addCommit: mid((x) => x.addCommit),
    addProcess: mid((x) => x.addProcess),
    removeCommit: mid((x) => x.removeCommit),
    removeProcess: mid((x) => x.removeProcess),
  };
}

interface LiveRow {
  n: number;
  addProcess: number;
  removeProcess: number;
}

/**
 * A member processing a run of commits in the state it keeps in memory, as in a meeting: the
 * rows above start each from a decoded copy, so every tree hash is computed afresh there, while
 * a live member re-hashes only the nodes each commit changed (patches/ts-mls@1.6.4.patch).
 */
async function measureLive(committerIn: MeetingGroup, memberIn: MeetingGroup, n: number): Promise<LiveRow> {
  let committer = copyOf(committerIn);
  let member = copyOf(memberIn);
  const leaves = committer.state.ratchetTree.flatMap((node, i) => (node?.nodeType === 'leaf' ? [i / 2] : []));
  const adds: number[] = [];
  const removes: number[] = [];
  // The first commit warms the member's remembered hashes (a decoded state has none).
  for (let r = 0; r <= repeatsFor(n) + 1; r++) {
    const [joiner] = await makeJoiners(keys, 1);
    const add = await commitAdd(committer, [joiner!.keyPackageBytes]);
    committer = acceptCommit(add);
    const [added, addMs] = await time(() => receiveMessage(member, add.commit));
    member = added.group;
    const remove = await commitRemove(committer, [leaves.at(-1 - r)!]);
    committer = acceptCommit(remove);
    const [removed, removeMs] = await time(() => receiveMessage(member, remove.commit));
    member = removed.group;
    if (r > 0) {
      adds.push(addMs);
      removes.push(removeMs);
    }
  }
  return { n, addProcess: median(adds), removeProcess: median(removes) };
}

/** `decoded`: the same operations processed from a decoded state, the table above. */
function reportLive(rows: LiveRow[], decoded: FilledRow[]): void {
  console.log('\nA member processing a run of commits in its live state (one Add, one Remove, in turn):');
  console.log('   N   Add: process ms  ÷ from decoded state   Remove: process ms  ÷ from decoded state');
  for (const r of rows) {
    const d = decoded.find((x) => x.n === r.n);
    const ratio = (x: number, y: number | undefined) => (y ? `${(x / y).toFixed(2)}×` : '-').padStart(20);
    console.log(
      `${String(r.n).padStart(4)}         ${ms(r.addProcess)} ${ratio(r.addProcess, d?.addProcess)}             ${ms(r.removeProcess)} ${ratio(r.removeProcess, d?.removeProcess)}`,
    );
  }
}

/** `blank`: the k = 1 rows, whose joins into a tree with blank parents are the baseline. */
function reportFilled(rows: FilledRow[], blank: Row[]): void {
  console.log("\nAfter one Remove (committer's path filled up to the root; one Add per commit, one Remove):");
  console.log(
    '   N   join ms  ÷ blank-tree join  parent-hash check ms   Add: commit ms  process ms   Remove: commit ms  process ms',
  );
  for (const r of rows) {
    const base = blank.find((b) => b.n === r.n && b.k === 1);
    const ratio = base ? `${(r.join / base.join).toFixed(2)}×` : '-';
    console.log(
      `${String(r.n).padStart(4)} ${ms(r.join)}  ${ratio.padStart(17)}  ${ms(r.parentHashes)}             ${ms(r.addCommit)}    ${ms(r.addProcess)}           ${ms(r.removeCommit)}    ${ms(r.removeProcess)}`,
    );
  }
}

function report(rows: Row[]): void {
  console.log(
    '\n   N    k   commit ms  process ms   join ms  Welcome KB   batch / (k × one-Add): commit  process',
  );
  for (const row of rows) {
    const single = rows.find((r) => r.n === row.n && r.k === 1)!;
    const ratio = (x: number, one: number) =>
      row.k === 1 ? '     -' : (x / (row.k * one)).toFixed(3).padStart(6);
    console.log(
      `${String(row.n).padStart(4)} ${String(row.k).padStart(4)} ${ms(row.commit)}    ${ms(row.process)}  ${ms(row.join)}  ${row.welcomeKB.toFixed(1).padStart(9)}` +
        `                          ${ratio(row.commit, single.commit)}   ${ratio(row.process, single.process)}`,
    );
  }
}

async function stockReference(n: number, k: number): Promise<Row> {
  const cs: CiphersuiteImpl = await getCiphersuiteImpl(
    getCiphersuiteFromName(SUITE_NAME),
    defaultCryptoProvider,
  );
  const pskId = new TextEncoder().encode('bench');
  const psk = crypto.getRandomValues(new Uint8Array(32));
  const index = (s: ClientState | undefined) => makePskIndex(s, { [bytesToBase64(pskId)]: psk });
  const pskProposal = () => ({
    proposalType: 'psk' as const,
    psk: {
      preSharedKeyId: {
        psktype: 'external' as const,
        pskId,
        pskNonce: crypto.getRandomValues(new Uint8Array(32)),
      },
    },
  });
  const kp = (i: number) =>
    generateKeyPackage(
      { credentialType: 'basic', identity: new TextEncoder().encode(`member ${i} ${Math.random()}`) },
      defaultCapabilities(),
      defaultLifetime,
      [],
      cs,
    );
  const first = await kp(0);
  let a = await createGroup(
    crypto.getRandomValues(new Uint8Array(16)),
    first.publicPackage,
    first.privatePackage,
    [],
    cs,
  );
  const others = await Promise.all(Array.from({ length: n - 1 }, (_, i) => kp(i + 1)));
  const addAll = (list: typeof others) => [
    ...list.map((x) => ({ proposalType: 'add' as const, add: { keyPackage: x.publicPackage } })),
    pskProposal(),
  ];
  const built = await createCommit(
    { state: a, cipherSuite: cs, pskIndex: index(a) },
    { extraProposals: addAll(others), ratchetTreeExtension: true },
  );
  a = built.newState;
  const b = await joinGroup(
    built.welcome!,
    others[0]!.publicPackage,
    others[0]!.privatePackage,
    index(undefined),
    cs,
  );
  const joiners = await Promise.all(Array.from({ length: k }, (_, i) => kp(10000 + i)));
  const [res, commit] = await time(() =>
    createCommit(
      { state: a, cipherSuite: cs, pskIndex: index(a) },
      { extraProposals: addAll(joiners), ratchetTreeExtension: true },
    ),
  );
  if (res.commit.wireformat !== 'mls_private_message') throw new Error('expected a PrivateMessage');
  const pm = res.commit.privateMessage;
  const [, process] = await time(() => processPrivateMessage(b, pm, index(b), cs));
  const [, join] = await time(() =>
    joinGroup(res.welcome!, joiners[0]!.publicPackage, joiners[0]!.privatePackage, index(undefined), cs),
  );
  const welcome = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: res.welcome! });
  return { n, k, commit, process, join, welcomeKB: welcome.length / 1024, samples: 1 };
}

const started = performance.now();
const suite = await getSuite();
console.log(
  `MLS batched joins, ${SUITE_NAME}, Node ${process.versions.node}, signatures: ${suite.signature.backend}` +
    `${QUICK ? ' (quick)' : ''}`,
);

const creator = await createJoiner(keys);
let committer = await createMeetingGroup(creator, crypto.getRandomValues(new Uint8Array(16)));
let member: MeetingGroup | undefined;
const rows: Row[] = [];
const removes: PathRow[] = [];
const filled: FilledRow[] = [];
const live: LiveRow[] = [];
for (const n of SIZES) {
  const [grown, growMs] = await time(() => grow(keys, committer, member, n));
  committer = grown.committer;
  member = grown.member;
  console.log(`built N=${n} in ${(growMs / 1000).toFixed(1)} s`);
  for (const k of BATCHES) rows.push(await measure(keys, committer, member, n, k));
  removes.push(await measureRemove(committer, member, n));
  filled.push(await measureFilled(committer, member, n));
  live.push(await measureLive(committer, member, n));
}
report(rows);
reportRemoves(removes);
reportFilled(filled, rows);
reportLive(live, filled);

if (STOCK) {
  console.log('\nStock ts-mls 1.6.4 (default provider, default capabilities), same burst, one sample each:');
  const stock = [await stockReference(500, 1), await stockReference(500, 50)];
  report(stock);
}
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
