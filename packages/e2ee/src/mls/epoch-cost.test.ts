/**
 * What one epoch costs a member, as patches/ts-mls@1.6.4.patch leaves it: processing a commit
 * re-hashes only the ratchet-tree nodes the commit changed (ts-mls 1.6.4 hashed all 2N nodes for
 * every epoch), a Remove keeps the parents it does not touch, and a new epoch holds only the root
 * of the secret tree, a leaf's path being derived when it first sends (ts-mls 1.6.4 derived all
 * 4N secrets and ratchets per epoch, the parents' ratchets never to be read).
 * The meeting stays in agreement throughout: same epoch, tree hash, media key and security code.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { SecretTree } from 'ts-mls/secretTree.js';
import { sendApplication, textMessage } from './application.ts';
import { commitAdd, commitRemove, commitUpdate } from './commit.ts';
import { getSuite } from './crypto/ciphersuite.ts';
import { createJoiner, type Joiner } from './keyPackage.ts';
import { joinFromWelcome } from './group.ts';
import { receiveMessage } from './receive.ts';
import { meetingKeys, TestMeeting } from './test-support.ts';

const keys = meetingKeys(11);
const MEMBERS = 32;

/** Calls of `object[method]` during `f`: the suite's hash digests or KDF expansions. */
async function callsDuring<O extends object, T>(
  object: O,
  method: keyof O & string,
  f: () => Promise<T>,
): Promise<[T, number]> {
  const original = object[method] as (...args: unknown[]) => unknown;
  let n = 0;
  Object.assign(object, {
    [method]: (...args: unknown[]) => {
      n++;
      return original.apply(object, args);
    },
  });
  try {
    return [await f(), n];
  } finally {
    Object.assign(object, { [method]: original });
  }
}

/** Digests of the suite's own hash (the one ts-mls remembers tree hashes for) during `f`. */
const digestsDuring = async <T>(f: () => Promise<T>) => callsDuring((await getSuite()).hash, 'digest', f);

/** The suite's KDF expansions (every ExpandWithLabel) during `f`. */
const expansionsDuring = async <T>(f: () => Promise<T>) => callsDuring((await getSuite()).kdf, 'expand', f);

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

  it('holds only the root of the secret tree after a commit, and derives a sender’s path when it first sends, with RFC 9420’s values', async () => {
    const meeting = await filledMeeting(8);
    const nodes = (name: string) => meeting.get(name).state.secretTree;
    const rootSecrets = [...meeting.members.keys()].map((name) => {
      const tree = nodes(name);
      assert.deepEqual(shape(tree), { pending: [7], leaves: [] }, `${name}: only the root, not yet expanded`);
      return tree[7]!.handshake.secret;
    });
    const encryptionSecret = rootSecrets[0]!;
    for (const secret of rootSecrets) assert.deepEqual(secret, encryptionSecret);
    const expected = referenceSecretTree(encryptionSecret, 8);

    // m2 sends; m5 reads it. Both derive m2's path: the leaf's ratchets and its siblings' secrets.
    const sender = meeting.get('m2').state.privatePath.leafIndex;
    const sent = await sendApplication(meeting.get('m2'), textMessage('chat', 'hello'));
    meeting.members.set('m2', sent.group);
    const read = await receiveMessage(meeting.get('m5'), sent.message);
    assert.equal(read.kind, 'application');
    meeting.members.set('m5', read.group);
    const path = ancestorsOf(2 * sender, 8);
    for (const name of ['m2', 'm5']) {
      const tree = nodes(name);
      const { pending, leaves } = shape(tree);
      assert.deepEqual(leaves, [2 * sender], `${name}: one leaf has ratchets`);
      assert.equal(pending.length, Math.log2(8), `${name}: a secret per level beside the path`);
      for (const n of pending) {
        assert.ok(!path.includes(n), `${name}: node ${n} is beside the path`);
        assert.deepEqual(tree[n]!.handshake.secret, expected[n], `${name}: tree secret of node ${n}`);
      }
      // Generation 0 of the application ratchet was used: the node holds generation 1.
      const application = tree[2 * sender]!.application;
      assert.equal(application.generation, 1);
      assert.deepEqual(application.secret, next(applicationRoot(expected[2 * sender]!), 0));
    }

    // Everyone sends once and reads everyone else: every leaf ends with RFC 9420's ratchets.
    for (const name of meeting.members.keys()) {
      const out = await sendApplication(meeting.get(name), textMessage('chat', name));
      meeting.members.set(name, out.group);
      for (const other of meeting.members.keys()) {
        if (other === name) continue;
        const r = await receiveMessage(meeting.get(other), out.message);
        assert.equal(r.kind, 'application');
        meeting.members.set(other, r.group);
      }
    }
    await meeting.assertInSync();
    const tree = nodes('m4');
    assert.deepEqual(shape(tree), { pending: [], leaves: [0, 2, 4, 6, 8, 10, 12, 14] });
    for (const leaf of shape(tree).leaves) {
      const generations = leaf === 2 * sender ? 2 : 1;
      let secret = applicationRoot(expected[leaf]!);
      for (let g = 0; g < generations; g++) secret = next(secret, g);
      assert.deepEqual(tree[leaf]!.application.secret, secret, `leaf node ${leaf}`);
    }
  });

  it('does no secret-tree derivation while processing a commit', async () => {
    const meeting = await filledMeeting(MEMBERS);
    const remove = await commitRemove(meeting.get('m3'), [meeting.get('m20').state.privatePath.leafIndex]);
    const receivers = meeting.members.size - 1;
    const [, expansions] = await expansionsDuring(() => meeting.deliver('m3', remove));
    await meeting.assertInSync();
    const perMember = expansions / receivers;
    console.log(
      `KDF expansions per member processing a Remove in a meeting of ${MEMBERS}: ${perMember.toFixed(1)} (deriving the whole secret tree alone would be ${4 * MEMBERS - 2})`,
    );
    // The key schedule and the UpdatePath's path secrets: a few per level, none per member.
    assert.ok(perMember < 2 * MEMBERS, `${perMember} expansions`);
  });
});

