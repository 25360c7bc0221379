import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { groupKeyOf } from '../delivery-service.ts';
import { keysContaining, randomId, requireRedisUrl } from '../testing/fixtures.ts';
import type { FeedMessage, GroupStateStore, StoreLimits } from './group-state-store.ts';
import { MemoryGroupStateStore } from './memory-store.ts';
import { RedisGroupStateStore } from './redis-store.ts';

const limits: StoreLimits = {
  resumeGraceMs: 1000,
  commitDeadlineMs: 1000,
  maxCommitBatch: 50,
  replayEvents: 8,
  stateTtlMs: 60_000,
  maxPendingKeyPackages: 3,
  maxGroupMembers: 10,
};

/** A group with a feed recorder and helpers to add sessions. */
async function openGroup(store: GroupStateStore) {
  const key = groupKeyOf(randomId());
  const feed: FeedMessage[] = [];
  const unsubscribe = await store.subscribe(key, (m) => feed.push(m));
  const join = (now = Date.now(), role: 'participant' | 'host' = 'participant') => {
    const member = randomId();
    const sid = randomId();
    return store
      .join(key, { member, connection: member, sid, role, secretHash: `h-${member}` }, now)
      .then((result) => ({ member, sid, result }));
  };
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(pred(), 'expected feed message did not arrive');
  };
  const requests = () => feed.filter((m) => m.type === 'req');
  return { key, feed, join, until, requests, unsubscribe };
}

const commit = (epoch: number, extra: Partial<Parameters<GroupStateStore['submitCommit']>[2]> = {}) => ({
  epoch,
  commit: Buffer.from(`commit-${epoch}-${Math.random()}`).toString('base64'),
  adds: [],
  removes: [],
  rejected: [],
  ...extra,
});

