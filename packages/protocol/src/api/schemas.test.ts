import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from 'typebox/value';
import { JoinTokenClaims } from '../join-token.ts';
import { API_ERRORS } from './errors.ts';
import { JoinGranted, JoinInitBody, JoinProofBody } from './join.ts';
import { KnockProofBody, LobbyWaitBody, SealedName } from './lobby.ts';
import { CreateMeetingBody, MeetingId } from './meetings.ts';

describe('API schemas', () => {
  it('meeting IDs are 10 Crockford base32 characters without I, L, O or U', () => {
    assert.equal(Value.Check(MeetingId, '0123456789'), true);
    assert.equal(Value.Check(MeetingId, 'ABCDEFGHJK'), true);
    for (const bad of ['ABCDEFGHJ', 'ABCDEFGHJKM', 'ABCDEFGHIK', 'abcdefghjk', 'ABCDEFGHUK', 'ABCDEFGHLK']) {
      assert.equal(Value.Check(MeetingId, bad), false, bad);
    }
  });

  it('creation bodies take a 22-character base64url host secret and nothing else', () => {
    assert.equal(Value.Check(CreateMeetingBody, { hostSecret: 'A'.repeat(22) }), true);
    assert.equal(Value.Check(CreateMeetingBody, { hostSecret: 'A'.repeat(21) }), false);
    assert.equal(Value.Check(CreateMeetingBody, { hostSecret: 'A'.repeat(22), name: 'x' }), false);
  });

  it('SRP proofs are bounded hex', () => {
    assert.equal(Value.Check(JoinProofBody, { state: 's', A: 'ab', M1: 'cd' }), true);
    assert.equal(Value.Check(JoinProofBody, { state: 's', A: 'xyz', M1: 'cd' }), false);
    assert.equal(Value.Check(JoinProofBody, { state: 's', A: 'a'.repeat(513), M1: 'cd' }), false);
  });

  it('sealed names are bounded base64url; a knock proof needs one', () => {
    assert.equal(Value.Check(SealedName, 'a'.repeat(400)), true);
    assert.equal(Value.Check(SealedName, 'a'.repeat(401)), false);
    assert.equal(Value.Check(SealedName, 'Alice Smith'), false, 'a name in clear is not a sealed name');
    assert.equal(Value.Check(KnockProofBody, { state: 's', A: 'ab', M1: 'cd' }), false);
    assert.equal(Value.Check(KnockProofBody, { state: 's', A: 'ab', M1: 'cd', sealedName: 'abc' }), true);
  });

  it('lobby waits list at most 20 seen knocks and wait at most 25 s', () => {
    const id = 'A'.repeat(22);
    assert.equal(Value.Check(LobbyWaitBody, { seen: [id], waitSeconds: 25 }), true);
    assert.equal(Value.Check(LobbyWaitBody, { waitSeconds: 26 }), false);
    assert.equal(Value.Check(LobbyWaitBody, { seen: Array(21).fill(id) }), false);
  });

  it('join/init takes only the host secret or a rejoin secret; grants may carry a rejoin secret', () => {
    assert.equal(Value.Check(JoinInitBody, {}), true);
    assert.equal(Value.Check(JoinInitBody, { rejoin: 'A'.repeat(22) }), true);
    assert.equal(Value.Check(JoinInitBody, { name: 'x' }), false);
    const granted = {
      M2: 'ab',
      token: 't',
      role: 'participant',
      sfuUrl: 's',
      dsUrl: 'd',
      expiresAt: new Date().toISOString(),
    };
    assert.equal(Value.Check(JoinGranted, { ...granted, rejoin: 'A'.repeat(22) }), true);
    assert.equal(Value.Check(JoinGranted, { ...granted, rejoin: 'short' }), false);
  });

  it('join token claims refuse unknown fields and roles', () => {
    const claims = {
      v: 1,
      sid: 's'.repeat(22),
      room: 'r'.repeat(22),
      grp: 'g'.repeat(22),
      role: 'host',
      sfu: 'x',
      ds: 'y',
      iat: 1,
      exp: 2,
    };
    assert.equal(Value.Check(JoinTokenClaims, claims), true);
    assert.equal(Value.Check(JoinTokenClaims, { ...claims, role: 'admin' }), false);
    assert.equal(Value.Check(JoinTokenClaims, { ...claims, name: 'Alice' }), false);
  });

  it('every API error code maps to a 4xx or 5xx status', () => {
    for (const [code, status] of Object.entries(API_ERRORS)) assert.ok(status >= 400 && status < 600, code);
  });
});
