import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@conclave/runtime';
import { loadApiConfig } from '../src/config.ts';
import {
  createMeeting,
  join,
  type Mode,
  MODES,
  type OwnStores,
  ownStores,
  randomSecret,
  startApi,
  storedKey,
  type TestApi,
} from './harness.ts';

const DAY_MS = 86_400_000;

/** The UTC day `days` from today, as PostgreSQL prints a date. */
function day(days: number): string {
  return new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);
}

async function idleUntil(t: TestApi, meetingId: string): Promise<string | null> {
  const { rows } = await t.deps.db.sql.query<{ idle_until: string | null }>(
    'SELECT idle_until::text AS idle_until FROM meetings WHERE id = $1',
    [storedKey(t, meetingId)],
  );
  assert.equal(rows.length, 1, 'the meeting exists');
  return rows[0]!.idle_until;
}

async function setIdleUntil(t: TestApi, meetingId: string, date: string | null): Promise<void> {
  await t.deps.db.sql.query('UPDATE meetings SET idle_until = $1::date WHERE id = $2', [
    date,
    storedKey(t, meetingId),
  ]);
}

/** The row's version: PostgreSQL gives every written row a new xmin, so an unchanged one means no write. */
async function rowVersion(t: TestApi, meetingId: string): Promise<string> {
  const { rows } = await t.deps.db.sql.query<{ v: string }>(
    'SELECT xmin::text AS v FROM meetings WHERE id = $1',
    [storedKey(t, meetingId)],
  );
  return rows[0]!.v;
}

async function exists(t: TestApi, meetingId: string): Promise<boolean> {
  const res = await t.request({ method: 'GET', url: `/v1/meetings/${meetingId}` });
  return res.statusCode === 200;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tokenRoom(token: string): { room: string; grp: string } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
}

/**
 * The suite's API, on a database and Redis index of its own: start-up passes and the cap look at
 * every row, so no other test file may share them.
 */
function suiteApi(mode: Mode, env: Record<string, string>): () => TestApi {
  let t: TestApi | undefined;
  let stores: OwnStores | undefined;
  before(async () => {
    stores = await ownStores(mode);
    t = await startApi(mode, { ...env, ...stores.env });
  });
  after(async () => {
    await t?.close();
    await stores?.release();
  });
  return () => {
    if (!t) throw new Error('the API did not start');
    return t;
  };
}

