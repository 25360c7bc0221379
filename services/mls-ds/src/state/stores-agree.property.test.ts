import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { groupKeyOf } from '../delivery-service.ts';
import { randomId, requireRedisUrl } from '../testing/fixtures.ts';
import type { FeedMessage, GroupStateStore, StoreLimits } from './group-state-store.ts';
import { MemoryGroupStateStore } from './memory-store.ts';
import { RedisGroupStateStore } from './redis-store.ts';

/**
 * Random interleavings of joins, KeyPackages, commits, leaves, drops, reconnects, kicks,
 * application messages and heartbeats give the same answers, feed and replay buffer on the
 * in-process store and on the Redis store. `DS_PROPERTY_SEED` replays or varies the runs.
 */
const SEED = Number(process.env.DS_PROPERTY_SEED ?? 20_261_202);
const RUNS = 60;

const limits: StoreLimits = {
  resumeGraceMs: 3000,
  commitDeadlineMs: 1000,
  maxCommitBatch: 2,
  replayEvents: 6,
  // Longer than any run's simulated time: idle expiry is the TTL's job, not the rules'.
  stateTtlMs: 3_600_000,
  maxPendingKeyPackages: 3,
  maxGroupMembers: 6,
};

/** A step as generated: `who` picks among the members created so far. */
type Step =
  | { k: 'join' }
  | { k: 'kp' | 'leave' | 'drop' | 'app' | 'kick'; who: number }
  | { k: 'resume'; who: number; back: number }
  | { k: 'commit' }
  | { k: 'stale'; who: number; shift: number }
  | { k: 'tick'; ms: number; heard: boolean[] };

const who = fc.nat(20);
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.constant({ k: 'join' as const }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('kp' as const), who }), weight: 3 },
  { arbitrary: fc.constant({ k: 'commit' as const }), weight: 4 },
  fc.record({ k: fc.constant('stale' as const), who, shift: fc.integer({ min: -1, max: 1 }) }),
  fc.record({ k: fc.constantFrom('leave' as const, 'drop' as const, 'kick' as const), who }),
  { arbitrary: fc.record({ k: fc.constant('app' as const), who }), weight: 2 },
  fc.record({ k: fc.constant('resume' as const), who, back: fc.nat(8) }),
  {
    arbitrary: fc.record({
      k: fc.constant('tick' as const),
      ms: fc.nat(1500),
      heard: fc.array(fc.boolean(), { maxLength: 8 }),
    }),
    weight: 2,
  },
);

/** A step made concrete on the in-process store, to be replayed as is on the Redis store. */
type Op = (store: GroupStateStore, key: string) => Promise<unknown>;

interface Members {
  ids: string[];
  connection: Map<string, string>;
}

/** Turns generated steps into concrete operations, deciding inputs from the in-process run. */
async function concretize(steps: Step[], memory: GroupStateStore, key: string, feed: FeedMessage[]) {
  const m: Members = { ids: [], connection: new Map() };
  const ops: Op[] = [];
  const results: unknown[] = [];
  let now = Date.now();
  let leaf = 1;
  let epoch = 0;
  let seq = 0;
  const pick = (i: number) => m.ids[i % Math.max(m.ids.length, 1)] ?? 'nobody';
  for (const s of steps) {
    const t = now;
    const member = 'who' in s ? pick(s.who) : '';
    let op: Op;
    if (s.k === 'join') {
      const joiner = `m${m.ids.length}`;
      m.ids.push(joiner);
      m.connection.set(joiner, `${joiner}-c0`);
      op = (st, k) =>
        st.join(
          k,
          {
            member: joiner,
            connection: `${joiner}-c0`,
            sid: `s-${joiner}`,
            role: 'participant',
            secretHash: `h-${joiner}`,
          },
          t,
        );
    } else if (s.k === 'kp') {
      op = (st, k) => st.publishKeyPackage(k, member, `kp-${member}`, t);
    } else if (s.k === 'commit') {
      const req = feed.findLast((f) => f.type === 'req');
      if (!req) continue;
      const adds = req.adds.map((a) => ({ member: a.member, leaf: leaf++ }));
      const c = {
        epoch: req.epoch,
        commit: `commit-${req.epoch}`,
        ...(adds.length > 0 ? { welcome: `welcome-${req.epoch}` } : {}),
        adds,
        removes: req.removes.map((r) => r.member),
        rejected: [],
      };
      op = (st, k) => st.submitCommit(k, req.to, c, t);
    } else if (s.k === 'stale') {
      const c = {
        epoch: Math.max(0, epoch + s.shift),
        commit: 'update',
        adds: [],
        removes: [],
        rejected: [],
      };
      op = (st, k) => st.submitCommit(k, member, c, t);
    } else if (s.k === 'leave') {
      op = (st, k) => st.leave(k, member, t);
    } else if (s.k === 'drop') {
      const connection = m.connection.get(member) ?? '';
      op = (st, k) => st.disconnect(k, member, connection, t);
    } else if (s.k === 'kick') {
      op = (st, k) => st.kick(k, member, t);
    } else if (s.k === 'app') {
      const e = epoch;
      op = (st, k) => st.appendApplication(k, member, e, `data-${member}`);
    } else if (s.k === 'resume') {
      const connection = `${member}-c${ops.length}`;
      m.connection.set(member, connection);
      const afterSeq = Math.max(0, seq - s.back);
      op = (st, k) => st.resume(k, { member, connection, secretHash: `h-${member}`, afterSeq }, t);
    } else if (s.k === 'tick') {
      now += s.ms;
      const heard = m.ids.filter((_, i) => s.heard[i]);
      const at = now;
      op = (st, k) => st.maintain(k, heard, at);
    } else continue;
    ops.push(op);
    const result = await op(memory, key);
    results.push(result);
    await flush();
    for (const f of feed) {
      if (f.type === 'commit') epoch = f.epoch + 1;
      if (f.type === 'create') epoch = f.epoch;
      if ('seq' in f) seq = Math.max(seq, f.seq);
      if (f.type === 'purged') seq = 0;
    }
  }
  return { ops, results };
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function recorded(store: GroupStateStore) {
  const key = groupKeyOf(randomId());
  const feed: FeedMessage[] = [];
  const unsubscribe = await store.subscribe(key, (message) => feed.push(message));
  return { key, feed, unsubscribe };
}

describe('the in-process and Redis stores agree', () => {
  const memory = new MemoryGroupStateStore(limits);
  const redis = new RedisGroupStateStore(requireRedisUrl(), limits);
  after(() => Promise.all([memory.close(), redis.close()]));

  it('on answers, feed and replay buffer for random interleavings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 60 }), async (steps) => {
        const mem = await recorded(memory);
        const red = await recorded(redis);
        try {
          const { ops, results } = await concretize(steps, memory, mem.key, mem.feed);
          const redisResults: unknown[] = [];
          for (const op of ops) redisResults.push(await op(redis, red.key));
          assert.deepEqual(redisResults, results);
          for (let i = 0; i < 200 && red.feed.length < mem.feed.length; i++)
            await new Promise((r) => setTimeout(r, 5));
          assert.deepEqual(red.feed, mem.feed);
          assert.deepEqual(await redis.readLog(red.key, 0), await memory.readLog(mem.key, 0));
        } finally {
          await Promise.all([mem.unsubscribe(), red.unsubscribe(), redis.endGroup(red.key)]);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
