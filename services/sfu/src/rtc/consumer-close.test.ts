import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SfuServer } from '../server.ts';
import {
  RecordingConnection,
  randomId,
  requireWorkerBin,
  startTestSfu,
  TestTokens,
} from '../testing/harness.ts';
import { plainReceiverCapabilities, publishPlain } from '../testing/media.ts';
import { SfuFailure } from './failure.ts';

// Every consumer the server closes is announced with consumerClosed before any later answer
// about it: a client that consumed a producer and resumes the consumer right away must never
// get consumer_not_found for a consumer it was not told about.

const tokens = new TestTokens();
let sfu: SfuServer;

before(async () => {
  requireWorkerBin();
  // One peer per router: the consumer sits on the other worker and its producer is piped.
  sfu = await startTestSfu(tokens, { workers: 2, routerMaxPeers: 1 });
});
after(async () => {
  await sfu?.close();
});

function join(room: string) {
  const conn = new RecordingConnection();
  const peer = sfu.rooms.join(tokens.claims({ room }), conn);
  return { peer, conn };
}

/** B consumes A's producer (paused, as a client does before it resumes). */
async function consumed(kind: 'audio' | 'video') {
  const room = randomId();
  const a = join(room);
  const b = join(room);
  const pub = await publishPlain(a.peer, kind);
  const transport = await b.peer.openPlainTransport('recv');
  const rr = await b.peer.room.routerOf(b.peer);
  const consumer = await b.peer.consume({
    transportId: transport.id,
    producerId: pub.producerId,
    rtpCapabilities: plainReceiverCapabilities(rr.router.rtpCapabilities) as never,
  });
  return { a, b, producerId: pub.producerId, consumerId: consumer.consumerId, room };
}

const methodsFor = (conn: RecordingConnection, id: string) =>
  conn.notifications.filter((n) => n.data.consumerId === id || n.data.producerId === id).map((n) => n.method);

describe('consumers closed by the server', () => {
  for (const kind of ['audio', 'video'] as const) {
    test(`${kind}: the producer closes right after consume; resume answers consumer_not_found after consumerClosed`, async () => {
      const { a, b, producerId, consumerId, room } = await consumed(kind);
      assert.notEqual(
        sfu.rooms.room(room)!.routerOfPeer(a.peer),
        sfu.rooms.room(room)!.routerOfPeer(b.peer),
        'the consumer is on the other worker (piped producer)',
      );
      a.peer.closeProducer(producerId);
      // The very next request, as a client sends it: nothing has been awaited in between.
      const outcome = await b.peer.consumers.resume(consumerId).then(
        () => 'resumed',
        (error: unknown) => {
          assert.ok(error instanceof SfuFailure, String(error));
          assert.equal(error.code, 'consumer_not_found');
          // What the client had been told when the answer was sent.
          return methodsFor(b.conn, consumerId).join(',');
        },
      );
      assert.equal(outcome, 'consumerClosed', 'consumerClosed came before the failed resume');
      assert.deepEqual(
        b.conn.notifications
          .filter((n) => n.method === 'consumerClosed' || n.method === 'producerClosed')
          .map((n) => n.method),
        ['consumerClosed', 'producerClosed'],
        'the consumer is announced closed before its producer, once',
      );
      assert.equal(b.peer.consumers.list().length, 0);
      a.peer.close();
      b.peer.close();
    });
  }

  test('a resume in flight when the producer closes either succeeds or fails after consumerClosed', async () => {
    for (let i = 0; i < 10; i++) {
      const { a, b, producerId, consumerId } = await consumed('video');
      const resumed = b.peer.consumers.resume(consumerId);
      a.peer.closeProducer(producerId);
      await resumed.catch((error: unknown) => {
        assert.ok(error instanceof SfuFailure && error.code === 'consumer_not_found', String(error));
        assert.ok(methodsFor(b.conn, consumerId).includes('consumerClosed'), 'told before the answer');
      });
      // Either way the consumer is gone and announced exactly once.
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(
        b.conn.notifications.filter((n) => n.method === 'consumerClosed').map((n) => n.data.consumerId),
        [consumerId],
      );
      a.peer.close();
      b.peer.close();
    }
  });

  test('the producer’s owner leaving closes its consumers with consumerClosed before peerLeft', async () => {
    const { a, b, consumerId } = await consumed('audio');
    a.peer.close();
    const methods = b.conn.notifications.map((n) => n.method);
    assert.ok(methods.includes('consumerClosed'), methods.join(','));
    assert.ok(methods.indexOf('consumerClosed') < methods.indexOf('peerLeft'), methods.join(','));
    await assert.rejects(b.peer.consumers.resume(consumerId), { code: 'consumer_not_found' });
    b.peer.close();
  });

  test('consume of a producer that closes meanwhile answers producer_not_found or a consumer announced closed', async () => {
    const outcomes = new Set<string>();
    // The producer closes at different points of the consume: before the pipe, during it,
    // while the worker makes the consumer, after.
    for (let ticks = 0; ticks < 12; ticks++) {
      const room = randomId();
      const a = join(room);
      const b = join(room);
      const pub = await publishPlain(a.peer, ticks % 2 === 0 ? 'audio' : 'video');
      const transport = await b.peer.openPlainTransport('recv');
      const rr = await b.peer.room.routerOf(b.peer);
      const consuming = b.peer.consume({
        transportId: transport.id,
        producerId: pub.producerId,
        rtpCapabilities: plainReceiverCapabilities(rr.router.rtpCapabilities) as never,
      });
      for (let i = 0; i < ticks >> 1; i++) await new Promise((resolve) => setImmediate(resolve));
      a.peer.closeProducer(pub.producerId);
      const result = await consuming.then(
        (c) => ({ consumerId: c.consumerId }),
        (error: unknown) => ({ code: (error as SfuFailure).code }),
      );
      if ('code' in result) {
        assert.equal(result.code, 'producer_not_found', `after ${ticks >> 1} ticks`);
        assert.equal(b.peer.consumers.list().length, 0, 'no consumer left behind');
        outcomes.add('refused');
      } else {
        assert.ok(
          methodsFor(b.conn, result.consumerId).includes('consumerClosed'),
          `after ${ticks >> 1} ticks`,
        );
        await assert.rejects(b.peer.consumers.resume(result.consumerId), { code: 'consumer_not_found' });
        outcomes.add('closed');
      }
      a.peer.close();
      b.peer.close();
    }
    assert.ok(outcomes.has('refused'), 'the race was hit at least once');
  });
});
