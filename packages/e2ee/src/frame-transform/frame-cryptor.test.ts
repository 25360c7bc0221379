import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytes } from '../bytes.ts';
import { decodeHeader } from '../sframe/header.ts';
import { SFrameKeyStore } from '../sframe/key-store.ts';
import { clearPrefixLength, frameCodec } from './codec.ts';
import { FrameCryptor, type FrameSender } from './frame-cryptor.ts';

/** The sender of setup() is leaf 1. */
const FROM = (context: FrameSender['context']): FrameSender => ({ leafIndex: 1, context });

/** A VP8 frame: byte 0 bit 0 (P) is 0 on key frames; key frames carry the start code 9d 01 2a. */
function vp8KeyFrame(size = 200): Uint8Array {
  const f = randomBytes(size);
  f[0] = 0x50; // P = 0 (key frame), version 0, show_frame 1
  f.set([0x9d, 0x01, 0x2a], 3);
  return f;
}

function vp8DeltaFrame(size = 80): Uint8Array {
  const f = randomBytes(size);
  f[0] = 0x31; // P = 1 (delta frame)
  return f;
}

function opusFrame(size = 60): Uint8Array {
  const f = randomBytes(size);
  f[0] = 0xfc; // TOC: config 31, stereo 0, one frame
  return f;
}

function setup() {
  const time = { t: 0 };
  const now = () => time.t;
  const baseKey = randomBytes(16);
  const senderKeys = new SFrameKeyStore({ now, gracePeriodMs: 2000 });
  const receiverKeys = new SFrameKeyStore({ now, gracePeriodMs: 2000 });
  senderKeys.installEpoch({ epoch: 3n, baseKey, groupSize: 4, selfLeafIndex: 1 });
  receiverKeys.installEpoch({ epoch: 3n, baseKey, groupSize: 4, selfLeafIndex: 3 });
  const next = (epoch: bigint) => {
    const key = randomBytes(16);
    senderKeys.installEpoch({ epoch, baseKey: key, groupSize: 4, selfLeafIndex: 1 });
    receiverKeys.installEpoch({ epoch, baseKey: key, groupSize: 4, selfLeafIndex: 3 });
  };
  return { time, next, sender: new FrameCryptor(senderKeys), receiver: new FrameCryptor(receiverKeys) };
}

describe('codec prefixes', () => {
  it('maps MIME types and names to prefix rules', () => {
    assert.equal(frameCodec('video/VP8'), 'vp8');
    assert.equal(frameCodec('audio/opus'), 'opus');
    assert.equal(frameCodec('OPUS'), 'opus');
    assert.equal(frameCodec('video/H264'), 'other');
    assert.equal(frameCodec(undefined), 'other');
  });

  it('keeps 10 bytes of VP8 key frames, 3 of delta frames, 1 of Opus and none otherwise', () => {
    assert.equal(clearPrefixLength('vp8', vp8KeyFrame()), 10);
    assert.equal(clearPrefixLength('vp8', vp8DeltaFrame()), 3);
    assert.equal(clearPrefixLength('opus', opusFrame()), 1);
    assert.equal(clearPrefixLength('other', randomBytes(5)), 0);
  });
});

