import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { LocalNodeRegistry } from './local-registry.ts';
import type { NodeRegistry, SfuNodeInfo } from './node-registry.ts';
import { RedisNodeRegistry } from './redis-registry.ts';

function node(id: string, load: number, extra: Partial<SfuNodeInfo> = {}): SfuNodeInfo {
  return {
    id,
    url: `wss://${id}.example/v1/sfu`,
    load,
    rooms: 0,
    peers: 0,
    workers: 2,
    draining: false,
    updatedAt: 0,
    ...extra,
  };
}

/** The behaviour both implementations share. */
function registryBehaviour(name: string, create: (ttlMs: number) => NodeRegistry) {
  describe(name, () => {
    const registries: NodeRegistry[] = [];
    const make = (ttlMs = 15_000) => {
      const registry = create(ttlMs);
      registries.push(registry);
      return registry;
    };
    after(async () => {
      for (const registry of registries) await registry.close();
    });
    const prefix = randomBytes(6).toString('hex');

    test('picks the least loaded node and never a draining one', async () => {
      const registry = make();
      await registry.announce(node(`${prefix}-a`, 0.5), []);
      await registry.announce(node(`${prefix}-b`, 0.1, { draining: true }), []);
      await registry.announce(node(`${prefix}-c`, 0.2), []);
      const picked = await registry.pickLeastLoaded();
      assert.equal(picked?.id, `${prefix}-c`);
      for (const id of ['a', 'b', 'c']) await registry.withdraw(`${prefix}-${id}`);
    });

    test('a room stays on the node that hosts it', async () => {
      const registry = make();
      await registry.announce(node(`${prefix}-busy`, 0.9), []);
      await registry.announce(node(`${prefix}-idle`, 0.0), []);
      const room = `room-${prefix}`;
      const first = await registry.nodeForRoom(room);
      assert.equal(first?.id, `${prefix}-idle`);
      await registry.announce(node(`${prefix}-idle`, 0.95), [room]);
      const again = await registry.nodeForRoom(room);
      assert.equal(again?.id, `${prefix}-idle`, 'not moved although another node is now less loaded');
      await registry.withdraw(`${prefix}-idle`);
      assert.equal((await registry.nodeForRoom(room))?.id, `${prefix}-busy`, 'moved when its node is gone');
      await registry.withdraw(`${prefix}-busy`);
    });

    test('a node whose heartbeat stops disappears after the TTL', async () => {
      const registry = make(300);
      await registry.announce(node(`${prefix}-short`, 0.1), []);
      assert.ok((await registry.list()).some((n) => n.id === `${prefix}-short`));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(!(await registry.list()).some((n) => n.id === `${prefix}-short`));
    });
  });
}

registryBehaviour('LocalNodeRegistry', (ttlMs) => new LocalNodeRegistry({ ttlMs }));

const redisUrl = process.env.REDIS_URL;
describe('RedisNodeRegistry', () => {
  test('REDIS_URL points at a Redis for the distributed registry tests', () => {
    assert.ok(redisUrl, 'REDIS_URL is not set: start the test services with scripts/test-infra.sh start');
  });
});
if (redisUrl) registryBehaviour('RedisNodeRegistry', (ttlMs) => new RedisNodeRegistry(redisUrl, { ttlMs }));
