/**
 * MLS epochs feeding real SFrame media: every member installs its epoch's media base key
 * (mediaBaseKey) into an SFrameKeyStore behind a FrameCryptor, as the media worker does, and
 * VP8/Opus-shaped frames go between members. A Remove commit must lock the removed member out
 * of every frame of the next epoch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mlsExporter } from 'ts-mls';
import { randomBytes } from '../bytes.ts';
import { clearPrefixLength, type FrameCodec } from '../frame-transform/codec.ts';
import { FrameCryptor, type FrameCryptorStats } from '../frame-transform/frame-cryptor.ts';
import { SFrameKeyStore } from '../sframe/key-store.ts';
import type { MediaContextName } from '../sframe/mls-kid.ts';
import { commitAdd, commitRemove } from './commit.ts';
import { getSuite } from './crypto/ciphersuite.ts';
import { mediaBaseKey } from './epoch.ts';
import { isMlsGroupError } from './errors.ts';
import { type MeetingGroup, summarize } from './group.ts';
import { createJoiner, type Joiner } from './keyPackage.ts';
import { receiveMessage } from './receive.ts';
import { decodeMeetingGroup, encodeMeetingGroup } from './state.ts';
import { hex, meetingKeys, TestMeeting } from './test-support.ts';

interface Frame {
  codec: FrameCodec;
  context: MediaContextName;
  data: Uint8Array;
}

/** A VP8 key frame (P bit 0, start code 9d 01 2a), delta frames (P bit 1) and Opus packets. */
function mediaFrames(count: number): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 2 === 1) {
      const data = randomBytes(40 + i);
      data[0] = 0xfc; // Opus TOC: config 31, mono, one frame
      frames.push({ codec: 'opus', context: 'mic', data });
    } else if (i % 10 === 0) {
      const data = randomBytes(300 + i);
      data[0] = 0x50; // P = 0: key frame
      data.set([0x9d, 0x01, 0x2a], 3);
      frames.push({ codec: 'vp8', context: 'camera', data });
    } else {
      const data = randomBytes(120 + i);
      data[0] = 0x31; // P = 1: delta frame
      frames.push({ codec: 'vp8', context: 'camera', data });
    }
  }
  return frames;
}

/** Leaves in the ratchet tree: fixes the KID layout of the epoch, the same for every member. */
const treeLeaves = (g: MeetingGroup): number => (g.state.ratchetTree.length + 1) / 2;

const clock = { t: 1_000_000 };
const now = () => clock.t;

/** One member's media side: its key store and frame cryptor, fed from its MLS group. */
class MemberMedia {
  readonly store = new SFrameKeyStore({ now, gracePeriodMs: 2000 });
  readonly cryptor = new FrameCryptor(this.store);
  /** Own MLS leaf, as of the last install. */
  leaf = -1;

  /** Installs the group's current epoch; after a Remove, send with it at once (sendAfterMs 0). */
  async install(group: MeetingGroup): Promise<string> {
    const s = summarize(group);
    this.leaf = s.ownLeafIndex;
    const baseKey = await mediaBaseKey(group);
    this.store.installEpoch({
      epoch: s.epoch,
      baseKey,
      groupSize: treeLeaves(group),
      selfLeafIndex: s.ownLeafIndex,
      sendAfterMs: 0,
    });
    return hex(baseKey);
  }
}

/** Encrypts each frame with the sender's cryptor; the wire never carries the payload in clear. */
async function send(sender: MemberMedia, frames: Frame[]): Promise<Uint8Array[]> {
  const wire: Uint8Array[] = [];
  for (const f of frames) {
    const out = await sender.cryptor.encryptFrame(f.data, f.codec, f.context);
    assert.ok(out, 'sender encrypts every frame');
    const prefix = clearPrefixLength(f.codec, f.data);
    assert.deepEqual(out.subarray(0, prefix), f.data.subarray(0, prefix), 'codec prefix stays in clear');
    const payload = Buffer.from(f.data.subarray(prefix, prefix + 16));
    assert.equal(Buffer.from(out).indexOf(payload), -1, 'payload never appears on the wire');
    wire.push(out);
  }
  return wire;
}

