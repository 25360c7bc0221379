import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { type ExpiringStore, LocalEventBus, LocalExpiringStore, RedisExpiringStore } from '@conclave/runtime';
import { sha256Text } from '../src/http/secrets.ts';
import { RejoinSecrets } from '../src/lobby/rejoin.ts';

const stores: [string, () => ExpiringStore][] = [
  ['in-process', () => new LocalExpiringStore()],
  [
    'Redis',
    () => {
      if (!process.env.REDIS_URL) throw new Error('REDIS_URL is not set: start scripts/test-infra.sh');
      return new RedisExpiringStore(process.env.REDIS_URL, `test-rejoin-${randomBytes(4).toString('hex')}:`);
    },
  ],
];

for (const [name, makeStore] of stores) {
  describe(`rejoin secrets (${name} store)`, () => {
    const store = makeStore();
    const bus = new LocalEventBus();
    const secrets = new RejoinSecrets(store, bus);
    after(async () => {
      secrets.close();
      await store.close();
    });

    /** A secret whose session the delivery service confirmed as a member of the group. */
    async function confirmed(room: string): Promise<{ rejoin: string }> {
      const sid = randomBytes(16).toString('base64url');
      const issued = await secrets.issue(room, { sid });
      await bus.publish({ type: 'session.joined', sid });
      for (let i = 0; i < 100 && !(await secrets.valid(issued.rejoin, room)); i++)
        await new Promise((r) => setTimeout(r, 10));
      return issued;
    }

    it('of many simultaneous uses of one secret, exactly one passes', async () => {
      const room = randomBytes(16).toString('base64url');
      const { rejoin } = await confirmed(room);
      const uses = await Promise.all(Array.from({ length: 10 }, () => secrets.consume(rejoin, room)));
      assert.equal(uses.filter((u) => u !== undefined).length, 1);
      assert.equal(await secrets.valid(rejoin, room), false);
    });

    it('the end of the call forgets a used secret as well as live ones', async () => {
      const room = randomBytes(16).toString('base64url');
      const used = await confirmed(room);
      const live = await confirmed(room);
      assert.ok(await secrets.consume(used.rejoin, room));
      await secrets.purgeRoom(room);
      assert.equal(await secrets.valid(live.rejoin, room), false);
      const hash = sha256Text(used.rejoin);
      assert.equal(await store.get(`rejoin-used:${hash}`), null, 'no marker of the used secret is left');
    });
  });
}
