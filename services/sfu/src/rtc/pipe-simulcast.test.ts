import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SfuServer } from '../server.ts';
import {
  eventually,
  RecordingConnection,
  randomId,
  requireWorkerBin,
  startTestSfu,
  TestTokens,
} from '../testing/harness.ts';
import {
  LAYERS,
  plainReceiverCapabilities,
  publishPlain,
  subscribePlain,
  Vp8SimulcastSource,
} from '../testing/media.ts';
import { RtpReceiver } from '../testing/rtp.ts';

const tokens = new TestTokens();
let sfu: SfuServer;

const PUBLISHERS = 16;

before(async () => {
  requireWorkerBin();
  // The first PUBLISHERS peers of a room fill the first worker's router; later ones go to the other.
  sfu = await startTestSfu(tokens, { workers: 2, routerMaxPeers: PUBLISHERS });
});
after(async () => {
  await sfu?.close();
});

const join = (room: string) => sfu.rooms.join(tokens.claims({ room }), new RecordingConnection());

describe('simulcast across a pipe between workers', () => {
  test('a subscriber on another worker gets the low layer it asked for, then switches to the high layer', async () => {
    const room = randomId();
    const alice = join(room);
    const fillers = Array.from({ length: PUBLISHERS - 1 }, () => join(room));
    for (const filler of fillers) await filler.room.routerOf(filler);
    const bob = join(room);
    const pub = await publishPlain(alice, 'video');
    const source = new Vp8SimulcastSource(pub.ip, pub.port);
    // Like a real encoder: key frames only now and then (here every 2 s at 30 fps).
    source.keyFrameInterval = 60;
    const timer = setInterval(() => source.sendFrame(), 33);
    try {
      // The publisher is already sending when the subscriber arrives (as in a running meeting).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const sub = await subscribePlain(bob, pub.producerId, {
        preferredLayers: { spatialLayer: 0, temporalLayer: 2 },
      });
      const directory = sfu.rooms.room(room)!;
      assert.notEqual(
        directory.routerOfPeer(alice)!.slot.index,
        directory.routerOfPeer(bob)!.slot.index,
        'publisher and subscriber are on different workers',
      );
      const consumer = bob.consumers.list()[0]!;
      assert.equal(consumer.type, 'simulcast');
      try {
        await sub.receiver.waitFor(
          (p) => p.payload.length === LAYERS[0]!.size,
          8000,
          'low layer across the pipe',
        );
        await eventually(() => consumer.currentLayers?.spatialLayer === 0, 'current layer spatial 0', 3000);
        const packets = sub.receiver.packets;
        const from = packets.length;
        await bob.consumers.setPreferredLayers({
          consumerId: sub.consumerId,
          spatialLayer: 2,
          temporalLayer: 2,
        });
        await sub.receiver.waitFor(
          (p) => p.payload.length === LAYERS[2]!.size && packets.indexOf(p) >= from,
          8000,
          'high layer across the pipe after asking for it',
        );
        await eventually(() => consumer.currentLayers?.spatialLayer === 2, 'current layer spatial 2', 3000);
      } finally {
        sub.receiver.close();
      }
    } finally {
      clearInterval(timer);
      source.close();
      for (const peer of [alice, bob, ...fillers]) peer.close();
    }
  });

  test('many publishers bursting at once all reach subscribers on the other worker', async () => {
    const room = randomId();
    const publishers = Array.from({ length: PUBLISHERS }, () => join(room));
    const sources: Vp8SimulcastSource[] = [];
    const producerIds: string[] = [];
    for (const peer of publishers) {
      const pub = await publishPlain(peer, 'video');
      const source = new Vp8SimulcastSource(pub.ip, pub.port);
      source.keyFrameInterval = 60;
      // About 150 kbps / 500 kbps / 1.5 Mbps, as a camera sends its three layers.
      source.packetsPerFrame = [1, 2, 6];
      sources.push(source);
      producerIds.push(pub.producerId);
    }
    // All publishers' frames leave together (as after a pause of the sending process, or
    // simultaneous key frames): bursts of PUBLISHERS × 9 packets.
    const timer = setInterval(() => {
      for (const source of sources) source.sendFrame();
    }, 33);
    const subscribers = Array.from({ length: 3 }, () => join(room));
    const receivers: RtpReceiver[] = [];
    try {
      const directory = sfu.rooms.room(room)!;
      for (const peer of subscribers) {
        const receiver = new RtpReceiver({ keepPackets: false });
        receivers.push(receiver);
        const transport = await peer.openPlainTransport('recv');
        await transport.connect({ ip: '127.0.0.1', port: await receiver.bind() });
        const rtpCapabilities = plainReceiverCapabilities(
          (await peer.room.routerOf(peer)).router.rtpCapabilities,
        );
        for (const producerId of producerIds) {
          const { consumerId } = await peer.consume({
            transportId: transport.id,
            producerId,
            rtpCapabilities: rtpCapabilities as never,
          });
          await peer.consumers.setPreferredLayers({ consumerId, spatialLayer: 0, temporalLayer: 2 });
          await peer.consumers.resume(consumerId);
        }
        assert.notEqual(
          directory.routerOfPeer(peer)!.slot.index,
          directory.routerOfPeer(publishers[0]!)!.slot.index,
          'subscribers are on the other worker',
        );
      }
      const link = directory.pipeLink(
        directory.routerOfPeer(publishers[0]!)!,
        directory.routerOfPeer(subscribers[0]!)!,
      );
      assert.ok(link && link.pairCount > 1, 'the piped cameras are spread over several pipe transports');
      const consumers = subscribers.flatMap((peer) => peer.consumers.list());
      const withLayers = () => consumers.filter((c) => c.currentLayers?.spatialLayer === 0).length;
      // Key frames every 2 s: every consumer should have switched to its layer well within 6 s.
      await eventually(
        () => withLayers() === consumers.length,
        'every consumer on its low layer',
        6000,
      ).catch(() =>
        assert.fail(`${consumers.length - withLayers()} of ${consumers.length} consumers have no layer`),
      );
      // And they stay there: the piped streams keep a usable score.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(withLayers(), consumers.length, 'consumers keep their layer');
    } finally {
      clearInterval(timer);
      for (const source of sources) source.close();
      for (const receiver of receivers) receiver.close();
      for (const peer of [...publishers, ...subscribers]) peer.close();
    }
  });
});