/** Decrypts every wire frame of `from`; returns the plaintexts (undefined where the frame was dropped). */
async function receive(receiver: MemberMedia, frames: Frame[], wire: Uint8Array[], from: MemberMedia) {
  const out: (Uint8Array | undefined)[] = [];
  for (let i = 0; i < wire.length; i++) {
    const sender = { leafIndex: from.leaf, context: frames[i]!.context };
    out.push(await receiver.cryptor.decryptFrame(wire[i]!, frames[i]!.codec, sender));
  }
  return out;
}

const failures = (s: FrameCryptorStats) => Object.values(s.decryptFailures).reduce((a, b) => a + (b ?? 0), 0);

/** alice (leaf 0), bob (leaf 1), carol (leaf 2) in epoch 1, each with media keys installed. */
async function threeMembers(seed: number) {
  const meeting = await TestMeeting.start(meetingKeys(seed), 'alice');
  const joiners = await Promise.all(
    ['bob', 'carol'].map(async (n): Promise<[string, Joiner]> => [n, await createJoiner(meeting.keys)]),
  );
  await meeting.deliver(
    'alice',
    await commitAdd(
      meeting.get('alice'),
      joiners.map(([, x]) => x.keyPackageBytes),
    ),
    joiners,
  );
  const media = new Map<string, MemberMedia>();
  const keys = new Set<string>();
  for (const name of ['alice', 'bob', 'carol']) {
    const m = new MemberMedia();
    keys.add(await m.install(meeting.get(name)));
    media.set(name, m);
  }
  assert.equal(keys.size, 1, 'one media key in epoch 1');
  assert.deepEqual(
    ['alice', 'bob', 'carol'].map((n) => summarize(meeting.get(n)).ownLeafIndex),
    [0, 1, 2],
  );
  return { meeting, media: (name: string) => media.get(name)!, epoch1Key: [...keys][0]! };
}

