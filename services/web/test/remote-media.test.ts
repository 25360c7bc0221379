/** Which roster leaf each remote consumer may show, and the warning when the SFU mislabels media. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { FrameSender } from '@conclave/e2ee';
import type { ConsumerInfo } from '@conclave/protocol';
import type { Consumer } from 'mediasoup-client/types';
import type { StatsLike } from '../src/app/meeting/connection-quality.ts';
import { NEW_CONSUMER_KEY_FRAME_MS } from '../src/app/meeting/epoch-keys.ts';
import { MISLABELLED_MEDIA, RemoteMedia } from '../src/app/meeting/remote-media.ts';
import type { RosterEntry } from '../src/app/meeting/types.ts';
import { chromiumReceiver } from './support/stats-reports.ts';

const entry = (leaf: number, peerId: string): RosterEntry => ({
  leaf,
  name: `n${leaf}`,
  peerId,
  member: `m${leaf}`,
  hand: false,
  host: false,
});
const consumer = (id: string, kind: 'audio' | 'video') =>
  ({ id, kind, producerId: `prod-${id}`, getStats: async () => new Map() }) as unknown as Consumer;
/** A consumer whose stats reads are listed in `read`. */
const readConsumer = (id: string, kind: 'audio' | 'video', read: string[]) =>
  ({
    id,
    kind,
    producerId: `prod-${id}`,
    getStats: async () => {
      read.push(id);
      return new Map();
    },
  }) as unknown as Consumer;
const info = (peerId: string, source: ConsumerInfo['source']) =>
  ({ peerId, source, producerPaused: false }) as ConsumerInfo;

function setup() {
  const claims: RosterEntry[] = [];
  const bound: [string, FrameSender | null][] = [];
  const keyFrames: string[] = [];
  const notices: string[] = [];
  /** Video consumers the grid does not show (the SFU does not forward them). */
  const offScreen = new Set<string>();
  const remote = new RemoteMedia({
    crypto: { bindReceiver: (id, s) => bound.push([id, s]), releaseReceiver: () => {} },
    forwarding: (id) => ({ receiving: !offScreen.has(id), layer: null }),
    requestKeyFrame: async (id) => keyFrames.push(id),
    claims: () => claims,
    ended: () => false,
    events: { changed: () => {}, notice: (t) => notices.push(t) },
  });
  return { remote, claims, bound, keyFrames, notices, offScreen };
}