function conformance(
  name: string,
  make: () => GroupStateStore,
  cleanup?: (key: string) => Promise<string[]>,
) {
  describe(`${name} group state store`, () => {
    const store = make();
    after(() => store.close());

    it('the first session creates the group and the next one waits as a joiner', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      const b = await g.join();
      const leaf0 = [{ member: a.member, leaf: 0 }];
      assert.deepEqual(a.result, { ok: true, create: true, epoch: 0, seq: 0, members: leaf0 });
      // The joiner learns who is on the tree; it is not on it yet.
      assert.deepEqual(b.result, { ok: true, create: false, epoch: 0, seq: 0, members: leaf0 });
    });

    it('a published KeyPackage makes the oldest member the designated committer', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      await g.join();
      const c = await g.join();
      assert.deepEqual(await store.publishKeyPackage(g.key, c.member, 'S1A=', Date.now()), { ok: true });
      await g.until(() => g.requests().length === 1);
      const req = g.requests()[0];
      assert.ok(req?.type === 'req');
      assert.equal(req.to, a.member);
      assert.deepEqual(req.adds, [{ member: c.member, kp: 'S1A=' }]);
      assert.deepEqual(req.removes, []);
    });

    it('exactly one of many concurrent commits on an epoch is accepted; the others learn the new epoch', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      const b = await g.join();
      await store.publishKeyPackage(g.key, b.member, 'S1A=', Date.now());
      const added = await store.submitCommit(
        g.key,
        a.member,
        commit(0, { adds: [{ member: b.member, leaf: 1 }] }),
        Date.now(),
      );
      assert.deepEqual(added, { ok: true, seq: 1, epoch: 1 });
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store.submitCommit(g.key, i % 2 ? a.member : b.member, commit(1), Date.now()),
        ),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
      for (const r of results.filter((x) => !x.ok))
        assert.deepEqual(r, { ok: false, code: 'stale_epoch', epoch: 2 });
      const entries = await store.readLog(g.key, 0);
      assert.deepEqual(
        entries?.map((e) => [e.seq, e.epoch]),
        [
          [1, 0],
          [2, 1],
        ],
      );
    });

    it('a committer that stays silent past its deadline is passed over', async () => {
      const g = await openGroup(store);
      const t0 = Date.now();
      const a = await g.join(t0);
      const b = await g.join(t0);
      await store.submitCommit(g.key, a.member, commit(0, { adds: [{ member: b.member, leaf: 1 }] }), t0);
      await store.publishKeyPackage(g.key, b.member, 'S1A=', t0).catch(() => {});
      const c = await g.join(t0);
      await store.publishKeyPackage(g.key, c.member, 'S1A=', t0);
      await g.until(() => g.requests().length >= 1);
      assert.equal(g.requests().at(-1)?.type === 'req' && g.requests().at(-1)?.to, a.member);
      // Both stay connected (heartbeats) but a never commits.
      await store.maintain(g.key, [a.member, b.member, c.member], t0 + 500);
      assert.equal(g.requests().length, 1);
      await store.maintain(g.key, [a.member, b.member, c.member], t0 + 1100);
      await g.until(() => g.requests().length === 2);
      const second = g.requests()[1];
      assert.ok(second?.type === 'req');
      assert.equal(second.to, b.member);
      assert.deepEqual(
        second.adds.map((x) => x.member),
        [c.member],
      );
    });

    it('a member that leaves is handed to the committer for removal with its leaf', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      const b = await g.join();
      await store.submitCommit(
        g.key,
        a.member,
        commit(0, { adds: [{ member: b.member, leaf: 1 }] }),
        Date.now(),
      );
      assert.deepEqual(await store.leave(g.key, b.member, Date.now()), { purged: false });
      await g.until(() => g.requests().length === 1);
      const req = g.requests()[0];
      assert.ok(req?.type === 'req');
      assert.deepEqual(req.removes, [{ member: b.member, leaf: 1 }]);
      const removed = await store.submitCommit(
        g.key,
        a.member,
        commit(1, { removes: [b.member] }),
        Date.now(),
      );
      assert.equal(removed.ok, true);
    });

    it('a dropped session expires after the resume grace and is then removed', async () => {
      const g = await openGroup(store);
      const t0 = Date.now();
      const a = await g.join(t0);
      const b = await g.join(t0);
      await store.submitCommit(g.key, a.member, commit(0, { adds: [{ member: b.member, leaf: 1 }] }), t0);
      await store.disconnect(g.key, b.member, b.member, t0);
      await store.maintain(g.key, [a.member], t0 + 900);
      assert.equal(g.requests().length, 0);
      await store.maintain(g.key, [a.member], t0 + 1100);
      await g.until(() => g.requests().length === 1);
      const req = g.requests()[0];
      assert.ok(req?.type === 'req');
      assert.deepEqual(req.removes, [{ member: b.member, leaf: 1 }]);
    });

    it('a resumed session receives the events after its last sequence number', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      const b = await g.join();
      await store.submitCommit(
        g.key,
        a.member,
        commit(0, { adds: [{ member: b.member, leaf: 1 }] }),
        Date.now(),
      );
      await store.disconnect(g.key, b.member, b.member, Date.now());
      for (let i = 0; i < 3; i++) await store.appendApplication(g.key, a.member, 1, `bXNn${i}`);
      const r = await store.resume(
        g.key,
        { member: b.member, connection: 'c2', secretHash: `h-${b.member}`, afterSeq: 2 },
        Date.now(),
      );
      assert.ok(r.ok);
      assert.deepEqual(
        r.events.map((e) => e.seq),
        [3, 4],
      );
      assert.equal(r.joined, true);
      const wrongSecret = await store.resume(
        g.key,
        { member: b.member, connection: 'c3', secretHash: 'nope', afterSeq: 2 },
        Date.now(),
      );
      assert.deepEqual(wrongSecret, { ok: false, code: 'resume_unavailable' });
    });

    it('canResume accepts only a live session with its own secret and writes nothing', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      const b = await g.join();
      assert.equal(await store.canResume(g.key, a.member, `h-${a.member}`), true);
      assert.equal(
        await store.canResume(g.key, a.member, `h-${b.member}`),
        false,
        'another session’s secret',
      );
      assert.equal(await store.canResume(g.key, randomId(), `h-${a.member}`), false, 'unknown member');
      await store.leave(g.key, b.member, Date.now());
      assert.equal(await store.canResume(g.key, b.member, `h-${b.member}`), false, 'a session that left');
      const unknown = groupKeyOf(randomId());
      assert.equal(await store.canResume(unknown, a.member, `h-${a.member}`), false, 'unknown group');
      assert.equal(await store.readLog(unknown, 0), null);
      if (cleanup) assert.deepEqual(await cleanup(unknown), []);
    });

    it('a resume further back than the replay buffer is refused', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      for (let i = 0; i < limits.replayEvents + 2; i++)
        await store.appendApplication(g.key, a.member, 0, 'eA==');
      const r = await store.resume(
        g.key,
        { member: a.member, connection: 'c2', secretHash: `h-${a.member}`, afterSeq: 0 },
        Date.now(),
      );
      assert.deepEqual(r, { ok: false, code: 'resume_unavailable' });
    });

    it('application messages for an epoch the group is not at are refused', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      const b = await g.join();
      assert.deepEqual(await store.appendApplication(g.key, a.member, 3, 'eA=='), {
        ok: false,
        code: 'wrong_epoch',
        epoch: 0,
      });
      assert.deepEqual(await store.appendApplication(g.key, b.member, 0, 'eA=='), {
        ok: false,
        code: 'not_member',
      });
      assert.deepEqual(await store.appendApplication(g.key, a.member, 0, 'eA=='), { ok: true, seq: 1 });
    });

    it('pending KeyPackages beyond the limit are refused', async () => {
      const g = await openGroup(store);
      await g.join();
      const codes: string[] = [];
      for (let i = 0; i < limits.maxPendingKeyPackages + 1; i++) {
        const j = await g.join();
        const r = await store.publishKeyPackage(g.key, j.member, 'S1A=', Date.now());
        codes.push(r.ok ? 'ok' : r.code);
      }
      assert.deepEqual(codes, ['ok', 'ok', 'ok', 'too_many_pending']);
    });

    it('a kicked session is closed, its token refused, and its Remove requested', async () => {
      const g = await openGroup(store);
      const a = await g.join(Date.now(), 'host');
      const b = await g.join();
      await store.submitCommit(
        g.key,
        a.member,
        commit(0, { adds: [{ member: b.member, leaf: 1 }] }),
        Date.now(),
      );
      const kicked = await store.kick(g.key, b.member, Date.now());
      assert.deepEqual(kicked, { ok: true, sid: b.sid });
      await g.until(() => g.feed.some((m) => m.type === 'close' && m.to === b.member && m.code === 'kicked'));
      await g.until(() =>
        g.requests().some((m) => m.type === 'req' && m.removes.some((r) => r.member === b.member)),
      );
      const again = await store.join(
        g.key,
        { member: randomId(), connection: 'x', sid: b.sid, role: 'participant', secretHash: 'h' },
        Date.now(),
      );
      assert.deepEqual(again, { ok: false, code: 'session_refused' });
    });

    it('when every member is gone before adding a waiting joiner, that joiner creates the group anew', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      const b = await g.join();
      await store.leave(g.key, a.member, Date.now());
      await g.until(() => g.feed.some((m) => m.type === 'create'));
      const created = g.feed.find((m) => m.type === 'create');
      assert.ok(created?.type === 'create');
      assert.equal(created.to, b.member);
      assert.equal(created.epoch, 0);
    });

    it('when the last session leaves, nothing about the group remains', async () => {
      const g = await openGroup(store);
      const a = await g.join();
      const b = await g.join();
      await store.submitCommit(
        g.key,
        a.member,
        commit(0, { adds: [{ member: b.member, leaf: 1 }] }),
        Date.now(),
      );
      await store.appendApplication(g.key, a.member, 1, 'eA==');
      await store.refuseSession(g.key, randomId(), Date.now());
      assert.deepEqual(await store.leave(g.key, b.member, Date.now()), { purged: false });
      assert.deepEqual(await store.leave(g.key, a.member, Date.now()), { purged: true });
      assert.equal(await store.readLog(g.key, 0), null);
      if (cleanup) assert.deepEqual(await cleanup(g.key), []);
      await g.unsubscribe();
    });
  });
}

conformance('in-process', () => new MemoryGroupStateStore(limits));

const redisUrl = process.env.REDIS_URL;
describe('Redis prerequisites', () => {
  it('REDIS_URL points at a Redis for the distributed store tests', () => {
    requireRedisUrl();
  });
});
if (redisUrl) {
  const scanner = new Redis(redisUrl);
  after(() => scanner.quit());
  conformance(
    'Redis',
    () => new RedisGroupStateStore(redisUrl, limits),
    (key) => keysContaining(scanner, key),
  );
}