describe('MLS epochs and SFrame media keys', () => {
  it('a removed member cannot decrypt frames of the next epoch', async () => {
    const { meeting, media, epoch1Key } = await threeMembers(21);
    const [alice, bob, carol] = [media('alice'), media('bob'), media('carol')];

    // Epoch 1: bob reads alice's media like everyone else.
    const before = mediaFrames(20);
    const beforeWire = await send(alice, before);
    for (const m of [bob, carol]) {
      assert.deepEqual(
        await receive(m, before, beforeWire, alice),
        before.map((f) => f.data),
      );
    }
    assert.equal(bob.cryptor.stats().decrypted, 20);

    // bob keeps everything he had: his MLS state of epoch 1 and his SFrame store.
    const bobLast = decodeMeetingGroup(encodeMeetingGroup(meeting.get('bob')), meeting.keys);
    await meeting.deliver('alice', await commitRemove(meeting.get('alice'), [1]));
    assert.deepEqual([...meeting.members.keys()].sort(), ['alice', 'carol']);
    const gone = meeting.removed.get('bob');
    assert.ok(gone);
    assert.equal(summarize(gone).active, false);
    await assert.rejects(mediaBaseKey(gone), (e) => isMlsGroupError(e, 'not-member'));

    // Epoch 2: the remaining members install the new key and send with it at once.
    const aliceKey = await alice.install(meeting.get('alice'));
    const carolKey = await carol.install(meeting.get('carol'));
    assert.equal(aliceKey, carolKey);
    assert.notEqual(aliceKey, epoch1Key);
    assert.equal(alice.store.sendEpoch, 2n);
    assert.equal(carol.store.sendEpoch, 2n);

    const fromAlice = mediaFrames(30);
    const fromCarol = mediaFrames(30);
    const aliceWire = await send(alice, fromAlice);
    const carolWire = await send(carol, fromCarol);
    assert.deepEqual(
      await receive(carol, fromAlice, aliceWire, alice),
      fromAlice.map((f) => f.data),
    );
    assert.deepEqual(
      await receive(alice, fromCarol, carolWire, carol),
      fromCarol.map((f) => f.data),
    );
    assert.deepEqual(alice.cryptor.stats().decryptFailures, {});
    assert.deepEqual(carol.cryptor.stats().decryptFailures, {});

    // bob's own cryptor, still holding epoch 1 (within its grace period): nothing decrypts.
    const bobBefore = bob.cryptor.stats();
    const bobOut = [
      ...(await receive(bob, fromAlice, aliceWire, alice)),
      ...(await receive(bob, fromCarol, carolWire, carol)),
    ];
    assert.deepEqual(bobOut, new Array(60).fill(undefined), 'no plaintext for the removed member');
    const bobAfter = bob.cryptor.stats();
    assert.equal(bobAfter.decrypted, bobBefore.decrypted, 'no frame decrypted');
    assert.equal(failures(bobAfter) - failures(bobBefore), 60, 'every next-epoch frame counted as failed');
    assert.equal(bobAfter.decryptFailures.SFRAME_UNKNOWN_KEY, 60);

    // Even installing, as epoch 2, every key bob can still reach: his epoch-1 base key, and the
    // exporter run directly on the key schedule of his removed state (bypassing the API check).
    const suite = await getSuite();
    const candidates = [
      await mediaBaseKey(bobLast),
      await mlsExporter(
        gone.state.keySchedule.exporterSecret,
        'SFrame 1.0 Base Key',
        new Uint8Array(0),
        16,
        suite,
      ),
    ];
    assert.equal(hex(candidates[0]!), epoch1Key);
    for (const baseKey of candidates) {
      assert.notEqual(hex(baseKey), aliceKey);
      const attacker = new MemberMedia();
      attacker.store.installEpoch({ epoch: 2n, baseKey, groupSize: treeLeaves(meeting.get('alice')) });
      const out = [
        ...(await receive(attacker, fromAlice, aliceWire, alice)),
        ...(await receive(attacker, fromCarol, carolWire, carol)),
      ];
      assert.ok(
        out.every((x) => x === undefined),
        'no plaintext with stale keys',
      );
      const stats = attacker.cryptor.stats();
      assert.equal(stats.decrypted, 0);
      assert.deepEqual(stats.decryptFailures, { SFRAME_AUTH_FAILED: 60 });
    }

    // The MLS state bob kept cannot follow the group: a commit made from it is for epoch 1,
    // and the remaining members refuse it.
    assert.equal(summarize(bobLast).epoch, 1n);
    const stale = await commitRemove(bobLast, [0]);
    for (const name of ['alice', 'carol']) {
      await assert.rejects(receiveMessage(meeting.get(name), stale.commit), (e) =>
        isMlsGroupError(e, 'wrong-epoch'),
      );
    }
  });

  it('all remaining members derive equal media keys in the new epoch', async () => {
    const { meeting, media, epoch1Key } = await threeMembers(22);
    await meeting.deliver('carol', await commitRemove(meeting.get('carol'), [0]));
    assert.deepEqual([...meeting.members.keys()].sort(), ['bob', 'carol']);
    const { epoch, key } = await meeting.assertInSync();
    assert.equal(epoch, 2n);
    assert.notEqual(key, epoch1Key);

    const installed = [
      await media('bob').install(meeting.get('bob')),
      await media('carol').install(meeting.get('carol')),
    ];
    assert.deepEqual(installed, [key, key]);

    // The same key in both stores: each member's frames open at the other with their leaf index.
    for (const [from, to, leaf] of [
      ['bob', 'carol', 1],
      ['carol', 'bob', 2],
    ] as const) {
      const frames = mediaFrames(10);
      const wire = await send(media(from), frames);
      for (let i = 0; i < wire.length; i++) {
        const prefix = clearPrefixLength(frames[i]!.codec, frames[i]!.data);
        const d = await media(to).store.decrypt(wire[i]!.subarray(0, prefix), wire[i]!.subarray(prefix));
        assert.equal(d.epoch, 2n);
        assert.equal(d.leafIndex, leaf);
        assert.deepEqual(d.plaintext, frames[i]!.data.subarray(prefix));
      }
    }
  });
});