/** Which nodes hold a tree secret not yet expanded, and which leaves hold sending ratchets. */
function shape(tree: SecretTree): { pending: number[]; leaves: number[] } {
  const pending: number[] = [];
  const leaves: number[] = [];
  for (const [i, node] of tree.entries()) {
    if (node.handshake.generation === PENDING) pending.push(i);
    else if (node.application.secret.length > 0) {
      assert.equal(i % 2, 0, `only leaves send: node ${i}`);
      leaves.push(i);
    }
  }
  return { pending, leaves };
}

/** The generation a node of the secret tree holds where its tree secret is not yet expanded. */
const PENDING = 0xffffffff;

/** Node indices from the root down to `leafNode`, excluding it (RFC 9420 array representation). */
function ancestorsOf(leafNode: number, leaves: number): number[] {
  const out: number[] = [];
  for (let level = Math.log2(leaves), n = leaves - 1; level > 0; level--) {
    out.push(n);
    n = leafNode < n ? n - (1 << (level - 1)) : n + (1 << (level - 1));
  }
  return out;
}

/** RFC 5869 HKDF-Expand with SHA-256, written here independently of the code under test. */
function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const blocks: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; blocks.length * 32 < length; i++) {
    t = createHmac('sha256', prk)
      .update(Buffer.concat([t, info, Buffer.from([i])]))
      .digest();
    blocks.push(t);
  }
  return new Uint8Array(Buffer.concat(blocks).subarray(0, length));
}

/** RFC 9420 §8 ExpandWithLabel, with 32-byte outputs (labels and contexts under 64 bytes). */
function expandWithLabel(secret: Uint8Array, label: string, context: Uint8Array): Uint8Array {
  const full = Buffer.from(`MLS 1.0 ${label}`);
  const info = Buffer.concat([
    Buffer.from([0, 32, full.length]),
    full,
    Buffer.from([context.length]),
    context,
  ]);
  return hkdfExpand(secret, info, 32);
}

/** RFC 9420 §9: every node's tree secret, derived eagerly from the epoch's encryption secret. */
function referenceSecretTree(encryptionSecret: Uint8Array, leaves: number): Uint8Array[] {
  const secrets: Uint8Array[] = [];
  const fill = (n: number, level: number, secret: Uint8Array) => {
    secrets[n] = secret;
    if (level === 0) return;
    const step = 1 << (level - 1);
    fill(n - step, level - 1, expandWithLabel(secret, 'tree', Buffer.from('left')));
    fill(n + step, level - 1, expandWithLabel(secret, 'tree', Buffer.from('right')));
  };
  fill(leaves - 1, Math.log2(leaves), encryptionSecret);
  return secrets;
}

const applicationRoot = (leafSecret: Uint8Array) =>
  expandWithLabel(leafSecret, 'application', new Uint8Array());

/** DeriveTreeSecret(secret, "secret", generation): the ratchet's next secret. */
function next(secret: Uint8Array, generation: number): Uint8Array {
  const context = new Uint8Array(4);
  new DataView(context.buffer).setUint32(0, generation);
  return expandWithLabel(secret, 'secret', context);
}
