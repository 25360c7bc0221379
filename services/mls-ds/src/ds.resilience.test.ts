import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DS_PROTOCOL_VERSION, DsCloseCode } from '@conclave/protocol';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { groupKeyOf } from './delivery-service.ts';
import { type RunningDs, startDs, storeLimits } from './server.ts';
import { RedisGroupStateStore, groupKeys } from './state/redis-store.ts';
import { DsTestClient } from './testing/ds-client.ts';
import { type Cluster, newSigner, requireRedisUrl, startCluster, testConfig } from './testing/fixtures.ts';
import { eventually, TestMeeting } from './testing/meeting.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('bursts: back-pressure instead of refusal (Redis, two instances)', () => {
  const signer = newSigner();
  let cluster: Cluster;
  const url = (i: number) => cluster.instances[i % 2]!.url;

  before(async () => {
    cluster = await startCluster(signer, {
      redis: true,
      count: 2,
      // The rate limit allows the burst; what is tested is that nothing is refused for
      // arriving faster than the store takes it.
      // Frequent pings: the sender's pongs wait behind its burst while reading is paused.
      env: { DS_RATE_MESSAGES_PER_SECOND: '50', DS_RATE_MESSAGE_BURST: '400', DS_PING_INTERVAL_MS: '250' },
    });
  });
  after(() => cluster?.close());

  it('300 messages sent back-to-back reach every other member, all of them, in order', async () => {
    const meeting = new TestMeeting(signer);
    const sender = await meeting.join(url(0));
    const readers = [await meeting.join(url(0)), await meeting.join(url(1)), await meeting.join(url(1))];
    await meeting.converged(4);
    const texts = Array.from({ length: 300 }, (_, i) => `burst ${i}`);
    let senderClosed: unknown;
    void sender.client.closed.then((c) => {
      senderClosed = c;
    });
    await sender.sendBurst(texts);
    await eventually(
      () => readers.every((r) => r.texts.length >= texts.length),
      30_000,
      'every message at every reader',
    ).catch((e) => {
      throw new Error(
        `${e}: got ${readers.map((r) => r.texts.length).join(', ')}; errors ${sender.dsErrors.join(',')}; closed ${JSON.stringify(senderClosed)}`,
      );
    });
    for (const r of readers) assert.deepEqual(r.texts, texts);
    assert.deepEqual(sender.dsErrors, [], 'nothing was refused');
    assert.deepEqual(meeting.errors(), []);
    for (const m of meeting.active()) m.leave();
  });
});

describe('committer refusing every KeyPackage (embedded)', () => {
  const signer = newSigner();
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster(signer, { count: 1 });
  });
  after(() => cluster?.close());

  it('sends reject, so the joiner with a forged KeyPackage is closed with 4410 at once', async () => {
    const url = cluster.instances[0]!.url;
    const meeting = new TestMeeting(signer);
    await meeting.join(url);
    await meeting.join(url);
    await meeting.converged(2);
    // A valid token for the meeting, but MLS keys from another meeting link (another password).
    const forged = await new TestMeeting(signer).engine().keyPackage();
    const forger = await DsTestClient.connect(url);
    forger.send({ type: 'hello', v: DS_PROTOCOL_VERSION, token: meeting.token() });
    await forger.next('ready');
    const sentAt = Date.now();
    forger.send({ type: 'keyPackage', kp: b64(forged) });
    const closed = await Promise.race([forger.closed, new Promise((r) => setTimeout(r, 10_000, null))]);
    assert.ok(closed, 'the forger was not closed');
    assert.equal((closed as { code: number }).code, DsCloseCode.removed);
    // Well inside one commit deadline: the first committer asked refused it, nobody timed out.
    assert.ok(Date.now() - sentAt < 1500, `closed after ${Date.now() - sentAt} ms`);
    assert.deepEqual(meeting.errors(), []);
    // The group is unchanged and still takes joiners.
    const before = meeting.members[0]!.epoch;
    await meeting.join(url);
    await meeting.converged(3);
    assert.equal(meeting.members[0]!.epoch, before + 1);
    assert.deepEqual(meeting.errors(), []);
    for (const m of meeting.active()) m.leave();
  });
});

/**
 * Kills the feed (pub/sub) connections of the given stores, found by their CLIENT SETNAME:
 * only this test's own connections, never anybody else's on the shared Redis.
 */
