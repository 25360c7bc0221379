import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { groupKeyOf } from '../delivery-service.ts';
import { randomId, requireRedisUrl } from '../testing/fixtures.ts';
import type { StoreLimits } from './group-state-store.ts';
import { RedisGroupStateStore, StoreContentionError } from './redis-store.ts';

const limits: StoreLimits = {
  resumeGraceMs: 10_000,
  commitDeadlineMs: 1000,
  maxCommitBatch: 50,
  replayEvents: 100,
  stateTtlMs: 60_000,
  maxPendingKeyPackages: 50,
  maxGroupMembers: 100,
};

describe('Redis store under contention (two instances)', () => {
  const url = requireRedisUrl();
  const one = new RedisGroupStateStore(url, limits);
  const two = new RedisGroupStateStore(url, limits);
  after(() => Promise.all([one.close(), two.close()]));

  it('concurrent writes from two instances are each applied once, in one sequence', async () => {
    const key = groupKeyOf(randomId());
    const now = Date.now();
    await one.join(key, { member: 'a', connection: 'c', sid: 's', role: 'host', secretHash: 'h' }, now);
    const sent = Array.from({ length: 40 }, (_, i) => `m${i}`);
    const results = await Promise.all(
      sent.map((data, i) => (i % 2 ? one : two).appendApplication(key, 'a', 0, data)),
    );
    const seqs = results.map((r) => (r.ok ? r.seq : -1)).sort((x, y) => x - y);
    assert.deepEqual(
      seqs,
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const log = await two.readLog(key, 0);
    assert.deepEqual(
      log?.map((e) => e.seq),
      seqs,
    );
    assert.deepEqual(new Set(log?.map((e) => (e.type === 'app' ? e.data : ''))), new Set(sent));
    // Joins racing on both instances: each gets its own committer precedence and all are kept.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? one : two).join(
          key,
          { member: `j${i}`, connection: `c${i}`, sid: `s${i}`, role: 'participant', secretHash: 'h' },
          now,
        ),
      ),
    );
    for (let i = 0; i < 10; i++) assert.ok(await one.canResume(key, `j${i}`, 'h'), `j${i} was kept`);
    await one.endGroup(key);
  });

  it('an instance that keeps losing the race gives up with StoreContentionError and writes nothing', async () => {
    const impatient = new RedisGroupStateStore(url, limits, { casAttempts: 1 });
    try {
      const key = groupKeyOf(randomId());
      await one.join(
        key,
        { member: 'a', connection: 'c', sid: 's', role: 'host', secretHash: 'h' },
        Date.now(),
      );
      const accepted: string[] = [];
      let refused = 0;
      for (let round = 0; round < 30; round++) {
        const writes = [impatient, one].map((store, i) =>
          store.appendApplication(key, 'a', 0, `r${round}-${i}`).then(
            () => accepted.push(`r${round}-${i}`),
            (error: unknown) => {
              assert.ok(error instanceof StoreContentionError);
              assert.equal(i, 0, 'only the impatient instance gives up');
              refused += 1;
            },
          ),
        );
        await Promise.all(writes);
      }
      assert.ok(refused > 0, 'the impatient instance lost at least one race');
      const log = await one.readLog(key, 0);
      assert.deepEqual(new Set(log?.map((e) => (e.type === 'app' ? e.data : ''))), new Set(accepted));
      assert.equal(log?.length, accepted.length, 'a refused write left nothing behind');
      await one.endGroup(key);
    } finally {
      await impatient.close();
    }
  });
});
