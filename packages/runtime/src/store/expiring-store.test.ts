import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ExpiringStore } from './expiring-store.ts';
import { LocalExpiringStore } from './local-expiring-store.ts';
import { RedisExpiringStore } from './redis-expiring-store.ts';

function contract(name: string, make: () => ExpiringStore) {
  describe(`${name} expiring store`, () => {
    const store = make();
    const unique = () => `t${Math.random().toString(36).slice(2)}`;
    after(() => store.close());

    it('claim succeeds once, then refuses until the key expires', async () => {
      const key = unique();
      assert.equal(await store.claim(key, 600), true);
      assert.equal(await store.claim(key, 600), false);
      await new Promise((r) => setTimeout(r, 750));
      assert.equal(await store.claim(key, 600), true);
    });

    it('hit counts within a window and restarts after it', async () => {
      const key = unique();
      assert.equal(await store.hit(key, 600), 1);
      assert.equal(await store.hit(key, 600), 2);
      assert.equal(await store.hit(key, 600), 3);
      assert.equal(await store.get(key), '3');
      await new Promise((r) => setTimeout(r, 750));
      assert.equal(await store.hit(key, 600), 1);
    });

    it('getOrSet keeps the first value', async () => {
      const key = unique();
      assert.equal(await store.getOrSet(key, 'a', 1000), 'a');
      assert.equal(await store.getOrSet(key, 'b', 1000), 'a');
      await store.delete(key);
      assert.equal(await store.getOrSet(key, 'c', 1000), 'c');
      assert.equal(await store.get(key), 'c');
      await store.delete(key);
      assert.equal(await store.get(key), null);
    });
  });
}

contract('local', () => new LocalExpiringStore());
contract('redis', () => {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: start the test services with scripts/test-infra.sh start');
  return new RedisExpiringStore(url, 'test:');
});
