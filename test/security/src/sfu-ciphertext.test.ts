/**
 * Trust boundary 1 (SFU compromised), media part: a tap on what the SFU forwards sees only
 * SFrame ciphertext beyond the codec prefix the SFU needs.
 *
 * Frames are encrypted by packages/e2ee's FrameCryptor (the code the browser worker runs),
 * packetized as VP8 over RTP into a real mediasoup SFU, and tapped by a consumer on a plain
 * transport in the same room (what a compromised SFU operator could add). A control producer
 * sends the same frames unencrypted so the detector is shown to find the plaintext when it is
 * there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FrameCryptor, SFrameKeyStore } from '@conclave/e2ee';
import type { SfuServer } from '../../../services/sfu/src/server.ts';
import {
  RecordingConnection,
  randomId,
  requireWorkerBin,
  startTestSfu,
  TestTokens,
} from '../../../services/sfu/src/testing/harness.ts';
import { publishPlain, subscribePlain, VP8_PT } from '../../../services/sfu/src/testing/media.ts';
import { RtpSender, writeRtp } from '../../../services/sfu/src/testing/rtp.ts';

const CANARY = Buffer.from('CONCLAVE-PLAINTEXT-CANARY:');
const FRAMES = 40;
/** The tapped frames are the camera of leaf 1 (the sender below). */
const FROM_SENDER = { leafIndex: 1, context: 'camera' } as const;

/** A VP8 frame (key or delta) whose content after the frame tag is the canary, repeated. */
function plainFrame(n: number, keyFrame: boolean): Uint8Array {
  const body = Buffer.alloc(600);
  for (let i = 0; i < body.length; i += CANARY.length) CANARY.copy(body, i);
  body.writeUInt32BE(n, 596);
  const tag = keyFrame
    ? Buffer.from([0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01])
    : Buffer.from([0x31, 0x10, 0x00]);
  return new Uint8Array(Buffer.concat([tag, body]));
}

/** VP8 payload descriptor (RFC 7741) with picture ID, TL0PICIDX and TID, start of partition. */
function descriptor(pictureId: number): Buffer {
  return Buffer.from([
    0x90,
    0xe0,
    0x80 | ((pictureId >> 8) & 0x7f),
    pictureId & 0xff,
    pictureId & 0xff,
    0x20,
  ]);
}

function singleLayerVp8(ssrc: number) {
  return {
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: VP8_PT,
        clockRate: 90000,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
      },
    ],
    encodings: [{ ssrc }],
    rtcp: { cname: 'security', reducedSize: true },
  };
}

const tokens = new TestTokens();
let sfu: SfuServer;

before(async () => {
  requireWorkerBin();
  sfu = await startTestSfu(tokens, { workers: 1 });
});
after(async () => {
  await sfu?.close();
});

async function tapRoute(encrypt: FrameCryptor | undefined) {
  const room = randomId();
  const publisher = sfu.rooms.join(tokens.claims({ room }), new RecordingConnection());
  const tapPeer = sfu.rooms.join(tokens.claims({ room }), new RecordingConnection());
  const ssrc = 0x5a5a_0000 + Math.floor(Math.random() * 0xffff);
  const pub = await publishPlain(publisher, 'video', singleLayerVp8(ssrc) as never);
  const tap = await subscribePlain(tapPeer, pub.producerId);
  const sender = new RtpSender(pub.ip, pub.port);
  const sentFrames: Uint8Array[] = [];
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    for (let n = 0; n < FRAMES; n++) {
      const frame = plainFrame(n, n % 10 === 0);
      const wire = encrypt ? await encrypt.encryptFrame(frame, 'vp8', 'camera') : frame;
      assert.ok(wire, 'the frame cryptor produced a frame');
      sentFrames.push(wire);
      const payload = Buffer.concat([descriptor(n), Buffer.from(wire)]);
      sender.send(
        writeRtp(
          { payloadType: VP8_PT, sequenceNumber: n, timestamp: n * 3000, ssrc, marker: true },
          payload,
        ),
      );
      await sleep(15);
    }
    // Let the last packets through the worker.
    const deadline = Date.now() + 3000;
    while (tap.receiver.count < FRAMES && Date.now() < deadline) await sleep(50);
  } finally {
    sender.close();
    tap.receiver.close();
    publisher.close();
    tapPeer.close();
  }
  return { tapped: tap.receiver.packets.filter((p) => p.payloadType !== 0), sentFrames };
}

