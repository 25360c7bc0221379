import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JoinTokenClaims } from '@conclave/protocol';
import { createLogger } from '@conclave/runtime';
import type { WorkerPool } from '../media/worker-pool.ts';
import { RoomDirectory } from './room-directory.ts';

/** What the directory remembers about removed sessions and ended rooms lasts as long as a join token can. */
describe('RoomDirectory memory of refusals', () => {
  const start = 1_700_000_000_000;
  let now = start;
  const directory = () =>
    new RoomDirectory({
      pool: { slots: () => [{}] } as unknown as WorkerPool,
      log: createLogger({ service: 'sfu', level: 'silent' }),
      routerMaxPeers: 100,
      roomMaxPeers: 100,
      initialOutgoingBitrate: 1_000_000,
      audibleSpeakers: 5,
      now: () => now,
    });
  const claims = (room: string, sid: string, iat = Math.floor(now / 1000)): JoinTokenClaims => ({
    v: 1,
    sid,
    room,
    grp: 'g'.repeat(16),
    role: 'participant',
    sfu: 'ws://127.0.0.1/v1/sfu',
    ds: 'ws://127.0.0.1/v1/ds',
    iat,
    exp: iat + 60,
  });
  const room = 'r'.repeat(16);
  const sid = 's'.repeat(16);

  test('a removed room/sid pair (from the bus, no token expiry known) is kept only as long as a join token lives', () => {
    now = start;
    const rooms = directory();
    rooms.removeSession(room, sid);
    now = start + 60_000;
    assert.equal(
      rooms.admit(claims(room, sid))?.code,
      'session_removed',
      'refused while a token may be valid',
    );
    now = start + 5 * 60_000;
    assert.equal(rooms.admit(claims(room, sid)), undefined, 'forgotten minutes later, not after a day');
  });

  test('a removed pair with a known token expiry is kept until then (plus clock skew)', () => {
    now = start;
    const rooms = directory();
    rooms.removeSession(room, sid, Math.floor(start / 1000) + 30);
    now = start + 30_000;
    assert.equal(rooms.admit(claims(room, sid))?.code, 'session_removed');
    now = start + 2 * 60_000;
    assert.equal(rooms.admit(claims(room, sid)), undefined);
  });

  test('an ended room refuses older tokens only as long as they can live', () => {
    now = start;
    const rooms = directory();
    rooms.endRoom(room);
    const issuedBefore = Math.floor(start / 1000) - 1;
    now = start + 30_000;
    assert.equal(rooms.admit(claims(room, sid, issuedBefore))?.code, 'session_removed');
    now = start + 5 * 60_000;
    assert.equal(rooms.admit(claims(room, sid, issuedBefore)), undefined);
  });
});
