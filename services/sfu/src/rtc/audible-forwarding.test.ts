/**
 * A room with more open microphones than it forwards (here 2 of 4): the listener receives
 * only the most recently loud, is told which it does not (`consumerAudible`), and someone who
 * starts speaking is heard, in place of whoever spoke longest ago. How soon is measured by
 * `bench/audible.bench.ts`; here it only has to happen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SfuServer } from '../server.ts';
import { OpusSource, publishPlain, subscribePlain } from '../testing/media.ts';
import {
  eventually,
  RecordingConnection,
  randomId,
  requireWorkerBin,
  startTestSfu,
  TestTokens,
} from '../testing/harness.ts';

const tokens = new TestTokens();
let sfu: SfuServer;
const SILENT = 127;
const LOUD = 20;

before(async () => {
  requireWorkerBin();
  sfu = await startTestSfu(tokens, { workers: 1, audibleSpeakers: 2 });
});
after(async () => {
  await sfu?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('audible speakers', () => {
  test('only the most recently loud microphones are forwarded, and a new speaker is heard', async () => {
    const room = randomId();
    const listenerConn = new RecordingConnection();
    const listener = sfu.rooms.join(tokens.claims({ room }), listenerConn);
    const mic = async () => {
      const peer = sfu.rooms.join(tokens.claims({ room }), new RecordingConnection());
      const pub = await publishPlain(peer, 'audio');
      const source = new OpusSource(pub.ip, pub.port);
      source.level = SILENT;
      const sub = await subscribePlain(listener, pub.producerId, { keepPackets: false });
      return { peer, source, sub };
    };
    const mics: Awaited<ReturnType<typeof mic>>[] = [];
    for (let i = 0; i < 4; i++) mics.push(await mic());
    const timer = setInterval(() => {
      for (const m of mics) m.source.sendPacket();
    }, 20);
    try {
      const audibleOf = (consumerId: string) =>
        listenerConn.notifications
          .filter((n) => n.method === 'consumerAudible' && n.data.consumerId === consumerId)
          .at(-1)?.data.audible;
      // The first two were forwarded before the room had more than two; the others wait.
      await sleep(600);
      const counts = mics.map((m) => m.sub.receiver.count);
      assert.ok(counts[0]! > 10 && counts[1]! > 10, `the first two are heard: ${counts}`);
      assert.deepEqual(counts.slice(2), [0, 0], 'the third and fourth are not forwarded');
      assert.deepEqual(
        mics.map((m) => audibleOf(m.sub.consumerId)),
        [undefined, undefined, false, false],
        'the listener is told which microphones it does not receive',
      );
      // The third starts speaking: heard, in place of one of the first two.
      const started = performance.now();
      mics[2]!.source.level = LOUD;
      await mics[2]!.sub.receiver.waitFor(() => true, 2000, 'the new speaker’s first packet');
      const heardAfter = performance.now() - started;
      console.log(`a new speaker is forwarded ${heardAfter.toFixed(0)} ms after they start speaking`);
      assert.equal(audibleOf(mics[2]!.sub.consumerId), true);
      const dropped = await eventually(
        () => mics.slice(0, 2).find((m) => audibleOf(m.sub.consumerId) === false),
        'one of the first two no longer forwarded',
      );
      const before = dropped.sub.receiver.count;
      await sleep(300);
      assert.ok(dropped.sub.receiver.count - before <= 2, 'nothing more arrives of the one dropped');
      // Two leave: the room is back at two microphones and forwards both again.
      mics[2]!.peer.close();
      mics[3]!.peer.close();
      await eventually(
        () => audibleOf(dropped.sub.consumerId) === true,
        'the dropped microphone forwarded again',
      );
      const resumed = dropped.sub.receiver.count;
      await eventually(() => dropped.sub.receiver.count > resumed + 5, 'its packets arriving again');
    } finally {
      clearInterval(timer);
      for (const m of mics) {
        m.source.close();
        m.sub.receiver.close();
      }
      listener.close();
      for (const m of mics) m.peer.close();
    }
  });
});