describe('remote media', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('a consumer shows the one leaf whose roster entry names its peer, and asks for a key frame then', () => {
    const s = setup();
    s.remote.added(consumer('c1', 'video'), info('p1', 'camera'));
    assert.deepEqual(s.bound, [['c1', null]], 'nobody claims p1 yet: bound to no one, nothing decrypts');
    s.claims.push(entry(1, 'p1'));
    s.remote.bind();
    assert.deepEqual(s.bound.at(-1), ['c1', { leafIndex: 1, context: 'camera' }]);
    assert.deepEqual(s.keyFrames, ['c1']);
    assert.equal(s.remote.tracks.get('c1')?.leaf, 1);
    s.remote.bind();
    assert.equal(s.bound.length, 2, 'an unchanged binding is not sent again');
    s.claims.push(entry(2, 'p1'));
    s.remote.bind();
    assert.deepEqual(s.bound.at(-1), ['c1', null], 'two leaves naming one peer: neither is shown');
    mock.timers.tick(NEW_CONSUMER_KEY_FRAME_MS);
    assert.deepEqual(
      s.keyFrames,
      ['c1', 'c1'],
      'a new video consumer asks again once its sender surely switched',
    );
  });

  it('video the grid does not show asks for no key frame and is not measured', async () => {
    const s = setup();
    const read: string[] = [];
    const measured = (id: string) => readConsumer(id, 'video', read);
    s.claims.push(entry(1, 'p1'), entry(2, 'p2'));
    s.offScreen.add('off');
    s.remote.added(measured('on'), info('p1', 'camera'));
    s.remote.added(measured('off'), info('p2', 'camera'));
    assert.deepEqual(s.keyFrames, ['on'], 'the off-screen camera is bound but asks for nothing');
    s.remote.requestKeyFrames();
    assert.deepEqual(s.keyFrames, ['on', 'on']);
    await s.remote.watch();
    assert.deepEqual(read, ['on'], 'nothing arrives on the off-screen one: it is not read');
    const stats = await s.remote.stats();
    assert.deepEqual(
      stats.map((r) => [r['peerId'], r['receiving']]),
      [
        ['p1', true],
        ['p2', false],
      ],
    );
  });

  it('a microphone the SFU stops forwarding is not measured, told before or after it is added', async () => {
    const s = setup();
    const read: string[] = [];
    const measured = (id: string) => readConsumer(id, 'audio', read);
    // The SFU tells a consumer's silence before it answers the consume that makes it.
    s.remote.audible('early', false);
    s.remote.added(measured('early'), info('p1', 'mic'));
    s.remote.added(measured('later'), info('p2', 'mic'));
    s.remote.audible('later', false);
    await s.remote.watch();
    assert.deepEqual(read, [], 'silence the SFU chose is not a lost connection');
    s.remote.audible('early', true);
    await s.remote.watch();
    assert.deepEqual(read, ['early']);
  });

  it('mislabelled frames mark the consumer and warn once', () => {
    const s = setup();
    s.remote.added(consumer('c1', 'audio'), info('p1', 'mic'));
    s.remote.added(consumer('c2', 'audio'), info('p2', 'mic'));
    s.remote.wrongSender('c1');
    s.remote.wrongSender('c1');
    s.remote.wrongSender('c2');
    assert.equal(s.remote.mislabelledMedia, true);
    assert.deepEqual(s.notices, [MISLABELLED_MEDIA]);
    assert.equal(s.remote.tracks.get('c2')?.wrongSender, true);
  });

  it('a person’s quality is the worst of camera and microphone, screens aside; muted is not speaking', async () => {
    const s = setup();
    const read: string[] = [];
    /** A consumer whose getStats() gives these reports in turn, one a call. */
    const measured = (id: string, kind: 'audio' | 'video', reports: StatsLike[]) =>
      ({
        id,
        kind,
        producerId: `prod-${id}`,
        getStats: async () => {
          read.push(id);
          return reports.shift();
        },
      }) as unknown as Consumer;
    const second = (n: number, rtt = 0.003) => ({
      at: n * 1000,
      received: 100 + n * 50,
      frames: 30 + n * 20,
      rtt,
    });
    s.remote.added(
      measured(
        'mic',
        'audio',
        [0, 1, 2].map((n) => chromiumReceiver('audio', second(n))),
      ),
      info('p1', 'mic'),
    );
    s.remote.added(
      measured(
        'cam',
        'video',
        [0, 1, 2].map((n) => chromiumReceiver('video', second(n, 0.4))),
      ),
      info('p1', 'camera'),
    );
    // A screen whose packets stopped: poor, but not the person's connection.
    s.remote.added(
      measured(
        'screen',
        'video',
        [0, 1, 2].map((n) => chromiumReceiver('video', { at: n * 1000, received: 100 })),
      ),
      info('p1', 'screen'),
    );
    await s.remote.watch();
    assert.equal(s.remote.quality('p1'), 'unknown', 'one report is no interval');
    await s.remote.watch();
    assert.equal(s.remote.quality('p1'), 'fair', 'the microphone is good, the camera’s round trip fair');
    assert.equal(s.remote.quality('p2'), 'unknown', 'nobody’s media');
    assert.deepEqual(
      read,
      ['mic', 'cam', 'screen', 'mic', 'cam', 'screen'],
      'one read per consumer per round',
    );
    s.remote.speaking('p1');
    assert.equal(s.remote.isSpeaking('p1'), true);
    s.remote.producerPaused('prod-mic', true);
    assert.equal(s.remote.isSpeaking('p1'), false, 'the SFU named them last, but their microphone is paused');
    read.length = 0;
    await s.remote.watch();
    assert.deepEqual(read, ['cam', 'screen'], 'a paused consumer is not read');
    s.remote.producerPaused('prod-cam', true);
    await s.remote.watch();
    assert.equal(
      s.remote.quality('p1'),
      'unknown',
      'muted with the camera paused: nothing to measure, not poor',
    );
  });

  it('a picture that receives packets but decodes nothing asks for key frames, however slow its layer', async () => {
    const s = setup();
    s.claims.push(entry(1, 'slow'), entry(2, 'fine'));
    /** A camera whose stats give `packetsPerSecond` more packets each second, and these frames. */
    const camera = (id: string, packetsPerSecond: number, frames: (n: number) => number) => {
      let n = 0;
      return {
        id,
        kind: 'video',
        producerId: `prod-${id}`,
        getStats: async () => {
          n++;
          return chromiumReceiver('video', {
            at: n * 1000,
            received: n * packetsPerSecond,
            frames: frames(n),
          });
        },
      } as unknown as Consumer;
    };
    // 135p at a few frames a second: 7 packets a second, and its key frame was lost.
    s.remote.added(
      camera('slow', 7, () => 0),
      info('slow', 'camera'),
    );
    s.remote.added(
      camera('fine', 7, (n) => n * 5),
      info('fine', 'camera'),
    );
    s.keyFrames.length = 0;
    await s.remote.watch();
    await s.remote.watch();
    assert.deepEqual(s.keyFrames, [], 'one second of it is not a stall yet');
    await s.remote.watch();
    assert.deepEqual(s.keyFrames, ['slow'], 'two seconds without a frame: a key frame is asked for');
    await s.remote.watch();
    assert.deepEqual(s.keyFrames, ['slow', 'slow'], 'and again while it stays stalled');
  });

  it('a peer leaving takes its consumers along', () => {
    const s = setup();
    s.remote.added(consumer('c1', 'audio'), info('p1', 'mic'));
    s.remote.added(consumer('c2', 'video'), info('p1', 'camera'));
    s.remote.added(consumer('c3', 'audio'), info('p2', 'mic'));
    s.remote.peerLeft('p1');
    assert.deepEqual([...s.remote.tracks.keys()], ['c3']);
  });
});
