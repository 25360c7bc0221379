/**
 * What one epoch costs a member, as patches/ts-mls@1.6.4.patch leaves it: processing a commit
 * re-hashes only the ratchet-tree nodes the commit changed (ts-mls 1.6.4 hashed all 2N nodes for
 * every epoch), a Remove keeps the parents it does not touch, and the secret tree derives sending
 * ratchets for leaves only (ts-mls 1.6.4 derived them for every parent too, never to read them).
 * The meeting stays in agreement throughout: same epoch, tree hash, media key and security code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitAdd, commitRemove, commitUpdate } from './commit.ts';
import { getSuite } from './crypto/ciphersuite.ts';
import { createJoiner, type Joiner } from './keyPackage.ts';
import { joinFromWelcome } from './group.ts';
import { meetingKeys, TestMeeting } from './test-support.ts';

const keys = meetingKeys(11);
const MEMBERS = 32;

/** Counts the digests of the suite's own hash (the one ts-mls remembers tree hashes for) during `f`. */
async function digestsDuring<T>(f: () => Promise<T>): Promise<[T, number]> {
  const hash = (await getSuite()).hash;
  const digest = hash.digest;
  let n = 0;
  hash.digest = (data) => {
    n++;
    return digest.call(hash, data);
  };
  try {
    return [await f(), n];
  } finally {
    hash.digest = digest;
  }
}

/**
 * `size` members, every one of whom has committed an update: every parent node is filled, and
 * every member has read a handshake message through each other member's leaf ratchet.
 */
async function filledMeeting(size: number): Promise<TestMeeting> {
  const meeting = await TestMeeting.start(keys);
  const joiners = await Promise.all(Array.from({ length: size - 1 }, () => createJoiner(keys)));
  const named = joiners.map((j, i) => [`m${i + 1}`, j] as [string, Joiner]);
  await meeting.deliver(
    'm0',
    await commitAdd(
      meeting.get('m0'),
      joiners.map((j) => j.keyPackageBytes),
    ),
    named,
  );
  for (const name of meeting.members.keys())
    await meeting.deliver(name, await commitUpdate(meeting.get(name)));
  return meeting;
}

describe('one epoch for a member of a large meeting', () => {
  it('re-hashes only what a commit changed, and the meeting stays in agreement', async () => {
    const meeting = await filledMeeting(MEMBERS);
    const tree = meeting.get('m0').state.ratchetTree;
    const parents = tree.filter((n) => n?.nodeType === 'parent').length;
    assert.equal(parents, MEMBERS - 1, 'every parent node is filled');
    const depth = Math.log2(MEMBERS);

    // An Add, then a Remove, each committed by one member and processed by all the others.
    const joiner = await createJoiner(keys);
    const add = await commitAdd(meeting.get('m3'), [joiner.keyPackageBytes]);
    let receivers = meeting.members.size - 1;
    const [, addAll] = await digestsDuring(() => meeting.deliver('m3', add));
    const addDigests = addAll / receivers;
    meeting.members.set('late', await joinFromWelcome(joiner, add.welcome!));
    const victim = meeting.get('m9').state.privatePath.leafIndex;
    const remove = await commitRemove(meeting.get('m17'), [victim]);
    receivers = meeting.members.size - 1;
    const [, removeAll] = await digestsDuring(() => meeting.deliver('m17', remove));
    const removeDigests = removeAll / receivers;
    await meeting.assertInSync();
    console.log(
      `processing a commit in a meeting of ${MEMBERS}, every parent filled, digests per member: Add ${addDigests.toFixed(1)}, Remove ${removeDigests.toFixed(1)} (the whole tree is ${tree.length} nodes)`,
    );
    // The nodes on the changed path and the parent hashes of the committer's path: a few per
    // level (9 and 18 here). ts-mls 1.6.4 hashed the whole tree of 63 nodes, some of it again
    // for every parent hash: 129 and 370; remembering hashes without a Remove keeping the
    // parents it does not touch: 9 and 43.
    assert.ok(addDigests <= 3 * depth, `Add: ${addDigests} digests`);
    assert.ok(removeDigests <= 5 * depth, `Remove: ${removeDigests} digests`);
  });

  it('gives parents of the secret tree no sending ratchets, and every member still reads every other', async () => {
    const meeting = await filledMeeting(8);
    await meeting.assertInSync();
    const secretTree = meeting.get('m4').state.secretTree;
    for (const [i, node] of secretTree.entries()) {
      const isLeaf = i % 2 === 0;
      for (const ratchet of [node.application, node.handshake])
        assert.equal(
          ratchet.secret.length,
          isLeaf ? 32 : 0,
          `node ${i} ${isLeaf ? 'has' : 'has no'} ratchet`,
        );
    }
  });
});
