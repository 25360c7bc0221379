/**
 * Connection quality from successive getStats() reports, shaped like Chromium's and Firefox's
 * (support/stats-reports.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assess,
  QualityTracker,
  readSample,
  type StatsLike,
  worst,
} from '../src/app/meeting/connection-quality.ts';
import {
  chromiumCameraSender,
  chromiumReceiver,
  firefoxMicSender,
  firefoxReceiver,
  report,
  T0,
} from './support/stats-reports.ts';

/** The level of the interval between two reports. */
function interval(
  first: StatsLike,
  second: StatsLike,
  direction: 'in' | 'out',
  kind: 'audio' | 'video',
  paused = false,
) {
  const tracker = new QualityTracker();
  tracker.update('s', direction, kind, first, false);
  return tracker.update('s', direction, kind, second, paused);
}

describe('connection quality', () => {
  it('reads the real Chromium records: the selected pair’s round trip, packets, frames', () => {
    const s = readSample(chromiumReceiver('video', { at: 0, received: 264, frames: 67 }), 'in', 'video');
    assert.deepEqual(s, {
      kind: 'video',
      direction: 'in',
      at: T0,
      packets: 264,
      lost: 0,
      fractionLost: undefined,
      rtt: 0.003,
      jitter: 0.034,
      frames: 67,
      fps: 11,
    });
    const out = readSample(chromiumCameraSender(0, [322, 265, 506]), 'out', 'video');
    assert.equal(out?.packets, 322 + 265 + 506, 'simulcast layers are summed');
    assert.equal(out?.fractionLost, 0);
  });

  it('good: received audio and video, and a sent camera, without loss on a short round trip', () => {
    const audio = interval(
      chromiumReceiver('audio', { at: 0, received: 257 }),
      chromiumReceiver('audio', { at: 1192, received: 316 }),
      'in',
      'audio',
    );
    assert.equal(audio, 'good');
    const video = interval(
      chromiumReceiver('video', { at: 0, received: 264, frames: 67 }),
      chromiumReceiver('video', { at: 1192, received: 316, frames: 78 }),
      'in',
      'video',
    );
    assert.equal(video, 'good');
    const sent = interval(
      chromiumCameraSender(0, [322, 265, 506]),
      chromiumCameraSender(1187, [382, 316, 600]),
      'out',
      'video',
    );
    assert.equal(sent, 'good');
  });

  it('fair: 4 % loss, a 400 ms round trip, or a picture decoding 2 frames a second', () => {
    const lossy = interval(
      chromiumReceiver('audio', { at: 0, received: 1000, lost: 10 }),
      chromiumReceiver('audio', { at: 1000, received: 1048, lost: 12 }),
      'in',
      'audio',
    );
    assert.equal(lossy, 'fair', '2 of 50 packets lost');
    const slow = interval(
      chromiumReceiver('audio', { at: 0, received: 1000, rtt: 0.4 }),
      chromiumReceiver('audio', { at: 1000, received: 1050, rtt: 0.4 }),
      'in',
      'audio',
    );
    assert.equal(slow, 'fair');
    const stutter = interval(
      chromiumReceiver('video', { at: 0, received: 1000, frames: 300 }),
      chromiumReceiver('video', { at: 1000, received: 1040, frames: 302 }),
      'in',
      'video',
    );
    assert.equal(stutter, 'fair');
    const sentLossy = interval(
      chromiumCameraSender(0, [322, 265, 506]),
      chromiumCameraSender(1000, [382, 316, 600], 0.05),
      'out',
      'video',
    );
    assert.equal(sentLossy, 'fair', 'the SFU reports 5 % lost');
  });

  it('poor: 10 % loss, a 700 ms round trip, audio jitter of 150 ms, or a stream that stopped', () => {
    const lossy = interval(
      chromiumReceiver('video', { at: 0, received: 1000, frames: 300 }),
      chromiumReceiver('video', { at: 1000, received: 1090, lost: 10, frames: 320 }),
      'in',
      'video',
    );
    assert.equal(lossy, 'poor');
    const slow = interval(
      chromiumReceiver('audio', { at: 0, received: 1000, rtt: 0.7 }),
      chromiumReceiver('audio', { at: 1000, received: 1050, rtt: 0.7 }),
      'in',
      'audio',
    );
    assert.equal(slow, 'poor');
    const jittery = interval(
      chromiumReceiver('audio', { at: 0, received: 1000 }),
      chromiumReceiver('audio', { at: 1000, received: 1050, jitter: 0.15 }),
      'in',
      'audio',
    );
    assert.equal(jittery, 'poor');
    const stopped = interval(
      chromiumReceiver('video', { at: 0, received: 1000, frames: 300 }),
      chromiumReceiver('video', { at: 1000, received: 1000, frames: 300 }),
      'in',
      'video',
    );
    assert.equal(stopped, 'poor', 'nothing arrived on a camera that is not paused');
    const sentLossy = interval(
      chromiumCameraSender(0, [322, 265, 506]),
      chromiumCameraSender(1000, [382, 316, 600], 0.12),
      'out',
      'video',
    );
    assert.equal(sentLossy, 'poor');
  });

  it('loss counts over the last intervals only: heavy loss long ago and none since is good', () => {
    const tracker = new QualityTracker();
    const at = (ms: number, received: number, lost: number) =>
      tracker.update('mic', 'in', 'audio', chromiumReceiver('audio', { at: ms, received, lost }), false);
    at(0, 100, 0);
    assert.equal(at(1000, 150, 100), 'poor', '100 of 150 lost');
    assert.equal(at(2000, 200, 100), 'poor', 'still within the window');
    at(3000, 250, 100);
    // 100 lost of 400 since the start is 25 %; over the last QUALITY_WINDOW intervals, none.
    assert.equal(at(4000, 300, 100), 'good');
    assert.equal(at(5000, 350, 100), 'good');
    assert.equal(tracker.level('mic'), 'good');
  });

  it('one second with nothing read on a busy computer is not poor; a longer stop is', () => {
    const tracker = new QualityTracker();
    const at = (ms: number, received: number, frames: number) =>
      tracker.update('cam', 'in', 'video', chromiumReceiver('video', { at: ms, received, frames }), false);
    at(0, 1000, 300);
    at(1000, 1050, 320);
    at(2000, 1100, 340);
    assert.equal(at(3000, 1100, 340), 'good', 'a second without packets within three');
    at(4000, 1100, 340);
    assert.equal(at(5000, 1100, 340), 'poor', 'three seconds without packets');
  });

  it('a paused stream is unknown, not poor; after resuming it is measured afresh', () => {
    const tracker = new QualityTracker();
    const cam = (ms: number, received: number, frames: number) =>
      chromiumReceiver('video', { at: ms, received, frames });
    tracker.update('cam', 'in', 'video', cam(0, 1000, 300), false);
    assert.equal(tracker.update('cam', 'in', 'video', cam(1000, 1000, 300), true), 'unknown');
    assert.equal(tracker.update('cam', 'in', 'video', undefined, true), 'unknown');
    // Resumed: the first report has no interval yet; the next is measured from it.
    assert.equal(tracker.update('cam', 'in', 'video', cam(5000, 1010, 302), false), 'unknown');
    assert.equal(tracker.update('cam', 'in', 'video', cam(6000, 1060, 320), false), 'good');
    assert.equal(assess(undefined, readSample(cam(0, 1, 0), 'in', 'video')!, false), 'unknown', 'one report');
  });

  it('a stream that has not started yet is unknown, not poor', () => {
    const quiet = interval(
      chromiumReceiver('video', { at: 0, received: 0, frames: 0 }),
      chromiumReceiver('video', { at: 1000, received: 0, frames: 0 }),
      'in',
      'video',
    );
    assert.equal(quiet, 'unknown');
    const noKeyYet = interval(
      chromiumReceiver('video', { at: 0, received: 10, frames: 0 }),
      chromiumReceiver('video', { at: 1000, received: 60, frames: 0 }),
      'in',
      'video',
    );
    assert.equal(noKeyYet, 'good', 'frames wait for the key to decrypt: that is not the network');
  });

  it('missing figures make it unknown, never good', () => {
    const noRtt = interval(
      firefoxReceiver({ at: 0, received: 1000, frames: 300, older: true }),
      firefoxReceiver({ at: 1000, received: 1050, frames: 324, older: true }),
      'in',
      'video',
    );
    assert.equal(noRtt, 'unknown', 'an older Firefox’s receivers give no round trip');
    const noCounters = interval(
      report({ id: 'x', type: 'inbound-rtp', timestamp: T0, kind: 'audio' }),
      report({ id: 'x', type: 'inbound-rtp', timestamp: T0 + 1000, kind: 'audio' }),
      'in',
      'audio',
    );
    assert.equal(noCounters, 'unknown');
    assert.equal(interval(report(), report(), 'in', 'audio'), 'unknown', 'no RTP record at all');
    const noReports = interval(
      firefoxMicSender(0, 1000, 0),
      report({ id: 'o', type: 'outbound-rtp', timestamp: T0 + 1000, kind: 'audio', packetsSent: 1050 }),
      'out',
      'audio',
    );
    assert.equal(noReports, 'unknown', 'no receiver report from the SFU yet');
    const stillPoor = interval(
      firefoxReceiver({ at: 0, received: 1000, older: true }),
      firefoxReceiver({ at: 1000, received: 1040, lost: 20, older: true }),
      'in',
      'video',
    );
    assert.equal(stillPoor, 'poor', 'a third lost is poor whatever the round trip');
  });

  it('Firefox: the selected pair’s round trip, frame counts or framesPerSecond, the SFU’s reports', () => {
    const s = readSample(firefoxReceiver({ at: 0, received: 823, frames: 172 }), 'in', 'video');
    assert.equal(s?.rtt, 0.005, 'the pair in use, not the other nominated one');
    assert.equal(s?.fps, 10);
    const good = interval(
      firefoxReceiver({ at: 0, received: 1000, frames: 300 }),
      firefoxReceiver({ at: 1000, received: 1050, frames: 324 }),
      'in',
      'video',
    );
    assert.equal(good, 'good');
    const fpsOnly = interval(
      firefoxReceiver({ at: 0, received: 1000 }),
      firefoxReceiver({ at: 1000, received: 1050 }),
      'in',
      'video',
    );
    assert.equal(fpsOnly, 'good', 'no frame counts: the browser’s own frame rate');
    const slow = interval(
      firefoxReceiver({ at: 0, received: 1000, frames: 300, rtt: 0.45 }),
      firefoxReceiver({ at: 1000, received: 1050, frames: 324, rtt: 0.45 }),
      'in',
      'video',
    );
    assert.equal(slow, 'fair');
    const lossy = interval(
      firefoxMicSender(0, 1000, 0, { rtt: 0.012 }),
      firefoxMicSender(1000, 1050, 6, { rtt: 0.012, fractionLost: 0.12 }),
      'out',
      'audio',
    );
    assert.equal(lossy, 'poor', 'the SFU reports 12 % lost');
  });

  it('an older Firefox: the send side’s round trip stands in, the SFU’s count gives the loss', () => {
    const sending = new QualityTracker();
    const older = { rtt: 0.04, older: true };
    sending.update('mic', 'out', 'audio', firefoxMicSender(0, 1000, 5, older), false);
    assert.equal(
      sending.update('mic', 'out', 'audio', firefoxMicSender(1000, 1050, 5, older), false),
      'good',
    );
    assert.equal(sending.rtt, 0.04);
    const receiving = new QualityTracker(() => sending.rtt);
    const cam = (at: number, received: number, frames: number) =>
      firefoxReceiver({ at, received, frames, older: true });
    receiving.update('cam', 'in', 'video', cam(0, 1000, 300), false);
    assert.equal(receiving.update('cam', 'in', 'video', cam(1000, 1050, 324), false), 'good');
    // No fractionLost: the SFU's cumulative count, over the window (10 more of 100 sent: 10 %).
    assert.equal(
      sending.update('mic', 'out', 'audio', firefoxMicSender(2000, 1100, 15, older), false),
      'poor',
    );
  });

  it('a person’s level is the worst that can be told', () => {
    assert.equal(worst(['good', 'unknown', 'fair']), 'fair');
    assert.equal(worst(['unknown', 'poor', 'good']), 'poor');
    assert.equal(worst(['unknown', 'good']), 'good', 'a paused camera does not hide the microphone’s level');
    assert.equal(worst(['unknown']), 'unknown');
    assert.equal(worst([]), 'unknown');
  });

  it('forgets streams that are gone', () => {
    const tracker = new QualityTracker();
    tracker.update('a', 'in', 'audio', chromiumReceiver('audio', { at: 0, received: 10 }), false);
    tracker.update('a', 'in', 'audio', chromiumReceiver('audio', { at: 1000, received: 60 }), false);
    assert.equal(tracker.level('a'), 'good');
    tracker.retain(new Set());
    assert.equal(tracker.level('a'), 'unknown');
  });
});
