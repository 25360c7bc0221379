/** Helpers for the MLS tests: a meeting's keys and a tiny in-memory delivery service. */
import assert from 'node:assert/strict';
import { acceptCommit, type PendingCommit } from './commit.ts';
import type { MeetingKeys } from './config.ts';
import { mediaBaseKey, securityCode } from './epoch.ts';
import { createJoiner, type Joiner } from './keyPackage.ts';
import { createMeetingGroup, joinFromWelcome, type MeetingGroup, summarize } from './group.ts';
import { receiveMessage } from './receive.ts';

export function meetingKeys(seed = 1): MeetingKeys {
  return {
    mlsPsk: new Uint8Array(32).fill(seed),
    pskId: `conclave/v1/psk/MEETING${seed.toString().padStart(3, '0')}`,
    credKey: new Uint8Array(32).fill(seed + 100),
  };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Members by name, kept in step by delivering every accepted commit to all of them. */
export class TestMeeting {
  readonly keys: MeetingKeys;
  readonly members = new Map<string, MeetingGroup>();
  /** Members removed by a delivered commit, with the state they were left in. */
  readonly removed = new Map<string, MeetingGroup>();

  constructor(keys: MeetingKeys) {
    this.keys = keys;
  }

  static async start(keys: MeetingKeys, first = 'm0'): Promise<TestMeeting> {
    const meeting = new TestMeeting(keys);
    const joiner = await createJoiner(keys);
    meeting.members.set(first, await createMeetingGroup(joiner, crypto.getRandomValues(new Uint8Array(16))));
    return meeting;
  }

  get(name: string): MeetingGroup {
    const g = this.members.get(name);
    assert.ok(g, `no member ${name}`);
    return g;
  }

  /** The delivery service accepted `pending` from `committer`: everyone else processes it. */
  async deliver(committer: string, pending: PendingCommit, joiners: [string, Joiner][] = []): Promise<void> {
    this.members.set(committer, acceptCommit(pending));
    for (const [name, group] of [...this.members]) {
      if (name === committer) continue;
      const r = await receiveMessage(group, pending.commit);
      if (r.kind === 'removed') {
        this.members.delete(name);
        this.removed.set(name, r.group);
      } else this.members.set(name, r.group);
    }
    for (const [name, joiner] of joiners) {
      assert.ok(pending.welcome, 'commit with adds carries a Welcome');
      this.members.set(name, await joinFromWelcome(joiner, pending.welcome));
    }
  }

  nameOfLeaf(leaf: number): string {
    for (const [name, g] of this.members) if (g.state.privatePath.leafIndex === leaf) return name;
    throw new Error(`no member at leaf ${leaf}`);
  }

  /** Every member agrees on epoch, membership, media key and security code. */
  async assertInSync(): Promise<{ epoch: bigint; key: string; code: string }> {
    const groups = [...this.members.values()];
    const first = summarize(groups[0]!);
    const key = hex(await mediaBaseKey(groups[0]!));
    const code = await securityCode(groups[0]!);
    for (const g of groups) {
      const s = summarize(g);
      assert.equal(s.epoch, first.epoch);
      assert.deepEqual(s.memberLeafIndices, first.memberLeafIndices);
      assert.equal(s.size, this.members.size);
      assert.equal(hex(await mediaBaseKey(g)), key);
      assert.equal(await securityCode(g), code);
    }
    const leaves = groups.map((g) => g.state.privatePath.leafIndex).sort((a, b) => a - b);
    assert.deepEqual(leaves, first.memberLeafIndices);
    return { epoch: first.epoch, key, code };
  }
}
