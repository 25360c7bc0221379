import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeAppMessage, sendApplication, textMessage } from './application.ts';
import { commitAdd, commitUpdate } from './commit.ts';
import { isMlsGroupError, MlsGroupError } from './errors.ts';
import { joinFromWelcome } from './group.ts';
import { createJoiner } from './keyPackage.ts';
import { receiveMessage } from './receive.ts';
import { decodeMeetingGroup, encodeMeetingGroup } from './state.ts';
import { meetingKeys, TestMeeting } from './test-support.ts';
import { inspectMessage } from './wire.ts';

async function threeMembers(seed: number) {
  const meeting = await TestMeeting.start(meetingKeys(seed));
  const a = await createJoiner(meeting.keys);
  const b = await createJoiner(meeting.keys);
  await meeting.deliver('m0', await commitAdd(meeting.get('m0'), [a.keyPackageBytes, b.keyPackageBytes]), [
    ['a', a],
    ['b', b],
  ]);
  return meeting;
}

const flip = (bytes: Uint8Array, at: number): Uint8Array => {
  const copy = bytes.slice();
  copy[at] = copy[at]! ^ 0x01;
  return copy;
};

const garbage = [
  new Uint8Array(0),
  new Uint8Array([0]),
  new Uint8Array([0, 1, 0, 2, 0xff, 0xff, 0xff]),
  Uint8Array.from({ length: 300 }, (_, i) => (i * 167 + 13) & 0xff),
];

describe('MLS error reporting', () => {
  it('turns malformed bytes into malformed errors at every entry point', async () => {
    const meeting = await threeMembers(31);
    const joiner = await createJoiner(meeting.keys);
    for (const bytes of garbage) {
      await assert.rejects(receiveMessage(meeting.get('a'), bytes), (e) => isMlsGroupError(e, 'malformed'));
      await assert.rejects(joinFromWelcome(joiner, bytes), (e) => isMlsGroupError(e, 'malformed'));
      assert.throws(
        () => inspectMessage(bytes),
        (e) => isMlsGroupError(e, 'malformed'),
      );
      assert.throws(
        () => decodeMeetingGroup(bytes, meeting.keys),
        (e) => isMlsGroupError(e, 'malformed'),
      );
    }
    const refused = await commitAdd(meeting.get('a'), [garbage[3]!, joiner.keyPackageBytes]);
    assert.deepEqual(
      refused.refused.map((r) => [r.index, r.code]),
      [[0, 'malformed']],
    );
    await assert.rejects(commitAdd(meeting.get('a'), [garbage[2]!]), (e) => isMlsGroupError(e, 'malformed'));
    assert.throws(
      () => decodeAppMessage(new Uint8Array([1])),
      (e) => isMlsGroupError(e, 'malformed'),
    );
    assert.throws(
      () => decodeAppMessage(new Uint8Array([2, 1, 0])),
      (e) => isMlsGroupError(e, 'malformed'),
    );
    assert.throws(
      () => decodeAppMessage(new Uint8Array([1, 99])),
      (e) => isMlsGroupError(e, 'malformed'),
    );
  });

  it('rejects truncated or extended messages as malformed', async () => {
    const meeting = await threeMembers(32);
    const pending = await commitUpdate(meeting.get('m0'));
    const truncated = pending.commit.subarray(0, pending.commit.length - 1);
    const extended = new Uint8Array([...pending.commit, 0]);
    await assert.rejects(receiveMessage(meeting.get('a'), truncated), (e) => isMlsGroupError(e, 'malformed'));
    await assert.rejects(receiveMessage(meeting.get('a'), extended), (e) => isMlsGroupError(e, 'malformed'));
    const state = encodeMeetingGroup(meeting.get('a'));
    assert.throws(
      () => decodeMeetingGroup(state.subarray(0, state.length - 3), meeting.keys),
      (e) => isMlsGroupError(e, 'malformed'),
    );
    // Untouched bytes still work after all that.
    const r = await receiveMessage(meeting.get('a'), pending.commit);
    assert.equal(r.kind, 'commit');
  });

  it('reports tampered ciphertext as decrypt-failed and leaves the state usable', async () => {
    const meeting = await threeMembers(33);
    const sent = await sendApplication(meeting.get('a'), textMessage('chat', 'hi'));
    const tampered = flip(sent.message, sent.message.length - 5);
    await assert.rejects(receiveMessage(meeting.get('b'), tampered), (e) =>
      isMlsGroupError(e, 'decrypt-failed'),
    );
    const r = await receiveMessage(meeting.get('b'), sent.message);
    assert.equal(r.kind, 'application');
    const pending = await commitUpdate(meeting.get('m0'));
    await assert.rejects(
      receiveMessage(meeting.get('b'), flip(pending.commit, pending.commit.length - 5)),
      (e) => isMlsGroupError(e, 'decrypt-failed'),
    );
    assert.equal((await receiveMessage(meeting.get('b'), pending.commit)).kind, 'commit');
  });

  it('reports commits and messages of other epochs as wrong-epoch', async () => {
    const meeting = await threeMembers(34);
    const old = await commitUpdate(meeting.get('a'));
    await meeting.deliver('m0', await commitUpdate(meeting.get('m0')));
    await assert.rejects(receiveMessage(meeting.get('b'), old.commit), (e) => {
      assert.ok(isMlsGroupError(e, 'wrong-epoch'));
      assert.ok(e instanceof MlsGroupError && e instanceof Error);
      return true;
    });
    // A message from the future (epoch the receiver has not reached).
    const ahead = await commitUpdate(meeting.get('m0'));
    const behind = meeting.get('b');
    await meeting.deliver('m0', ahead);
    const future = await sendApplication(meeting.get('a'), textMessage('chat', 'later'));
    await assert.rejects(receiveMessage(behind, future.message), (e) => isMlsGroupError(e, 'wrong-epoch'));
  });

  it('reports a message of another group as wrong-group', async () => {
    const one = await threeMembers(35);
    const two = await threeMembers(35);
    const sent = await sendApplication(one.get('a'), textMessage('chat', 'x'));
    await assert.rejects(receiveMessage(two.get('a'), sent.message), (e) =>
      isMlsGroupError(e, 'wrong-group'),
    );
  });

  it('rejects a Welcome addressed to someone else', async () => {
    const meeting = await threeMembers(36);
    const invited = await createJoiner(meeting.keys);
    const bystander = await createJoiner(meeting.keys);
    const pending = await commitAdd(meeting.get('a'), [invited.keyPackageBytes]);
    await assert.rejects(joinFromWelcome(bystander, pending.welcome!), (e) =>
      isMlsGroupError(e, 'welcome-rejected'),
    );
    await assert.rejects(receiveMessage(meeting.get('b'), pending.welcome!), (e) =>
      isMlsGroupError(e, 'malformed'),
    );
  });

  it('tells the delivery service the kind and epoch of a message without keys', async () => {
    const meeting = await threeMembers(37);
    const pending = await commitUpdate(meeting.get('m0'));
    const summary = inspectMessage(pending.commit);
    assert.equal(summary.kind, 'commit');
    assert.equal(summary.epoch, 1n);
    const sent = await sendApplication(meeting.get('a'), textMessage('chat', 'x'));
    assert.equal(inspectMessage(sent.message).kind, 'application');
    const joiner = await createJoiner(meeting.keys);
    assert.equal(inspectMessage(joiner.keyPackageBytes).kind, 'key-package');
    const add = await commitAdd(meeting.get('m0'), [joiner.keyPackageBytes]);
    assert.equal(inspectMessage(add.welcome!).kind, 'welcome');
  });
});
