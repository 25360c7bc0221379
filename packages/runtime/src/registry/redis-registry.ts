import { Redis } from 'ioredis';
import { leastLoaded, NODE_TTL_MS, type NodeRegistry, type SfuNodeInfo } from './node-registry.ts';

const PREFIX = 'conclave:sfu:v1';
const NODES = `${PREFIX}:nodes`;
const nodeKey = (id: string) => `${PREFIX}:node:${id}`;
const roomKey = (room: string) => `${PREFIX}:room:${room}`;

/**
 * Redis registry for the distributed mode. Each node's record is a key with a TTL refreshed by
 * its heartbeat, listed in a set; a room's node is a key with the same TTL, refreshed while the
 * node hosts the room. Room keys hold opaque room IDs only and expire soon after the call.
 */
export class RedisNodeRegistry implements NodeRegistry {
  readonly #redis: Redis;
  readonly #ttlMs: number;
  readonly #owned: boolean;

  constructor(redis: Redis | string, options: { ttlMs?: number } = {}) {
    this.#owned = typeof redis === 'string';
    this.#redis = typeof redis === 'string' ? new Redis(redis, { maxRetriesPerRequest: 3 }) : redis;
    this.#ttlMs = options.ttlMs ?? NODE_TTL_MS;
  }

  async announce(info: SfuNodeInfo, rooms: string[]): Promise<void> {
    const tx = this.#redis.multi();
    tx.set(nodeKey(info.id), JSON.stringify({ ...info, updatedAt: Date.now() }), 'PX', this.#ttlMs);
    tx.sadd(NODES, info.id);
    for (const room of rooms) tx.set(roomKey(room), info.id, 'PX', this.#ttlMs);
    await tx.exec();
  }

  async withdraw(nodeId: string): Promise<void> {
    await this.#redis.multi().del(nodeKey(nodeId)).srem(NODES, nodeId).exec();
  }

  async list(): Promise<SfuNodeInfo[]> {
    const ids = await this.#redis.smembers(NODES);
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(ids.map(nodeKey));
    const nodes: SfuNodeInfo[] = [];
    const stale: string[] = [];
    values.forEach((value, i) => {
      if (value === null) stale.push(ids[i]!);
      else {
        try {
          nodes.push(JSON.parse(value) as SfuNodeInfo);
        } catch {
          stale.push(ids[i]!);
        }
      }
    });
    if (stale.length > 0) await this.#redis.srem(NODES, ...stale);
    return nodes;
  }

  async pickLeastLoaded(): Promise<SfuNodeInfo | undefined> {
    return leastLoaded(await this.list());
  }

  async nodeForRoom(room: string): Promise<SfuNodeInfo | undefined> {
    const nodes = await this.list();
    const byId = new Map(nodes.map((node) => [node.id, node]));
    const current = await this.#redis.get(roomKey(room));
    if (current && byId.has(current)) return byId.get(current);
    const picked = leastLoaded(nodes);
    if (!picked) return undefined;
    // First writer wins, so concurrent joins of a new room agree on one node.
    const claimed = await this.#redis.set(roomKey(room), picked.id, 'PX', this.#ttlMs, 'NX');
    if (claimed === 'OK') return picked;
    const winner = await this.#redis.get(roomKey(room));
    if (winner && byId.has(winner)) return byId.get(winner);
    await this.#redis.set(roomKey(room), picked.id, 'PX', this.#ttlMs);
    return picked;
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#redis.quit().catch(() => undefined);
  }
}
