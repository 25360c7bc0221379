/**
 * MLS batched joins: k joiners added in one commit to an N-member group (suite 0x0001).
 * For each (N, k): committer time, per-member commit-processing time, join-from-Welcome time
 * and Welcome size, and the ratio of the batch to k one-Add commits (k × the k = 1 row of the
 * same N, measured in the same run). A last section runs the same burst on stock ts-mls
 * (its default WebCrypto provider) for reference.
 *
 *   node packages/e2ee/bench/mls.bench.ts              N = 10, 100, 500, 1000; k = 1, 10, 50
 *   BENCH_QUICK=1 node packages/e2ee/bench/mls.bench.ts   N = 10, 100; k = 1, 10
 *
 * Groups are grown with one large batched Add from the first member, so all other leaves are
 * fresh KeyPackage leaves and parent nodes are blank (the cheapest tree to validate). Each
 * measurement starts from copies of the same two member states (the committer and one other
 * member), so rows are independent of each other. The burst workload lives in mls-workload.ts,
 * shared with the Chromium run (mls-browser.bench.ts).
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
import {
  commitRemove,
  createJoiner,
  createMeetingGroup,
  decodeMeetingGroup,
  encodeMeetingGroup,
  getSuite,
  type MeetingGroup,
  receiveMessage,
  SUITE_NAME,
} from '../src/mls/index.ts';
import { benchKeys, grow, measure, median, repeatsFor, type Row, time } from './mls-workload.ts';

const QUICK = process.env['BENCH_QUICK'] === '1';
const SIZES = QUICK ? [10, 100] : [10, 100, 500, 1000];
const BATCHES = QUICK ? [1, 10] : [1, 10, 50];
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
    const [, process] = await time(() =>
      receiveMessage(decodeMeetingGroup(memberBytes, keys), pending.commit),
    );
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
for (const n of SIZES) {
  const [grown, growMs] = await time(() => grow(keys, committer, member, n));
  committer = grown.committer;
  member = grown.member;
  console.log(`built N=${n} in ${(growMs / 1000).toFixed(1)} s`);
  for (const k of BATCHES) rows.push(await measure(keys, committer, member, n, k));
  removes.push(await measureRemove(committer, member, n));
}
report(rows);
reportRemoves(removes);

if (STOCK) {
  console.log('\nStock ts-mls 1.6.4 (default provider, default capabilities), same burst, one sample each:');
  const stock = [await stockReference(500, 1), await stockReference(500, 50)];
  report(stock);
}
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
