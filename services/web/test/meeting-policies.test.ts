/** The meeting's rules that need no browser: when epoch keys switch, and what each close means. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DsCloseCode, DsCloseReason, SfuCloseCode } from '@conclave/protocol';
import { ApiError } from '../src/app/api.ts';
import { describeError, END_MESSAGES } from '../src/app/errors.ts';
import { afterDsClose, afterSfuClose, endReasonForRejoinFailure } from '../src/app/meeting/connection.ts';
import {
  installEpoch,
  keyFrameDelaysMs,
  SEND_AFTER_ADD_MS,
  SEND_AFTER_ROTATION_MS,
  sendDelayMs,
} from '../src/app/meeting/epoch-keys.ts';
import { DsClosedError, type EpochView } from '../src/app/mls-session.ts';
import { SfuRequestError } from '../src/app/sfu-session.ts';

const change = (added: number[], removed: number[]) => ({ added, removed });

describe('epoch keys', () => {
  it('switch at once on joining and after a Remove, a moment later after an Add, later still on rotation', () => {
    assert.equal(sendDelayMs(change([1], []), true), 0);
    assert.equal(sendDelayMs(change([1], [2]), false), 0);
    assert.equal(sendDelayMs(change([1], []), false), SEND_AFTER_ADD_MS);
    assert.equal(sendDelayMs(change([], []), false), SEND_AFTER_ROTATION_MS);
  });

  it('ask for key frames once senders switched, several times when joining', () => {
    assert.equal(keyFrameDelaysMs(change([], []), true).length, 4);
    assert.deepEqual(keyFrameDelaysMs(change([1], []), false), [SEND_AFTER_ADD_MS + 150]);
    assert.deepEqual(keyFrameDelaysMs(change([], []), false), [SEND_AFTER_ROTATION_MS + 150]);
  });

  it('hand the worker the epoch’s key, tree size and own leaf', () => {
    const installed: unknown[] = [];
    const baseKey = new Uint8Array([1, 2, 3]);
    const view = {
      group: 'ab12',
      epoch: 7n,
      baseKey,
      treeLeaves: 4,
      ownLeaf: 2,
      added: [3],
      removed: [],
    } as unknown as EpochView;
    installEpoch({ installEpoch: (k) => installed.push(k) }, view, false);
    assert.deepEqual(installed, [
      { group: 'ab12', epoch: 7n, baseKey, groupSize: 4, selfLeafIndex: 2, sendAfterMs: SEND_AFTER_ADD_MS },
    ]);
  });
});

describe('what a close means', () => {
  it('the DS: removed, ended, lost, or join the group again (the session or the group is gone)', () => {
    assert.equal(afterDsClose(DsCloseCode.removed, 'removed'), 'removed');
    assert.equal(afterDsClose(DsCloseCode.sessionRefused, 'kicked'), 'removed');
    assert.equal(afterDsClose(DsCloseCode.meetingEnded, 'meeting_ended'), 'ended');
    assert.equal(afterDsClose(DsCloseCode.unauthorized, 'token_expired'), 'lost');
    assert.equal(afterDsClose(DsCloseCode.resumeUnavailable, 'resume_unavailable'), 'rejoin');
    assert.equal(afterDsClose(DsCloseCode.protocolError, 'expected_hello'), 'lost');
  });

  it('a DS of another protocol version, at the join, later or on the way back, asks for a reload', () => {
    const outdated = DsCloseReason.unsupportedVersion;
    assert.equal(afterDsClose(DsCloseCode.protocolError, outdated), 'outdated');
    const error = new DsClosedError(DsCloseCode.protocolError, outdated);
    assert.equal(endReasonForRejoinFailure(error), 'outdated');
    assert.deepEqual(describeError(error), END_MESSAGES['outdated']);
    assert.match(END_MESSAGES['outdated']!.detail, /Reload the page/);
  });

  it('the SFU: removed, ended, replaced by a newer connection, or reconnect', () => {
    assert.equal(afterSfuClose(SfuCloseCode.removed), 'removed');
    assert.equal(afterSfuClose(SfuCloseCode.roomEnded), 'ended');
    assert.equal(afterSfuClose(SfuCloseCode.replaced), 'replaced');
    assert.equal(afterSfuClose(SfuCloseCode.goingAway), 'reconnect');
    assert.equal(afterSfuClose(1006), 'reconnect');
  });

  it('a failed way back: removed, ended, locked out, or try again', () => {
    assert.equal(
      endReasonForRejoinFailure(new SfuRequestError(`close_${SfuCloseCode.removed}`, '')),
      'removed',
    );
    assert.equal(endReasonForRejoinFailure(new ApiError('meeting_not_found', 404, '')), 'ended');
    assert.equal(endReasonForRejoinFailure(new ApiError('meeting_locked', 403, '')), 'lost');
    assert.equal(endReasonForRejoinFailure(new ApiError('network', 0, '')), undefined);
    assert.equal(endReasonForRejoinFailure(new SfuRequestError('close_1006', '')), undefined);
    assert.equal(endReasonForRejoinFailure(new DsClosedError(DsCloseCode.meetingEnded)), 'ended');
    assert.equal(endReasonForRejoinFailure(new DsClosedError(DsCloseCode.sessionRefused)), 'removed');
    assert.equal(endReasonForRejoinFailure(new DsClosedError(1006)), undefined);
    assert.equal(endReasonForRejoinFailure(new DsClosedError(DsCloseCode.resumeUnavailable)), undefined);
  });
});
