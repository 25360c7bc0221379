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
    const secrets = new RejoinSecrets(store, new LocalEventBus());
    after(async () => {
      secrets.close();
      await store.close();
    });

    it('of many simultaneous uses of one secret, exactly one passes', async () => {
      const room = randomBytes(16).toString('base64url');
      const { rejoin } = await secrets.issue(room, { sid: randomBytes(16).toString('base64url') });
      const uses = await Promise.all(Array.from({ length: 10 }, () => secrets.consume(rejoin, room)));
      assert.equal(uses.filter((u) => u !== undefined).length, 1);
      assert.equal(await secrets.valid(rejoin, room), false);
    });

    it('the end of the call forgets a used secret as well as live ones', async () => {
      const room = randomBytes(16).toString('base64url');
      const used = await secrets.issue(room, { sid: randomBytes(16).toString('base64url') });
      const live = await secrets.issue(room, { sid: randomBytes(16).toString('base64url') });
      assert.ok(await secrets.consume(used.rejoin, room));
      await secrets.purgeRoom(room);
      assert.equal(await secrets.valid(live.rejoin, room), false);
      const hash = sha256Text(used.rejoin);
      assert.equal(await store.get(`rejoin-used:${hash}`), null, 'no marker of the used secret is left');
    });
  });
}
