/**
 * The joiner's checks of the ratchet tree, as patches/ts-mls@1.6.4.patch leaves them: the patch is
 * installed; a joiner accepts the trees real meetings make (ts-mls 1.6.4 refused every joiner
 * once a node listed two unmerged leaves and the node below it one); the unmerged-leaf rules of
 * RFC 9420 still refuse a tree that breaks them; the parent-hash check refuses any parent hash or
 * parent key changed, and hashes each (ancestor, side) pair once, so a tree of N members costs
 * O(N) hashes instead of 0.67·N².
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { Hash, RatchetTree } from 'ts-mls';
import { validateRatchetTree } from 'ts-mls/clientState.js';
import { verifyParentHashes } from 'ts-mls/parentHash.js';
import { acceptCommit, commitAdd, commitRemove, commitUpdate } from './commit.ts';
import { getSuite } from './crypto/ciphersuite.ts';
import { createMeetingGroup, type MeetingGroup } from './group.ts';
import { createJoiner, type Joiner } from './keyPackage.ts';
import { meetingKeys, TestMeeting } from './test-support.ts';

const keys = meetingKeys(7);

function counting(hash: Hash): { hash: Hash; digests: () => number } {
  let n = 0;
  return {
    hash: {
      ...hash,
      digest: (data) => {
        n++;
        return hash.digest(data);
      },
    },
    digests: () => n,
  };
}

/** One bit changed; the root's empty parent hash becomes 32 bytes. */
const flipped = (bytes: Uint8Array) =>
  bytes.length === 0 ? new Uint8Array(32).fill(1) : bytes.map((b, i) => (i === 0 ? b ^ 1 : b));

/** Every tree that differs from `tree` in one parent hash or one parent's public key. */
function* tampered(tree: RatchetTree): Generator<[string, RatchetTree]> {
  for (const [i, node] of tree.entries()) {
    if (node?.nodeType === 'parent') {
      const { parent } = node;
      for (const [what, changed] of [
        ['parent hash', { ...parent, parentHash: flipped(parent.parentHash) }],
        ['public key', { ...parent, hpkePublicKey: flipped(parent.hpkePublicKey) }],
      ] as const) {
        const copy = tree.slice();
        copy[i] = { ...node, parent: changed };
        yield [`${what} of node ${i}`, copy];
      }
    } else if (node?.nodeType === 'leaf' && node.leaf.leafNodeSource === 'commit') {
      const copy = tree.slice();
      copy[i] = { ...node, leaf: { ...node.leaf, parentHash: flipped(node.leaf.parentHash) } };
      yield [`parent hash of leaf ${i / 2}`, copy];
    }
  }
}

async function joiners(n: number): Promise<Joiner[]> {
  return Promise.all(Array.from({ length: n }, () => createJoiner(keys)));
}

/** Ten members, three self-updates, a Remove, then two joiners one after the other. */
async function meetingWithUnmergedLeaves(): Promise<TestMeeting> {
  const meeting = await TestMeeting.start(keys);
  const first = (await joiners(9)).map((j, i) => [`m${i + 1}`, j] as [string, Joiner]);
  await meeting.deliver(
    'm0',
    await commitAdd(
      meeting.get('m0'),
      first.map(([, j]) => j.keyPackageBytes),
    ),
    first,
  );
  for (const name of ['m3', 'm7', 'm1']) await meeting.deliver(name, await commitUpdate(meeting.get(name)));
  await meeting.deliver(
    'm5',
    await commitRemove(meeting.get('m5'), [meeting.get('m2').state.privatePath.leafIndex]),
  );
  for (const name of ['late0', 'late1']) {
    const [joiner] = await joiners(1);
    await meeting.deliver('m9', await commitAdd(meeting.get('m9'), [joiner!.keyPackageBytes]), [
      [name, joiner!],
    ]);
  }
  return meeting;
}

const unmerged = (tree: RatchetTree) =>
  tree.flatMap((n, i) => (n?.nodeType === 'parent' ? [[i, n.parent.unmergedLeaves] as const] : []));

function withUnmerged(tree: RatchetTree, index: number, leaves: number[]): RatchetTree {
  const node = tree[index];
  assert.equal(node?.nodeType, 'parent');
  const copy = tree.slice();
  copy[index] = { ...node, parent: { ...node.parent, unmergedLeaves: leaves } };
  return copy;
}