describe('frame encryption', () => {
  it('leaves the VP8 key-frame prefix in clear, then the SFrame header, and restores the frame', async () => {
    const { sender, receiver } = setup();
    const frame = vp8KeyFrame();
    const wire = (await sender.encryptFrame(frame, 'vp8', 'camera'))!;
    assert.deepEqual(wire.subarray(0, 10), frame.subarray(0, 10));
    assert.notDeepEqual(wire.subarray(10, 20), frame.subarray(10, 20));
    const header = decodeHeader(wire.subarray(10));
    assert.equal(header.ctr, 0n);
    assert.equal(wire.length, frame.length + header.length + 16);
    assert.deepEqual(await receiver.decryptFrame(wire, 'vp8', FROM('camera')), frame);
  });

  it('leaves 3 bytes of VP8 delta frames in clear', async () => {
    const { sender, receiver } = setup();
    const frame = vp8DeltaFrame();
    const wire = (await sender.encryptFrame(frame, 'vp8', 'camera'))!;
    assert.deepEqual(wire.subarray(0, 3), frame.subarray(0, 3));
    assert.equal(wire[0]! & 1, 1, 'still recognisable as a delta frame');
    assert.deepEqual(await receiver.decryptFrame(wire, 'vp8', FROM('camera')), frame);
  });

  it('leaves the Opus TOC byte in clear', async () => {
    const { sender, receiver } = setup();
    const frame = opusFrame();
    const wire = (await sender.encryptFrame(frame, 'opus', 'mic'))!;
    assert.equal(wire[0], 0xfc);
    assert.deepEqual(await receiver.decryptFrame(wire, 'opus', FROM('mic')), frame);
  });

  it('encrypts frames of other codecs entirely', async () => {
    const { sender, receiver } = setup();
    const frame = randomBytes(100);
    const wire = (await sender.encryptFrame(frame, 'other', 'screen'))!;
    assert.equal(decodeHeader(wire).ctr, 0n);
    assert.deepEqual(await receiver.decryptFrame(wire, 'other', FROM('screen')), frame);
  });

  it('detects tampering with the clear prefix, the header or the ciphertext', async () => {
    const { sender, receiver } = setup();
    for (const index of [1, 10, 50]) {
      const wire = (await sender.encryptFrame(vp8KeyFrame(), 'vp8', 'camera'))!;
      wire[index]! ^= 0x04;
      assert.equal(await receiver.decryptFrame(wire, 'vp8', FROM('camera')), undefined, `byte ${index}`);
    }
    const stats = receiver.stats();
    assert.equal(stats.decrypted, 0);
    assert.equal(
      Object.values(stats.decryptFailures).reduce((a, b) => a + b, 0),
      3,
    );
  });

  it('refuses a replayed frame and counts it', async () => {
    const { sender, receiver } = setup();
    const wire = (await sender.encryptFrame(opusFrame(), 'opus', 'mic'))!;
    assert.ok(await receiver.decryptFrame(wire, 'opus', FROM('mic')));
    assert.equal(await receiver.decryptFrame(wire, 'opus', FROM('mic')), undefined);
    assert.equal(receiver.stats().decryptFailures.SFRAME_REPLAY, 1);
  });

  it('decrypts frames of the previous epoch during the grace period, not after', async () => {
    const { time, next, sender, receiver } = setup();
    const inFlight = [
      (await sender.encryptFrame(opusFrame(), 'opus', 'mic'))!,
      (await sender.encryptFrame(opusFrame(), 'opus', 'mic'))!,
    ];
    next(4n);
    const fresh = (await sender.encryptFrame(opusFrame(), 'opus', 'mic'))!;
    assert.ok(await receiver.decryptFrame(fresh, 'opus', FROM('mic')));
    time.t = 1999;
    assert.ok(await receiver.decryptFrame(inFlight[0]!, 'opus', FROM('mic')));
    time.t = 2000;
    assert.equal(await receiver.decryptFrame(inFlight[1]!, 'opus', FROM('mic')), undefined);
    assert.equal(receiver.stats().decryptFailures.SFRAME_UNKNOWN_KEY, 1);
  });

  it('drops and counts instead of throwing: short frames, garbage, missing keys', async () => {
    const { sender, receiver } = setup();
    assert.equal(await sender.encryptFrame(Uint8Array.of(0x50, 1, 2), 'vp8', 'camera'), undefined);
    assert.equal(sender.stats().encryptFailures.FRAME_TOO_SHORT, 1);
    assert.equal(await receiver.decryptFrame(randomBytes(40), 'other', FROM('screen')), undefined);
    const lonely = new FrameCryptor(new SFrameKeyStore());
    assert.equal(await lonely.encryptFrame(opusFrame(), 'opus', 'mic'), undefined);
    assert.equal(lonely.stats().encryptFailures.SFRAME_NO_SEND_KEY, 1);
  });

  it('shows a receiver only frames of the member and source it is bound to', async () => {
    const { sender, receiver } = setup();
    const camera = (await sender.encryptFrame(vp8DeltaFrame(), 'vp8', 'camera'))!;
    const screen = (await sender.encryptFrame(vp8DeltaFrame(), 'vp8', 'screen'))!;
    const failures: string[] = [];
    const onFailure = (code: string) => failures.push(code);
    // Another member's tile, or the right member's other source, or nobody known yet: dropped.
    assert.equal(
      await receiver.decryptFrame(camera, 'vp8', { leafIndex: 2, context: 'camera' }, onFailure),
      undefined,
    );
    assert.equal(await receiver.decryptFrame(screen, 'vp8', FROM('camera'), onFailure), undefined);
    assert.equal(await receiver.decryptFrame(camera, 'vp8', null, onFailure), undefined);
    assert.deepEqual(failures, ['SFRAME_WRONG_SENDER', 'SFRAME_WRONG_SENDER', 'SFRAME_UNBOUND_RECEIVER']);
    assert.equal(receiver.stats().decrypted, 0);
    // Refused before decryption: the frame still decrypts where it belongs.
    assert.ok(await receiver.decryptFrame(camera, 'vp8', FROM('camera')));
    assert.ok(await receiver.decryptFrame(screen, 'vp8', FROM('screen')));
  });

  it('passes empty frames through unchanged', async () => {
    const { sender } = setup();
    assert.deepEqual(await sender.encryptFrame(new Uint8Array(0), 'vp8', 'camera'), new Uint8Array(0));
    assert.equal(sender.stats().passedEmpty, 1);
  });
});
