import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LocalJobScheduler } from '@conclave/runtime';
import { Redis } from 'ioredis';
import { createMeeting, join, MODES, randomSecret, startApi, storedKey, type TestApi } from './harness.ts';

/** Every Redis key with its value (or stream entries) rendered as text. */
async function dumpRedis(url: string): Promise<string> {
  const redis = new Redis(url);
  try {
    const parts: string[] = [];
    for (const key of await redis.keys('*')) {
      const type = await redis.type(key);
      let value: unknown = '';
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, '0', '-1');
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      parts.push(`${key} ${JSON.stringify(value)}`);
    }
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const mode of MODES) {
  describe(`scheduled expiry (${mode} stores)`, () => {
    let t: TestApi;
    before(async () => {
      // The end is announced again a second later (CONCLAVE_END_REPEAT_SECONDS); that job must go too.
      // Embedded: no daily idle-room check, the one standing job (idle-rooms.test.ts), so the job
      // count below is exact. Distributed mode keeps the default: its database is shared.
      t = await startApi(mode, {
        CONCLAVE_END_REPEAT_SECONDS: '1',
        ...(mode === 'embedded' ? { CONCLAVE_PERMANENT_ROOM_IDLE_DAYS: '0' } : {}),
      });
    });
    after(() => t?.close());

    it('the expiry job removes the meeting, ends its call, and leaves no job record', async () => {
      const expiresAt = new Date(Date.now() + 4000).toISOString();
      const m = await createMeeting(t, { expiresAt });
      assert.equal((await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` })).statusCode, 200);
      const token = (await join(t, m.meetingId, m.password)).verify!.json().token as string;
      const room = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
        room: string;
        grp: string;
      };
      await until(
        async () =>
          (await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` })).statusCode === 404,
        10_000,
      );
      await until(async () => t.busEvents.some((e) => e.type === 'room.ended' && e.grp === room.grp), 2000);
      await until(
        async () => t.busEvents.filter((e) => e.type === 'room.ended' && e.grp === room.grp).length === 2,
        5000,
      );
      if (mode === 'embedded') {
        assert.ok(t.deps.jobs instanceof LocalJobScheduler);
        const jobs = t.deps.jobs;
        await until(async () => jobs.size === 0, 2000).catch(() => {});
        assert.equal(jobs.size, 0, 'no job may remain in memory');
      } else {
        // Give BullMQ a moment to remove the completed job and trim its events stream.
        const gone = async () => {
          const dump = await dumpRedis(process.env.REDIS_URL!);
          return !dump.includes(m.meetingId) && !dump.includes(room.grp) && !dump.includes(room.room);
        };
        await until(gone, 5000).catch(() => {});
        assert.ok(await gone(), 'no key, job or stream entry names the meeting or its room and group');
      }
    });

    it('a meeting whose host never registers a verifier is discarded at the deadline', async () => {
      const created = await t.request({
        method: 'POST',
        url: '/v1/meetings',
        payload: { hostSecret: randomSecret() },
      });
      const { meetingId, verifierDeadline } = created.json();
      const deadline = new Date(verifierDeadline).getTime();
      assert.ok(deadline > Date.now() + 9 * 60_000 && deadline <= Date.now() + 10 * 60_000);
      // Pull the deadline in, as if ten minutes had passed, and re-arm from the database.
      await t.deps.db.sql.query('UPDATE meetings SET verifier_deadline = $1 WHERE id = $2', [
        new Date(Date.now() + 300),
        storedKey(t, meetingId),
      ]);
      await t.api.lifecycle.reconcile();
      await until(
        async () => (await t.request({ method: 'GET', url: `/v1/meetings/${meetingId}` })).statusCode === 404,
        10_000,
      );
    });

    it('jobs are re-armed from the database after a restart', async () => {
      const m = await createMeeting(t, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
      await t.deps.db.sql.query('UPDATE meetings SET expires_at = $1 WHERE id = $2', [
        new Date(Date.now() - 1000),
        storedKey(t, m.meetingId),
      ]);
      const rearmed = await t.api.lifecycle.reconcile();
      assert.ok(rearmed >= 1);
      await until(
        async () =>
          (await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` })).statusCode === 404,
        10_000,
      );
    });

    it('a one-off meeting without an expiry gets the default lifetime; a permanent room none', async () => {
      const m = await createMeeting(t);
      const info = (await t.request({ method: 'GET', url: `/v1/meetings/${m.meetingId}` })).json();
      const hours = (new Date(info.expiresAt).getTime() - Date.now()) / 3600_000;
      assert.ok(hours > 23.9 && hours <= 24);
      const p = await createMeeting(t, { permanent: true });
      assert.equal(
        (await t.request({ method: 'GET', url: `/v1/meetings/${p.meetingId}` })).json().expiresAt,
        null,
      );
    });
  });
}
