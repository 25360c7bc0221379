import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import type { SfuServer } from '../server.ts';
import {
  eventually,
  RecordingConnection,
  randomId,
  requireWorkerBin,
  SignalingClient,
  startTestSfu,
  TestTokens,
} from '../testing/harness.ts';
import { OpusSource, publishPlain, subscribePlain } from '../testing/media.ts';

const tokens = new TestTokens();
let sfu: SfuServer & { port: number };

before(async () => {
  requireWorkerBin();
  sfu = await startTestSfu(tokens, { workers: 2 });
});
after(async () => {
  await sfu?.close();
});

async function audioLink(room: string) {
  const aliceConn = new RecordingConnection();
  const bobConn = new RecordingConnection();
  const alice = sfu.rooms.join(tokens.claims({ room }), aliceConn);
  const bob = sfu.rooms.join(tokens.claims({ room }), bobConn);
  const pub = await publishPlain(alice, 'audio');
  const sub = await subscribePlain(bob, pub.producerId);
  const source = new OpusSource(pub.ip, pub.port);
  const timer = setInterval(() => source.sendPacket(), 20);
  let stopped = false;
  return {
    alice,
    bob,
    aliceConn,
    bobConn,
    sub,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      source.close();
      sub.receiver.close();
    },
  };
}

test('a killed worker restarts, its peers are told to re-create transports, and media flows again', async () => {
  const roomA = randomId();
  const roomB = randomId();
  const a = await audioLink(roomA);
  const b = await audioLink(roomB);
  const client = new SignalingClient(sfu.port);
  const welcome = await client.hello(tokens.sign(tokens.claims({ room: roomA })));
  assert.equal(welcome.type, 'welcome');
  await client.request('createWebRtcTransport', { direction: 'send' });
  try {
    await a.sub.receiver.waitFor(() => true, 5000, 'room A audio');
    await b.sub.receiver.waitFor(() => true, 5000, 'room B audio');
    const victim = sfu.rooms.room(roomA)!.routerOfPeer(a.alice)!.slot;
    const survivor = sfu.rooms.room(roomB)!.routerOfPeer(b.alice)!.slot;
    assert.notEqual(victim.index, survivor.index, 'the two rooms live on different workers');

    const restarted = once(sfu.pool, 'workerRestarted');
    process.kill(victim.worker.pid, 'SIGKILL');

    await client.notification('transportsReset');
    await eventually(
      () => a.bobConn.notifications.some((n) => n.method === 'transportsReset'),
      'transportsReset for plain peers',
    );
    assert.equal(a.alice.transports().length, 0, 'the dead worker’s transports are gone');
    assert.ok(!b.bobConn.notifications.some((n) => n.method === 'transportsReset'), 'room B is not affected');
    b.sub.receiver.clear();
    await b.sub.receiver.waitFor(() => true, 3000, 'room B audio while worker restarts');

    const [index] = await restarted;
    assert.equal(index, victim.index, 'the worker is restarted in the same slot');
    assert.notEqual(sfu.pool.slot(victim.index)!.worker.pid, victim.worker.pid);

    // The client rebuilds: new transports on the restarted (or another) worker, media again.
    a.stop();
    const pub = await publishPlain(a.alice, 'audio');
    const sub = await subscribePlain(a.bob, pub.producerId);
    const source = new OpusSource(pub.ip, pub.port);
    const timer = setInterval(() => source.sendPacket(), 20);
    try {
      await sub.receiver.waitFor(() => true, 5000, 'room A audio after recovery');
    } finally {
      clearInterval(timer);
      source.close();
      sub.receiver.close();
    }
    const transport = await client.request('createWebRtcTransport', { direction: 'send' });
    assert.ok(transport.transportId, 'signaling clients can create transports again');

    const metrics = await (await fetch(`http://127.0.0.1:${sfu.port}/metrics`)).text();
    assert.match(metrics, /^sfu_worker_restarts 1$/m);
    assert.match(metrics, /^sfu_workers 2$/m);
  } finally {
    a.stop();
    b.stop();
    client.close();
  }
});
