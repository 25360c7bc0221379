import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DS_PROTOCOL_VERSION, DsCloseCode } from '@conclave/protocol';
import { type BusEvent, RedisEventBus } from '@conclave/runtime';
import { Redis } from 'ioredis';
import { groupKeyOf } from './delivery-service.ts';
import { DsTestClient } from './testing/ds-client.ts';
import {
  type Cluster,
  keysContaining,
  newSigner,
  requireRedisUrl,
  startCluster,
} from './testing/fixtures.ts';
import { checkLeafMapping } from './testing/leaf-mapping.ts';
import { eventually, TestMeeting } from './testing/meeting.ts';

/** Keys in Redis whose name contains the group's store key (or its raw ID). */
async function keysOfGroup(redis: Redis, grp: string): Promise<string[]> {
  return [...(await keysContaining(redis, groupKeyOf(grp))), ...(await keysContaining(redis, grp))];
}

describe('distributed DS: two instances sharing Redis, members on real MLS', () => {
  const signer = newSigner();
  let cluster: Cluster;
  let redis: Redis;
  const url = (i: number) => cluster.instances[i % cluster.instances.length]!.url;

  before(async () => {
    const redisUrl = requireRedisUrl();
    redis = new Redis(redisUrl);
    cluster = await startCluster(signer, { redis: true, count: 2 });
  });
  after(async () => {
    await cluster?.close();
    await redis?.quit();
  });

  it('20 members joining concurrently end in one epoch sequence with equal exporters everywhere', async () => {
    const meeting = new TestMeeting(signer);
    await Promise.all(Array.from({ length: 20 }, (_, i) => meeting.join(url(i))));
    await meeting.converged(20);
    const codes = await meeting.exporters();
    assert.equal(new Set(codes).size, 1, 'every member derives the same security code');
    assert.deepEqual(meeting.errors(), []);
    // Chat reaches every other member, in the same epoch, across both instances.
    const [first] = meeting.members;
    await first!.sendText('hello everyone');
    await eventually(
      () => meeting.members.slice(1).every((m) => m.texts.includes('hello everyone')),
      10_000,
      'chat',
    );
    for (const m of meeting.members) await m.client.socket.close();
  });

  it('ready and welcome tell a joiner which DS member sits on every leaf', async () => {
    await checkLeafMapping(new TestMeeting(signer, { real: false }), url);
  });

  it('a crashed member is removed by a commit and the keys rotate', async () => {
    const meeting = new TestMeeting(signer);
    for (let i = 0; i < 4; i++) await meeting.join(url(i));
    await meeting.converged(4);
    const [before] = await meeting.exporters();
    const victim = meeting.members[2]!;
    victim.crash();
    meeting.gone.add(victim);
    await meeting.converged(3, 15_000);
    const codes = await meeting.exporters();
    assert.equal(new Set(codes).size, 1);
    assert.notEqual(codes[0], before, 'the security code changed with the Remove');
    assert.deepEqual(meeting.errors(), []);
    for (const m of meeting.active()) m.leave();
  });

  it('a committer that crashes mid-commit is replaced and the joiner still gets in', async () => {
    const meeting = new TestMeeting(signer);
    const a = await meeting.join(url(0));
    await meeting.join(url(1));
    await meeting.converged(2);
    a.options.crashOnCommitRequest = true;
    meeting.gone.add(a);
    const started = Date.now();
    const c = await meeting.join(url(0));
    await c.waitForEpoch(2, 10_000);
    assert.ok(Date.now() - started < 5000, 'the next member committed without waiting for the crashed one');
    // Once the crashed committer's resume grace is over, it is removed too.
    await meeting.converged(2, 15_000);
    assert.equal(new Set(await meeting.exporters()).size, 1);
    assert.deepEqual(meeting.errors(), []);
    for (const m of meeting.active()) m.leave();
  });

  it('a committer that stays connected but silent is passed over after its deadline', async () => {
    const meeting = new TestMeeting(signer);
    const a = await meeting.join(url(0));
    await meeting.join(url(1));
    await meeting.converged(2);
    a.options.silent = true;
    const c = await meeting.join(url(1));
    await c.waitForEpoch(2, 10_000);
    await meeting.converged(3);
    assert.equal(new Set(await meeting.exporters()).size, 1);
    for (const m of meeting.active()) m.leave();
  });

  it('when one instance dies, members on the other continue and reconnecting members resume', async () => {
    const own = await startCluster(signer, { redis: true, count: 2 });
    try {
      const meeting = new TestMeeting(signer);
      const survivors = [
        await meeting.join(own.instances[0]!.url),
        await meeting.join(own.instances[0]!.url),
      ];
      const movers = [await meeting.join(own.instances[1]!.url), await meeting.join(own.instances[1]!.url)];
      await meeting.converged(4);
      const epoch = survivors[0]!.epoch;
      await own.instances[1]!.close();
      // The survivors keep talking while the movers are offline; the movers catch up on resume.
      await survivors[0]!.sendText('while you were away');
      await eventually(() => survivors[1]!.texts.includes('while you were away'), 5000, 'chat on survivor');
      for (const m of movers) await m.resume(own.instances[0]!.url);
      await eventually(
        () => movers.every((m) => m.texts.includes('while you were away')),
        5000,
        'replayed chat',
      );
      assert.ok(
        movers.every((m) => m.epoch === epoch),
        'resumed members did not rejoin',
      );
      const late = await meeting.join(own.instances[0]!.url);
      await late.waitForEpoch(epoch + 1);
      await meeting.converged(5);
      assert.equal(new Set(await meeting.exporters()).size, 1);
      assert.deepEqual(meeting.errors(), []);
    } finally {
      await own.close();
    }
  });

  it('a message for some members reaches only them, live on either instance and in a resume’s replay', async () => {
    const own = await startCluster(signer, { redis: true, count: 2 });
    try {
      const meeting = new TestMeeting(signer);
      const [a, b] = [await meeting.join(own.instances[0]!.url), await meeting.join(own.instances[0]!.url)];
      const [c, d] = [await meeting.join(own.instances[1]!.url), await meeting.join(own.instances[1]!.url)];
      await meeting.converged(4);
      await a!.sendText('for b and d', [b!.member, d!.member]);
      await a!.sendText('for everyone');
      // Events arrive in order: the second message's arrival means the first was delivered or not.
      await eventually(() => [b, c, d].every((m) => m!.texts.includes('for everyone')), 10_000, 'chat');
      assert.deepEqual(
        [b, c, d].map((m) => m!.texts.includes('for b and d')),
        [true, false, true],
        'only the members named receive it, on either instance',
      );
      await own.instances[1]!.close();
      await a!.sendText('for d, while away', [d!.member]);
      await a!.sendText('for b, while away', [b!.member]);
      await eventually(() => b!.texts.includes('for b, while away'), 5000, 'live message for b');
      for (const m of [c, d]) await m!.resume(own.instances[0]!.url);
      await a!.sendText('after');
      await eventually(() => [c, d].every((m) => m!.texts.includes('after')), 10_000, 'chat after resume');
      assert.deepEqual(
        [c, d].map((m) => ['for d, while away', 'for b, while away'].map((t) => m!.texts.includes(t))),
        [
          [false, false],
          [true, false],
        ],
        'a resume replays only what was for that member',
      );
      assert.deepEqual(meeting.errors(), []);
    } finally {
      await own.close();
    }
  });

  it('a host kick closes the target, refuses its token, announces it on the bus and removes it', async () => {
    const bus = new RedisEventBus(requireRedisUrl());
    await bus.ready();
    const events: BusEvent[] = [];
    bus.subscribe((e) => events.push(e));
    try {
      const meeting = new TestMeeting(signer);
      const host = await meeting.join(url(0), { role: 'host' });
      const targetToken = meeting.token('participant');
      const target = await meeting.join(url(1), { token: targetToken });
      const other = await meeting.join(url(1));
      await meeting.converged(3);
      // A participant cannot kick.
      other.client.send({ type: 'kick', id: 'k1', member: host.member });
      await eventually(() => other.dsErrors.includes('forbidden'), 5000, 'forbidden');
      host.client.send({ type: 'kick', member: target.member });
      const closed = await target.client.closed;
      assert.equal(closed.code, DsCloseCode.sessionRefused);
      meeting.gone.add(target);
      await meeting.converged(2);
      await eventually(
        () => events.some((e) => e.type === 'session.removed' && e.grp === meeting.grp),
        5000,
        'bus event',
      );
      const again = await DsTestClient.connect(url(0));
      again.send({ type: 'hello', v: DS_PROTOCOL_VERSION, token: targetToken });
      assert.equal((await again.closed).code, DsCloseCode.sessionRefused);
      for (const m of meeting.active()) m.leave();
    } finally {
      await bus.close();
    }
  });

  it('after the last member leaves, no Redis key for the group remains', async () => {
    const meeting = new TestMeeting(signer);
    for (let i = 0; i < 3; i++) await meeting.join(url(i));
    await meeting.converged(3);
    await meeting.members[0]!.sendText('bye');
    assert.ok((await keysOfGroup(redis, meeting.grp)).length > 0, 'the group had state while in use');
    for (const m of meeting.members) {
      m.leave();
      await m.client.closed;
    }
    await eventually(
      async () => (await keysOfGroup(redis, meeting.grp)).length === 0,
      5000,
      'no keys left',
    ).catch(async (e) => {
      console.log('LEFT', await keysOfGroup(redis, meeting.grp));
      throw e;
    });
    assert.deepEqual(await keysOfGroup(redis, meeting.grp), []);
  });

  it('a group whose members all vanished with their instance is purged by the purge job', async () => {
    const own = await startCluster(signer, { redis: true, count: 1 });
    const meeting = new TestMeeting(signer, { real: false });
    try {
      await meeting.join(own.instances[0]!.url);
      await meeting.join(own.instances[0]!.url);
      await meeting.converged(2);
    } finally {
      await own.close();
    }
    assert.ok((await keysOfGroup(redis, meeting.grp)).length > 0);
    // The shared cluster's instances run the BullMQ purge job once the resume grace is over.
    await eventually(async () => (await keysOfGroup(redis, meeting.grp)).length === 0, 15_000, 'purge');
  });
});
