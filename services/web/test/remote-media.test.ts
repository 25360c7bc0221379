/** Which roster leaf each remote consumer may show, and the warning when the SFU mislabels media. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { FrameSender } from '@conclave/e2ee';
import type { ConsumerInfo } from '@conclave/protocol';
import type { Consumer } from 'mediasoup-client/types';
import { NEW_CONSUMER_KEY_FRAME_MS } from '../src/app/meeting/epoch-keys.ts';
import { MISLABELLED_MEDIA, RemoteMedia } from '../src/app/meeting/remote-media.ts';
import type { RosterEntry } from '../src/app/meeting/types.ts';

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
const info = (peerId: string, source: ConsumerInfo['source']) =>
  ({ peerId, source, producerPaused: false }) as ConsumerInfo;

function setup() {
  const claims: RosterEntry[] = [];
  const bound: [string, FrameSender | null][] = [];
  const keyFrames: string[] = [];
  const notices: string[] = [];
  const remote = new RemoteMedia({
    crypto: { bindReceiver: (id, s) => bound.push([id, s]), releaseReceiver: () => {} },
    requestKeyFrame: async (id) => keyFrames.push(id),
    claims: () => claims,
    ended: () => false,
    events: { changed: () => {}, notice: (t) => notices.push(t) },
  });
  return { remote, claims, bound, keyFrames, notices };
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

  it('a peer leaving takes its consumers along', () => {
    const s = setup();
    s.remote.added(consumer('c1', 'audio'), info('p1', 'mic'));
    s.remote.added(consumer('c2', 'video'), info('p1', 'camera'));
    s.remote.added(consumer('c3', 'audio'), info('p2', 'mic'));
    s.remote.peerLeft('p1');
    assert.deepEqual([...s.remote.tracks.keys()], ['c3']);
  });
});