describe('the ratchet tree checks of a joiner', () => {
  it('run with the patch in place', () => {
    const installedDir = dirname(createRequire(import.meta.url).resolve('ts-mls/parentHash.js'));
    const patch = readFileSync(new URL('../../../../patches/ts-mls@1.6.4.patch', import.meta.url), 'utf8');
    let file = '';
    for (const line of patch.split('\n')) {
      if (line.startsWith('+++ b/dist/src/')) file = readFileSync(join(installedDir, line.slice(15)), 'utf8');
      else if (line.startsWith('+') && !line.startsWith('+++')) assert.ok(file.includes(line.slice(1)), line);
    }
  });

  it('accept a meeting where one node lists two unmerged leaves and the node below it one', async () => {
    const meeting = await meetingWithUnmergedLeaves();
    await meeting.assertInSync();
    const lists = unmerged(meeting.get('m0').state.ratchetTree);
    assert.ok(
      lists.some(([, l]) => l.length >= 2),
      `a node lists two unmerged leaves: ${JSON.stringify(lists)}`,
    );
  });

  it('still refuse an unmerged leaf missing from a node between it and the node that lists it', async () => {
    const meeting = await meetingWithUnmergedLeaves();
    const group = meeting.get('m0');
    const { groupContext } = group.state;
    const tree = group.state.ratchetTree;
    const { lifetimeConfig, authService } = group.keys.clientConfig;
    const cs = await getSuite();
    const check = (t: RatchetTree) =>
      validateRatchetTree(t, groupContext, lifetimeConfig, authService, groupContext.treeHash, cs);
    assert.equal(await check(tree), undefined, 'the tree as it is passes');
    // Node 7 lists leaf 2 and so does the root above it; drop it from node 7 only.
    const lists = new Map(unmerged(tree));
    assert.deepEqual(lists.get(7), [2]);
    assert.ok(lists.get(15)?.includes(2));
    const missing = await check(withUnmerged(tree, 7, []));
    assert.match(String(missing), /must list leaf node in its unmerged_leaves/);
    // A leaf listed by a node it is not under.
    const notBelow = await check(withUnmerged(tree, 7, [2, 10]));
    assert.match(String(notBelow), /non-blank descendant leaf node/);
  });

  it('accept every tree of a meeting, and refuse every changed parent hash or parent key', async () => {
    const meeting = await meetingWithUnmergedLeaves();
    const { hash } = await getSuite();
    const tree = meeting.get('m0').state.ratchetTree;
    const parents = tree.filter((n) => n?.nodeType === 'parent').length;
    assert.ok(parents >= 5, `the meeting filled ${parents} parent nodes`);
    for (const group of meeting.members.values())
      assert.equal(await verifyParentHashes(group.state.ratchetTree, hash), true);
    let cases = 0;
    for (const [what, changed] of tampered(tree)) {
      assert.equal(await verifyParentHashes(changed, hash), false, `a changed ${what} is refused`);
      cases++;
    }
    assert.ok(cases >= 2 * parents, `${cases} changed trees`);
  });

  it('hashes a tree of 128 members, its root filled by a Remove, in O(N) digests', async () => {
    let committer: MeetingGroup = await createMeetingGroup(
      await createJoiner(keys),
      new Uint8Array(16).fill(3),
    );
    committer = acceptCommit(
      await commitAdd(
        committer,
        (await joiners(127)).map((j) => j.keyPackageBytes),
      ),
    );
    committer = acceptCommit(await commitRemove(committer, [127]));
    const tree = committer.state.ratchetTree;
    assert.equal(tree[127]?.nodeType, 'parent', 'the root (node 127 of 255) is filled');
    const { hash, digests } = counting((await getSuite()).hash);
    assert.equal(await verifyParentHashes(tree, hash), true);
    // The committer's chain hashes each sibling subtree once: about 2N node hashes. ts-mls 1.6.4
    // re-hashed a subtree for every one of the 127 leaves: about 11,000 here.
    assert.ok(digests() <= 4 * 128, `${digests()} digests for 127 members`);
    console.log(`parent-hash check of 127 members, root filled: ${digests()} digests`);
  });
});