for (const mode of MODES) {
  describe(`unused permanent rooms expire (${mode} stores)`, () => {
    const api = suiteApi(mode, { CONCLAVE_PERMANENT_ROOM_IDLE_DAYS: '90' });

    it('a permanent room gets a day-granular idle date; a one-off meeting none, and GET does not show it', async () => {
      const t = api();
      const room = await createMeeting(t, { permanent: true });
      assert.equal(await idleUntil(t, room.meetingId), day(90));
      const oneOff = await createMeeting(t);
      await join(t, oneOff.meetingId, oneOff.password);
      assert.equal(await idleUntil(t, oneOff.meetingId), null);
      const { rows } = await t.deps.db.sql.query<{ data_type: string }>(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'meetings' AND column_name = 'idle_until'",
      );
      assert.deepEqual(rows, [{ data_type: 'date' }], 'a date: no time of day is kept');
      const info = await t.request({ method: 'GET', url: `/v1/meetings/${room.meetingId}` });
      assert.deepEqual(Object.keys(info.json()).sort(), [
        'expiresAt',
        'locked',
        'meetingId',
        'permanent',
        'startsAt',
      ]);
      assert.equal(info.body.includes(day(90)), false);
    });

    it('a join pushes the idle date forward, writing the row at most once per day', async () => {
      const t = api();
      const room = await createMeeting(t, { permanent: true });
      await setIdleUntil(t, room.meetingId, day(10));
      // The queue must not learn of joins: a job record would carry the time it was made.
      const scheduled: string[] = [];
      const schedule = t.deps.jobs.schedule.bind(t.deps.jobs);
      t.deps.jobs.schedule = async (kind, ...rest) => {
        scheduled.push(kind);
        return schedule(kind, ...rest);
      };
      try {
        assert.equal((await join(t, room.meetingId, room.password)).verify?.statusCode, 200);
      } finally {
        t.deps.jobs.schedule = schedule;
      }
      assert.deepEqual(scheduled, [], 'a join schedules no job');
      assert.equal(await idleUntil(t, room.meetingId), day(90));
      // The same day again: the date is current, nothing is written.
      const written = await rowVersion(t, room.meetingId);
      assert.equal((await join(t, room.meetingId, room.password)).verify?.statusCode, 200);
      assert.equal(await rowVersion(t, room.meetingId), written, 'a second join the same day writes nothing');
      // A date only one day short is left alone too (the room still lives IDLE_DAYS after a join).
      await setIdleUntil(t, room.meetingId, day(89));
      const shortByOne = await rowVersion(t, room.meetingId);
      assert.equal((await join(t, room.meetingId, room.password)).verify?.statusCode, 200);
      assert.equal(await idleUntil(t, room.meetingId), day(89));
      assert.equal(await rowVersion(t, room.meetingId), shortByOne);
      // A failed proof is no use of the room.
      await setIdleUntil(t, room.meetingId, day(10));
      assert.equal((await join(t, room.meetingId, randomSecret())).verify?.statusCode, 401);
      assert.equal(await idleUntil(t, room.meetingId), day(10));
    });

    it('a permanent room not joined for IDLE_DAYS is removed by the daily job and its call ended', async () => {
      const t = api();
      const idle = await createMeeting(t, { permanent: true });
      const token = (await join(t, idle.meetingId, idle.password)).verify!.json().token as string;
      const { room, grp } = tokenRoom(token);
      const lastDay = await createMeeting(t, { permanent: true });
      // As if 91 days had passed since the last join, and 90 for the other room.
      await setIdleUntil(t, idle.meetingId, day(-1));
      await setIdleUntil(t, lastDay.meetingId, day(0));
      // Run the daily job now rather than at the next midnight (UTC).
      await t.deps.jobs.schedule('meeting.idle-sweep', `test-${randomSecret()}`, new Date(), {});
      await until(async () => !(await exists(t, idle.meetingId)), 10_000);
      assert.ok(t.busEvents.some((e) => e.type === 'room.ended' && e.room === room && e.grp === grp));
      assert.equal(await exists(t, lastDay.meetingId), true, 'a room on its last day stays');
    });

    it('at start-up, idle rooms are removed and every permanent room gets a date within IDLE_DAYS', async () => {
      const t = api();
      const idle = await createMeeting(t, { permanent: true });
      const undated = await createMeeting(t, { permanent: true });
      const far = await createMeeting(t, { permanent: true });
      await setIdleUntil(t, idle.meetingId, day(-3));
      // As left by the migration, and by a larger IDLE_DAYS before this start.
      await setIdleUntil(t, undated.meetingId, null);
      await setIdleUntil(t, far.meetingId, day(400));
      await t.api.lifecycle.reconcile();
      assert.equal(await exists(t, idle.meetingId), false);
      assert.equal(await idleUntil(t, undated.meetingId), day(90));
      assert.equal(await idleUntil(t, far.meetingId), day(90));
    });
  });

  describe(`CONCLAVE_PERMANENT_ROOM_IDLE_DAYS=0 (${mode} stores)`, () => {
    const api = suiteApi(mode, { CONCLAVE_PERMANENT_ROOM_IDLE_DAYS: '0' });

    it('keeps permanent rooms forever and keeps no idle date at all', async () => {
      const t = api();
      const room = await createMeeting(t, { permanent: true });
      assert.equal((await join(t, room.meetingId, room.password)).verify?.statusCode, 200);
      assert.equal(await idleUntil(t, room.meetingId), null);
      // A date left from when the setting was on is forgotten at start, not acted on.
      await setIdleUntil(t, room.meetingId, day(-30));
      await t.api.lifecycle.reconcile();
      await t.deps.jobs.schedule('meeting.idle-sweep', `test-${randomSecret()}`, new Date(), {});
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await exists(t, room.meetingId), true);
      assert.equal(await idleUntil(t, room.meetingId), null);
    });
  });

  describe(`CONCLAVE_MAX_PERMANENT_ROOMS (${mode} stores)`, () => {
    const api = suiteApi(mode, { CONCLAVE_MAX_PERMANENT_ROOMS: '2' });

    it('refuses a permanent room beyond the cap with permanent_room_limit (503); one-off meetings still work', async () => {
      const t = api();
      await createMeeting(t, { permanent: true });
      const second = await createMeeting(t, { permanent: true });
      const refused = await t.request({
        method: 'POST',
        url: '/v1/meetings',
        payload: { hostSecret: randomSecret(), permanent: true },
      });
      assert.equal(refused.statusCode, 503, refused.body);
      assert.equal(refused.json().error, 'permanent_room_limit');
      await createMeeting(t);
      // Rotating replaces a room, so it is allowed at the cap.
      const rotatedSecret = randomSecret();
      const rotated = await t.request({
        method: 'POST',
        url: `/v1/meetings/${second.meetingId}/rotate`,
        headers: { authorization: `Bearer ${second.hostSecret}` },
        payload: { hostSecret: rotatedSecret },
      });
      assert.equal(rotated.statusCode, 201, rotated.body);
      // Deleting one makes room for another.
      const deleted = await t.request({
        method: 'DELETE',
        url: `/v1/meetings/${rotated.json().meetingId}`,
        headers: { authorization: `Bearer ${rotatedSecret}` },
      });
      assert.equal(deleted.statusCode, 204, deleted.body);
      await createMeeting(t, { permanent: true });
      const doc = (await t.request({ method: 'GET', url: '/v1/openapi.json' })).json();
      assert.ok(doc.paths['/v1/meetings'].post.responses['503'], 'the OpenAPI document lists the 503');
    });
  });
}

describe('permanent-room settings are validated at start', () => {
  it('defaults: rooms idle out after 90 days, at most 100000 of them', () => {
    const config = loadApiConfig({}) as Record<string, unknown>;
    assert.equal(config.CONCLAVE_PERMANENT_ROOM_IDLE_DAYS, 90);
    assert.equal(config.CONCLAVE_MAX_PERMANENT_ROOMS, 100000);
  });

  it('refuses values that are not whole numbers in range', () => {
    for (const [name, bad] of [
      ['CONCLAVE_PERMANENT_ROOM_IDLE_DAYS', '-1'],
      ['CONCLAVE_PERMANENT_ROOM_IDLE_DAYS', '1.5'],
      ['CONCLAVE_PERMANENT_ROOM_IDLE_DAYS', 'ninety'],
      ['CONCLAVE_PERMANENT_ROOM_IDLE_DAYS', '3651'],
      ['CONCLAVE_MAX_PERMANENT_ROOMS', '-5'],
      ['CONCLAVE_MAX_PERMANENT_ROOMS', 'many'],
    ] as const) {
      assert.throws(
        () => loadApiConfig({ [name]: bad }),
        (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith(name)),
        `${name}=${bad}`,
      );
    }
  });
});
