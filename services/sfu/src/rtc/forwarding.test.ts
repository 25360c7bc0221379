import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SfuServer } from '../server.ts';
import { LAYERS, OpusSource, publishPlain, subscribePlain, Vp8SimulcastSource } from '../testing/media.ts';
import {
  eventually,
  RecordingConnection,
  randomId,
  requireWorkerBin,
  SignalingClient,
  startTestSfu,
  TestTokens,
} from '../testing/harness.ts';
import { isVp8KeyFrame } from '../testing/rtp.ts';

const tokens = new TestTokens();
let sfu: SfuServer;

before(async () => {
  requireWorkerBin();
  sfu = await startTestSfu(tokens, { workers: 2 });
});
after(async () => {
  await sfu?.close();
});

function join(room: string, role: 'participant' | 'host' = 'participant') {
  const conn = new RecordingConnection();
  const peer = sfu.rooms.join(tokens.claims({ room, role }), conn);
  return { peer, conn };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends frames at ~`fps` until `stop()`; returns the stopper. */
function pump(send: () => void, intervalMs: number): () => void {
  const timer = setInterval(send, intervalMs);
  return () => clearInterval(timer);
}

describe('forwarding over plain RTP', () => {
  test('audio from one peer reaches another with its encrypted payload byte for byte', async () => {
    const room = randomId();
    const alice = join(room);
    const bob = join(room);
    const pub = await publishPlain(alice.peer, 'audio');
    const sub = await subscribePlain(bob.peer, pub.producerId);
    const source = new OpusSource(pub.ip, pub.port);
    const sent = new Set<string>();
    const stop = pump(() => sent.add(source.sendPacket(60).toString('hex')), 20);
    try {
      const packet = await sub.receiver.waitFor(
        (p) => p.payload.length === 60,
        5000,
        'forwarded Opus packet',
      );
      assert.ok(sent.has(packet.payload.toString('hex')), 'the payload arrives unchanged');
      assert.notEqual(packet.ssrc, 0x4444_0000, 'the consumer has its own SSRC');
    } finally {
      stop();
      source.close();
      sub.receiver.close();
    }
    assert.ok(
      bob.conn.notifications.some((n) => n.method === 'newProducer' && n.data.producerId === pub.producerId),
      'bob was told about alice’s producer',
    );
    alice.peer.close();
    bob.peer.close();
  });

  test('simulcast switches layers on encrypted VP8 frames because key frames stay detectable', async () => {
    const room = randomId();
    const alice = join(room);
    const bob = join(room);
    const pub = await publishPlain(alice.peer, 'video');
    const source = new Vp8SimulcastSource(pub.ip, pub.port);
    const stop = pump(() => source.sendFrame(), 33);
    const sub = await subscribePlain(bob.peer, pub.producerId);
    const sizeOf = (layer: number) => LAYERS[layer]!.size;
    const packets = sub.receiver.packets;
    const receivedSince = (from: number, layer: number) => (p: { payload: Buffer }) =>
      p.payload.length === sizeOf(layer) && packets.indexOf(p as never) >= from;
    try {
      await sub.receiver.waitFor((p) => p.payload.length === sizeOf(2), 8000, 'top layer (spatial 2)');
      let from = packets.length;
      await bob.peer.consumers.setPreferredLayers({
        consumerId: sub.consumerId,
        spatialLayer: 0,
        temporalLayer: 2,
      });
      const low = await sub.receiver.waitFor(
        receivedSince(from, 0),
        8000,
        'lowest layer after asking for it',
      );
      assert.ok(isVp8KeyFrame(low.payload), 'the switch happens on a key frame of the new layer');
      const switchedAt = packets.indexOf(low);
      await sleep(300);
      const afterSwitch = packets.slice(switchedAt);
      assert.ok(afterSwitch.length > 5, 'frames keep flowing on the low layer');
      assert.ok(
        afterSwitch.every((p) => p.payload.length === sizeOf(0)),
        'only the low layer is forwarded after the switch',
      );
      from = packets.length;
      await bob.peer.consumers.setPreferredLayers({
        consumerId: sub.consumerId,
        spatialLayer: 1,
        temporalLayer: 2,
      });
      const mid = await sub.receiver.waitFor(
        receivedSince(from, 1),
        8000,
        'middle layer after asking for it',
      );
      assert.ok(isVp8KeyFrame(mid.payload), 'the up-switch also waits for a key frame');
      const consumer = bob.peer.consumers.list()[0]!;
      await eventually(() => consumer.currentLayers?.spatialLayer === 1, 'consumer reports spatial layer 1');
    } finally {
      stop();
      source.close();
      sub.receiver.close();
      alice.peer.close();
      bob.peer.close();
    }
  });

  test('a paused producer forwards nothing until resumed, and consumers are told', async () => {
    const room = randomId();
    const alice = join(room);
    const bob = join(room);
    const pub = await publishPlain(alice.peer, 'audio');
    const sub = await subscribePlain(bob.peer, pub.producerId);
    const source = new OpusSource(pub.ip, pub.port);
    const stop = pump(() => source.sendPacket(), 20);
    try {
      await sub.receiver.waitFor(() => true, 5000, 'audio before pause');
      await alice.peer.pauseProducer(pub.producerId);
      await eventually(
        () =>
          bob.conn.notifications.some(
            (n) => n.method === 'consumerPaused' && n.data.consumerId === sub.consumerId,
          ),
        'consumerPaused notification',
      );
      await sleep(100);
      sub.receiver.clear();
      await sleep(400);
      assert.equal(sub.receiver.count, 0, 'no RTP while paused');
      await alice.peer.resumeProducer(pub.producerId);
      await sub.receiver.waitFor(() => true, 5000, 'audio after resume');
      assert.ok(bob.conn.notifications.some((n) => n.method === 'producerResumed'));
    } finally {
      stop();
      source.close();
      sub.receiver.close();
      alice.peer.close();
      bob.peer.close();
    }
  });

  test('a paused consumer receives nothing while the producer keeps sending', async () => {
    const room = randomId();
    const alice = join(room);
    const bob = join(room);
    const pub = await publishPlain(alice.peer, 'audio');
    const sub = await subscribePlain(bob.peer, pub.producerId);
    const source = new OpusSource(pub.ip, pub.port);
    const stop = pump(() => source.sendPacket(), 20);
    try {
      await sub.receiver.waitFor(() => true, 5000, 'audio before pause');
      await bob.peer.consumers.pause(sub.consumerId);
      await sleep(100);
      sub.receiver.clear();
      await sleep(300);
      assert.equal(sub.receiver.count, 0);
      await bob.peer.consumers.resume(sub.consumerId);
      await sub.receiver.waitFor(() => true, 5000, 'audio after consumer resume');
    } finally {
      stop();
      source.close();
      sub.receiver.close();
      alice.peer.close();
      bob.peer.close();
    }
  });

  test('a room larger than one router spreads over two workers and media crosses between them', async () => {
    const room = randomId();
    const small = await startTestSfu(tokens, { workers: 2, routerMaxPeers: 1 });
    try {
      const joinSmall = () => small.rooms.join(tokens.claims({ room }), new RecordingConnection());
      const alice = joinSmall();
      const bob = joinSmall();
      const pub = await publishPlain(alice, 'video');
      const source = new Vp8SimulcastSource(pub.ip, pub.port);
      const stop = pump(() => source.sendFrame(), 33);
      try {
        const sub = await subscribePlain(bob, pub.producerId);
        const routers = small.rooms.room(room)!.routers();
        assert.equal(routers.length, 2, 'the room has a router on each worker');
        assert.notEqual(routers[0]!.slot.index, routers[1]!.slot.index);
        assert.notEqual(
          small.rooms.room(room)!.routerOfPeer(alice)!.slot.index,
          small.rooms.room(room)!.routerOfPeer(bob)!.slot.index,
          'alice and bob are served by different workers',
        );
        await sub.receiver.waitFor(
          (p) => p.payload.length >= LAYERS[0]!.size,
          8000,
          'video piped across workers',
        );
        sub.receiver.close();
      } finally {
        stop();
        source.close();
      }
      alice.close();
      bob.close();
      await eventually(() => small.rooms.room(room) === undefined, 'the room closes when empty');
    } finally {
      await small.close();
    }
  });

  test('active speaker and audio levels are pushed for a room spanning workers', async () => {
    const room = randomId();
    const small = await startTestSfu(tokens, { workers: 2, routerMaxPeers: 1 });
    try {
      const listener = new RecordingConnection();
      small.rooms.join(tokens.claims({ room }), listener);
      const speaker = small.rooms.join(tokens.claims({ room }), new RecordingConnection());
      const pub = await publishPlain(speaker, 'audio');
      const source = new OpusSource(pub.ip, pub.port);
      // The payload is opaque; levels come from the RFC 6464 header extension (here −20 dBov).
      const stop = pump(() => source.sendPacket(), 20);
      try {
        const active = await eventually(
          () => listener.notifications.find((n) => n.method === 'activeSpeaker'),
          'activeSpeaker notification',
          8000,
        );
        assert.equal(active.data.producerId, pub.producerId);
        assert.equal(active.data.peerId, speaker.id);
        assert.deepEqual(
          small.rooms.room(room)!.activeSpeaker,
          { producerId: pub.producerId, peerId: speaker.id },
          'kept for a peer that joins later',
        );
        // A newcomer is told the current speaker right after its welcome, not at the next change.
        const newcomer = new SignalingClient(small.port);
        try {
          await newcomer.hello(tokens.sign(tokens.claims({ room })));
          const told = await newcomer.notification('activeSpeaker', (d) => d.producerId === pub.producerId);
          assert.equal(told.peerId, speaker.id);
        } finally {
          newcomer.close();
        }
        const levels = await eventually(
          () =>
            listener.notifications.find(
              (n) => n.method === 'audioLevels' && (n.data.levels as unknown[]).length > 0,
            ),
          'audioLevels notification',
          8000,
        );
        const [level] = levels.data.levels as { producerId: string; peerId: string; volume: number }[];
        assert.equal(level?.producerId, pub.producerId);
        assert.ok(level.volume <= -15 && level.volume >= -25, `volume ${level.volume} ≈ −20 dBov`);
      } finally {
        stop();
        source.close();
      }
    } finally {
      await small.close();
    }
  });
});