async function killFeeds(redis: Redis, stores: RedisGroupStateStore[]): Promise<number> {
  const names = new Set(stores.map((s) => s.feedConnectionName));
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  let killed = 0;
  for (const line of list.split('\n')) {
    const fields = Object.fromEntries(line.split(' ').map((f) => f.split('=', 2) as [string, string]));
    if (!fields.id || !names.has(fields.name ?? '')) continue;
    killed += Number(await redis.call('CLIENT', 'KILL', 'ID', fields.id));
  }
  return killed;
}

async function groupSeq(redis: Redis, grp: string): Promise<number> {
  const [, , fields] = groupKeys(groupKeyOf(grp));
  return Number((await redis.hget(fields!, 'seq')) ?? 0);
}

describe('Redis feed interrupted (real Redis, two instances)', () => {
  const signer = newSigner();
  const silent = pino({ level: 'silent' });
  let redis: Redis;
  const owned: { close(): Promise<void> }[] = [];

  async function instance(env: Record<string, string>, feedRetryDelayMs?: number) {
    const config = { ...testConfig(signer, env), REDIS_URL: requireRedisUrl() };
    const store = new RedisGroupStateStore(
      config.REDIS_URL,
      storeLimits(config),
      feedRetryDelayMs !== undefined ? { feedRetryDelayMs } : {},
    );
    const ds: RunningDs = await startDs(config, { store, logger: silent });
    owned.push(ds, store);
    return { ds, store };
  }

  before(() => {
    redis = new Redis(requireRedisUrl());
  });
  after(async () => {
    for (const o of owned.reverse()) await o.close().catch(() => {});
    await redis?.quit();
  });

  it('pub/sub connections killed during a burst: every member still gets every message, in order, once', async () => {
    const env = { DS_RATE_MESSAGE_BURST: '400' };
    const a = await instance(env);
    const b = await instance(env);
    const meeting = new TestMeeting(signer);
    const sender = await meeting.join(a.ds.url);
    const readers = [
      await meeting.join(a.ds.url),
      await meeting.join(b.ds.url),
      await meeting.join(b.ds.url),
    ];
    await meeting.converged(4);
    const start = await groupSeq(redis, meeting.grp);
    const resyncsBefore = Number((await b.ds.server.metrics.feedResyncs.get()).values[0]?.value ?? 0);
    const texts = Array.from({ length: 300 }, (_, i) => `burst ${i}`);
    await sender.sendBurst(texts);
    await eventually(() => readers.some((r) => r.texts.length >= 20), 20_000, 'the burst under way');
    // Keep killing both instances' feeds until the whole burst is sequenced, so its end is
    // published while they are away and only a catch-up from the replay buffer can deliver it.
    let kills = 0;
    const deadline = Date.now() + 30_000;
    while ((await groupSeq(redis, meeting.grp)) < start + texts.length) {
      assert.ok(Date.now() < deadline, `burst not sequenced: ${sender.dsErrors.join(',')}`);
      kills += await killFeeds(redis, [a.store, b.store]);
      await new Promise((r) => setTimeout(r, 10));
    }
    kills += await killFeeds(redis, [a.store, b.store]);
    assert.ok(kills > 0, 'feed connections were killed');
    await eventually(
      () => readers.every((r) => r.texts.length >= texts.length),
      30_000,
      'every message at every reader',
    ).catch((e) => {
      throw new Error(`${e}: got ${readers.map((r) => r.texts.length).join(', ')}`);
    });
    for (const r of readers) assert.deepEqual(r.texts, texts, 'in order, no gap, no duplicate');
    assert.deepEqual(sender.dsErrors, []);
    assert.deepEqual(meeting.errors(), []);
    const resyncs = Number((await b.ds.server.metrics.feedResyncs.get()).values[0]?.value ?? 0);
    assert.ok(resyncs > resyncsBefore, 'the room caught up from the replay buffer');
    // The feeds are back: the group goes on as usual.
    await readers[2]!.sendText('after the storm');
    await eventually(
      () => [sender, readers[0]!, readers[1]!].every((m) => m.texts.includes('after the storm')),
      10_000,
      'chat after recovery',
    );
    for (const m of meeting.active()) m.leave();
  });

  const losses = {
    'Redis loses the group and the feeds drop': { feedDrops: true, recreated: false },
    'the group is evicted, the feeds stay up': { feedDrops: false, recreated: false },
    'the group is evicted and a newcomer creates a new one at once': { feedDrops: false, recreated: true },
  };
  for (const [title, { feedDrops, recreated }] of Object.entries(losses)) {
    it(`${title}: every member is closed 4404 and they meet again in a new group`, async () => {
      const a = await instance({});
      const b = await instance({});
      const meeting = new TestMeeting(signer);
      const members = [
        await meeting.join(a.ds.url),
        await meeting.join(b.ds.url),
        await meeting.join(b.ds.url),
      ];
      await meeting.converged(3);
      const lostAt = Date.now();
      // What a Redis restart leaves (it keeps nothing on disk): none of the group's keys.
      await redis.del(...groupKeys(groupKeyOf(meeting.grp)));
      if (feedDrops) assert.ok((await killFeeds(redis, [a.store, b.store])) > 0);
      // Someone joining now finds no group and starts one, before any heartbeat noticed the loss.
      const first = recreated ? await meeting.join(a.ds.url) : undefined;
      if (first) assert.equal(first.created, true);
      for (const m of members) {
        const closed = (await Promise.race([
          m.client.closed,
          new Promise((r) => setTimeout(r, 10_000, null)),
        ])) as { code: number } | null;
        assert.equal(closed?.code, DsCloseCode.resumeUnavailable, 'closed so that it joins again');
        meeting.gone.add(m);
      }
      const closedAfterMs = Date.now() - lostAt;
      // Joining again with new tokens: the first back creates a new group, the others join it.
      const back = [first ?? (await meeting.join(b.ds.url)), await meeting.join(a.ds.url)];
      assert.equal(back[0]!.created, true, 'the first one back created the group');
      assert.equal(back[1]!.created, false);
      await meeting.converged(2, 15_000);
      await back[0]!.sendText('together again');
      await eventually(() => back[1]!.texts.includes('together again'), 5000, 'chat in the new group');
      assert.ok(closedAfterMs < 5000, `members were told within ${closedAfterMs} ms`);
      for (const m of meeting.active()) m.leave();
    });
  }

  it('a gap older than the replay buffer closes the affected members with 4404 gap_too_old, the rest go on', async () => {
    const env = { DS_REPLAY_EVENTS: '16', DS_RATE_MESSAGE_BURST: '400' };
    const a = await instance(env);
    // Instance B's feed stays away for a while once it is lost.
    const b = await instance(env, 5000);
    const meeting = new TestMeeting(signer);
    const sender = await meeting.join(a.ds.url);
    const near = await meeting.join(a.ds.url);
    const far = [await meeting.join(b.ds.url), await meeting.join(b.ds.url)];
    await meeting.converged(4);
    const lostAt = Date.now();
    assert.equal(await killFeeds(redis, [b.store]), 1);
    const texts = Array.from({ length: 40 }, (_, i) => `while B is away ${i}`);
    await sender.sendBurst(texts);
    await eventually(() => near.texts.length >= texts.length, 10_000, 'the burst on instance A');
    assert.ok(Date.now() - lostAt < 5000, 'the burst was over before instance B resubscribed');
    for (const m of far) {
      const closed = await Promise.race([m.client.closed, new Promise((r) => setTimeout(r, 15_000, null))]);
      assert.deepEqual(closed, { code: DsCloseCode.gapTooOld, reason: 'gap_too_old' });
      meeting.gone.add(m);
      assert.ok(m.texts.length < texts.length, 'it had missed messages');
    }
    assert.deepEqual(near.texts, texts);
    // The closed sessions left: the others commit their Removes and carry on.
    await meeting.converged(2, 15_000);
    assert.equal(new Set(await meeting.exporters()).size, 1);
    await near.sendText('still here');
    await eventually(() => sender.texts.includes('still here'), 5000, 'chat');
    // A member that joins again through instance B gets in and hears the group.
    const back = await meeting.join(b.ds.url);
    await meeting.converged(3, 15_000);
    await sender.sendText('welcome back');
    await eventually(() => back.texts.includes('welcome back'), 5000, 'chat on B');
    assert.deepEqual(meeting.errors(), []);
    for (const m of meeting.active()) m.leave();
  });
});
