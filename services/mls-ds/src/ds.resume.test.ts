import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DS_PROTOCOL_VERSION, DsCloseCode } from '@conclave/protocol';
import { Redis } from 'ioredis';
import type { GroupKey } from './state/group-state-store.ts';
import { feedChannel } from './state/redis-store.ts';
import { DsTestClient } from './testing/ds-client.ts';
import {
  type Cluster,
  keysContaining,
  newSigner,
  randomId,
  requireRedisUrl,
  startCluster,
} from './testing/fixtures.ts';
import { eventually, TestMeeting } from './testing/meeting.ts';

const randomSecretPart = () => randomBytes(32).toString('base64url');
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one `resume` on a fresh socket and returns how the DS closed it. */
async function resumeOnce(
  url: string,
  member: string,
  secret: string,
): Promise<{ code: number; reason: string }> {
  const c = await DsTestClient.connect(url);
  c.send({ type: 'resume', v: DS_PROTOCOL_VERSION, member, secret, seq: 0 });
  return c.closed;
}

// A member ID is shown to every participant and the group key is the first part of every
// resume secret, so neither may get anyone anywhere without the secret itself.
for (const redis of [false, true]) {
  describe(`a resume is verified before it touches anything (${redis ? 'Redis, two instances' : 'in-process state'})`, () => {
    const signer = newSigner();
    let cluster: Cluster;
    let client: Redis | undefined;
    /** Group keys every instance subscribed to a feed for (each room subscribes once, at its start). */
    const subscribed: GroupKey[] = [];
    /** Purge jobs scheduled in-process, by job ID (the group key); with Redis they are keys. */
    const scheduled: string[] = [];
    const url = (i: number) => cluster.instances[i % cluster.instances.length]!.url;

    before(async () => {
      cluster = await startCluster(signer, { redis, count: redis ? 2 : 1 });
      if (redis) client = new Redis(requireRedisUrl());
      for (const store of new Set(cluster.stores)) {
        const subscribe = store.subscribe.bind(store);
        store.subscribe = (key, handler) => {
          subscribed.push(key);
          return subscribe(key, handler);
        };
      }
      const local = cluster.localScheduler;
      if (local) {
        const schedule = local.schedule.bind(local);
        local.schedule = (kind, jobId, runAt, data) => {
          scheduled.push(jobId);
          return schedule(kind, jobId, runAt, data);
        };
      }
    });
    after(async () => {
      await cluster?.close();
      await client?.quit();
    });

    it('a forged secret for a live member is refused and that member stays connected and receiving', async () => {
      const meeting = new TestMeeting(signer, { real: false });
      const members = [];
      for (let i = 0; i < 3; i++) members.push(await meeting.join(url(i)));
      await meeting.converged(3);
      const [sender, ...victims] = members;
      const groupKey = sender!.secret.slice(0, 22);
      // One forged frame per victim, on the instance that serves it.
      for (const [i, victim] of victims.entries()) {
        const closed = await resumeOnce(url(i + 1), victim.member, `${groupKey}.${randomSecretPart()}`);
        assert.deepEqual(closed, { code: DsCloseCode.resumeUnavailable, reason: 'resume_unavailable' });
      }
      const kicked = await Promise.race([
        ...victims.map((v) => v.client.closed.then((c) => `${v.member} closed with ${c.code} ${c.reason}`)),
        settle(500).then(() => undefined),
      ]);
      assert.equal(kicked, undefined, 'no live member was closed');
      await sender!.sendText('still here');
      await eventually(
        () => victims.every((v) => v.texts.includes('still here')),
        5000,
        'delivery to the victims',
      );
      for (const m of meeting.active()) m.leave();
    });

    it('a resume for an unknown group creates no room, subscription, purge job or stored key', async () => {
      const key = randomBytes(24).toString('base64url').slice(0, 22);
      for (let i = 0; i < (redis ? 2 : 1); i++) {
        const closed = await resumeOnce(url(i), randomId(), `${key}.${randomSecretPart()}`);
        assert.deepEqual(closed, { code: DsCloseCode.resumeUnavailable, reason: 'resume_unavailable' });
      }
      // Purge jobs are scheduled in the background: give a wrongly armed one time to land.
      await settle(300);
      assert.deepEqual(
        subscribed.filter((k) => k === key),
        [],
        'feed subscriptions (one per room started)',
      );
      assert.equal(await cluster.stores[0]!.readLog(key, 0), null, 'group state for the key');
      if (client) {
        assert.deepEqual(
          await keysContaining(client, key),
          [],
          'Redis keys (group state or purge job) naming the key',
        );
        const [, count] = (await client.pubsub('NUMSUB', feedChannel(key))) as [string, number];
        assert.equal(count, 0, 'Redis feed subscriptions');
      } else {
        assert.deepEqual(
          scheduled.filter((id) => id === key),
          [],
          'purge jobs',
        );
      }
    });

    it('the member with its real secret still resumes', async () => {
      const meeting = new TestMeeting(signer, { real: false });
      const a = await meeting.join(url(0));
      const b = await meeting.join(url(1));
      await meeting.converged(2);
      b.client.terminate();
      await b.client.closed;
      await b.resume(url(0));
      await a.sendText('welcome back');
      await eventually(() => b.texts.includes('welcome back'), 5000, 'delivery after resume');
      for (const m of meeting.active()) m.leave();
    });
  });
}
