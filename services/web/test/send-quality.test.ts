/** This person's own sending quality, from their producers' stats (the SFU's receiver reports). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatsLike } from '../src/app/meeting/connection-quality.ts';
import { SendQuality } from '../src/app/meeting/send-quality.ts';
import { chromiumCameraSender, firefoxMicSender } from './support/stats-reports.ts';

describe('send quality', () => {
  it('the worst of microphone and camera, the screen aside; paused ones are not read', async () => {
    const read: string[] = [];
    /** A producer whose getStats() gives these reports in turn, one a call. */
    const producer = (id: string, kind: 'audio' | 'video', reports: StatsLike[]) => ({
      id,
      kind,
      paused: false,
      closed: false,
      getStats: async () => {
        read.push(id);
        return reports.shift() as RTCStatsReport;
      },
    });
    const mic = producer('mic', 'audio', [
      firefoxMicSender(0, 1000, 0, { rtt: 0.01 }),
      firefoxMicSender(1000, 1050, 0, { rtt: 0.01 }),
      firefoxMicSender(2000, 1100, 0, { rtt: 0.01 }),
    ]);
    const camera = producer('camera', 'video', [
      chromiumCameraSender(0, [300, 250, 500]),
      chromiumCameraSender(1000, [350, 300, 600], 0.05),
      chromiumCameraSender(2000, [400, 350, 700], 0.05),
    ]);
    // Its packets stopped: poor, but a shared screen is not the person's connection.
    const screen = producer(
      'screen',
      'video',
      [0, 1000, 2000].map((at) => firefoxMicSender(at, 10, 0)),
    );
    const quality = new SendQuality(
      () =>
        new Map([
          ['mic', mic],
          ['camera', camera],
          ['screen', screen],
        ]),
    );
    assert.equal(await quality.sample(), false, 'unknown until there is an interval');
    assert.equal(await quality.sample(), true);
    assert.equal(quality.level, 'fair', 'the SFU lost 5 % of the camera');
    assert.equal(quality.rtt, 0.0015, 'the latest round trip read');
    assert.deepEqual(read, ['mic', 'camera', 'mic', 'camera']);
    mic.paused = true;
    camera.closed = true;
    read.length = 0;
    await quality.sample();
    assert.deepEqual(read, []);
    assert.equal(quality.level, 'unknown', 'muted with the camera off: nothing to measure, not poor');
  });
});
