// A permanent room on a running deployment, made and joined the way the web client does it
// (SRP-6a, docs/api.md), for the operations checks of deploy/stack/operations.sh.
//
//   node deploy/stack/room.mjs create --api URL --file room.json   a permanent room + verifier
//   node deploy/stack/room.mjs join   --api URL --file room.json   a full SRP join; exit 0 if
//                                      the server proves the password too and hands out a token
// The file holds the room's secrets (meeting ID, password-derived SRP secret, host secret).
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { clientProof, makeVerifier, srpSecret } from '../loadtest/srp.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { api: { type: 'string' }, file: { type: 'string' } },
});
const [command] = positionals;
if (!['create', 'join'].includes(command) || !values.api || !values.file) {
  console.error('usage: room.mjs create|join --api URL --file FILE');
  process.exit(2);
}
const api = values.api.replace(/\/$/, '');

async function call(method, path, body, headers = {}) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function expect(what, res, status) {
  if (res.status !== status) {
    console.error(`room: ${what} answered ${res.status} ${JSON.stringify(res.body)}`);
    process.exit(1);
  }
  return res.body;
}

if (command === 'create') {
  const hostSecret = randomBytes(16).toString('base64url');
  const password = randomBytes(16).toString('base64url');
  const { meetingId } = expect(
    'create',
    await call('POST', '/v1/meetings', { hostSecret, permanent: true }),
    201,
  );
  const secret = srpSecret(password, meetingId);
  expect(
    'verifier',
    await call('PUT', `/v1/meetings/${meetingId}/verifier`, makeVerifier(secret), {
      authorization: `Bearer ${hostSecret}`,
    }),
    204,
  );
  writeFileSync(values.file, JSON.stringify({ meetingId, password, hostSecret }), { mode: 0o600 });
  console.log(`room: created permanent room ${meetingId.slice(0, 4)}…`);
} else {
  const room = JSON.parse(readFileSync(values.file, 'utf8'));
  const secret = srpSecret(room.password, room.meetingId);
  const facts = expect('meeting facts', await call('GET', `/v1/meetings/${room.meetingId}`), 200);
  if (!facts.permanent) {
    console.error('room: the meeting is no longer permanent');
    process.exit(1);
  }
  const init = expect('join/init', await call('POST', `/v1/meetings/${room.meetingId}/join/init`), 200);
  const proof = clientProof(secret, init);
  const verified = expect(
    'join/verify',
    await call('POST', `/v1/meetings/${room.meetingId}/join/verify`, {
      state: init.state,
      A: proof.A,
      M1: proof.M1,
      hostSecret: room.hostSecret,
    }),
    200,
  );
  if (!proof.verify(verified.M2) || typeof verified.token !== 'string') {
    console.error('room: the server did not prove the password');
    process.exit(1);
  }
  console.log(`room: joined as ${verified.role}`);
}