/** Splits a tapped payload into the clear VP8 frame prefix and what follows it. */
function splitTapped(payload: Buffer): { prefix: Buffer; rest: Buffer; frame: Buffer } {
  // The SFU rewrites picture ID / TL0PICIDX but keeps the descriptor's length (6 bytes here).
  const frame = payload.subarray(6);
  const prefixLength = (frame[0]! & 1) === 0 ? 10 : 3;
  return { prefix: frame.subarray(0, prefixLength), rest: frame.subarray(prefixLength), frame };
}

describe('SFU compromised: forwarded media', () => {
  it('a tap on the SFU finds the plaintext when a frame is sent unencrypted (control)', async () => {
    const { tapped } = await tapRoute(undefined);
    assert.ok(tapped.length >= FRAMES / 2, `tap received ${tapped.length} packets`);
    const leaked = tapped.filter((p) => splitTapped(p.payload).rest.includes(CANARY));
    assert.ok(leaked.length > 0, 'the detector sees plaintext when there is plaintext');
  });

  it('a tap on the SFU sees only SFrame ciphertext beyond the clear VP8 prefix', async () => {
    const baseKey = crypto.getRandomValues(new Uint8Array(16));
    const senderKeys = new SFrameKeyStore({ gracePeriodMs: 2000 });
    senderKeys.installEpoch({ epoch: 5n, baseKey, groupSize: 3, selfLeafIndex: 1 });
    const receiverKeys = new SFrameKeyStore({ gracePeriodMs: 2000 });
    receiverKeys.installEpoch({ epoch: 5n, baseKey, groupSize: 3, selfLeafIndex: 2 });
    const outsiderKeys = new SFrameKeyStore({ gracePeriodMs: 2000 });
    outsiderKeys.installEpoch({
      epoch: 5n,
      baseKey: crypto.getRandomValues(new Uint8Array(16)),
      groupSize: 3,
      selfLeafIndex: 0,
    });

    const { tapped, sentFrames } = await tapRoute(new FrameCryptor(senderKeys));
    assert.ok(tapped.length >= FRAMES / 2, `tap received ${tapped.length} packets`);

    const member = new FrameCryptor(receiverKeys);
    const outsider = new FrameCryptor(outsiderKeys);
    let decrypted = 0;
    for (const packet of tapped) {
      const { prefix, rest, frame } = splitTapped(packet.payload);
      // What the SFU needs is in clear and nothing more.
      assert.ok(prefix.length === 10 || prefix.length === 3);
      assert.ok(!rest.includes(CANARY.subarray(0, 8)), 'no plaintext beyond the clear prefix');
      assert.ok(!frame.includes(CANARY.subarray(0, 8)), 'no plaintext anywhere in the frame');
      assert.ok(
        sentFrames.some((s) => Buffer.from(s).equals(frame)),
        'the tap sees the frame exactly as the sender encrypted it',
      );
      // A member with the epoch's key recovers the plaintext; a key-less observer does not.
      const plain = await member.decryptFrame(frame, 'vp8', FROM_SENDER);
      assert.ok(plain && Buffer.from(plain).includes(CANARY), 'members decrypt the forwarded frame');
      decrypted++;
      assert.equal(await outsider.decryptFrame(frame, 'vp8', FROM_SENDER), undefined);
    }
    assert.equal(decrypted, tapped.length);
    assert.equal(outsider.stats().decrypted, 0);
  });
});
