/**
 * Staggered loudness windows on a real worker: a microphone that keeps speaking is judged
 * loud once per window end of every observer (five a 250 ms window, so about 20 times a
 * second, where one observer says it 4 times), a silent one never, and nothing after close.
 * How soon a new speaker is heard is measured by `bench/audible.bench.ts`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SfuServer } from '../server.ts';
import { OpusSource, publishPlain } from '../testing/media.ts';
import {
  RecordingConnection,
  randomId,
  requireWorkerBin,
  startTestSfu,
  TestTokens,
} from '../testing/harness.ts';
import { Loudness } from './loudness.ts';

const tokens = new TestTokens();
let sfu: SfuServer;

before(async () => {
  requireWorkerBin();
  sfu = await startTestSfu(tokens, { workers: 1 });
});
after(async () => {
  await sfu?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('loudness', () => {
  test('five staggered windows judge a speaker about every 50 ms, a silent microphone never', async () => {
    const room = randomId();
    const mic = async (level: number) => {
      const peer = sfu.rooms.join(tokens.claims({ room }), new RecordingConnection());
      const pub = await publishPlain(peer, 'audio');
      const source = new OpusSource(pub.ip, pub.port);
      source.level = level;
      return { peer, pub, source };
    };
    const loud = await mic(20);
    const quiet = await mic(127);
    const router = (await loud.peer.room.routerOf(loud.peer)).router;
    const reports: { at: number; ids: string[] }[] = [];
    const loudness = await Loudness.create(
      router,
      { interval: 250, phases: 5, threshold: -50, maxEntries: 5 },
      (ids) => reports.push({ at: performance.now(), ids }),
    );
    await loudness.addProducer(loud.pub.producerId);
    await loudness.addProducer(quiet.pub.producerId);
    const timer = setInterval(() => {
      loud.source.sendPacket();
      quiet.source.sendPacket();
    }, 20);
    try {
      await sleep(500);
      const from = performance.now();
      await sleep(1000);
      const second = reports.filter((r) => r.at >= from && r.at < from + 1000);
      const gaps = second.slice(1).map((r, i) => Math.round(r.at - second[i]!.at));
      console.log(`${second.length} loud verdicts in one second; gaps ${gaps.join(', ')} ms`);
      assert.ok(second.length >= 14, `about 20 verdicts a second, not one observer's 4: ${second.length}`);
      assert.ok(
        second.every((r) => r.ids.length === 1 && r.ids[0] === loud.pub.producerId),
        'only the speaking microphone is loud',
      );
      assert.ok(Math.max(...gaps) < 150, `windows stay spread over the interval: ${gaps}`);
      loudness.close();
      assert.equal(loudness.closed, true);
      const count = reports.length;
      await sleep(400);
      assert.equal(reports.length, count, 'no verdict after close');
    } finally {
      clearInterval(timer);
      loud.source.close();
      quiet.source.close();
      loudness.close();
    }
  });
});
