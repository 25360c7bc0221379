import { Redis } from 'ioredis';
import type { ExpiringStore } from './expiring-store.ts';

/** Redis store for the distributed mode; every key is written with a TTL. */
export class RedisExpiringStore implements ExpiringStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redisUrl: string, prefix: string) {
    this.#redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    this.#prefix = prefix;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(this.#prefix + key, '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async hit(key: string, windowMs: number): Promise<number> {
    const k = this.#prefix + key;
    const [[, count]] = (await this.#redis.multi().incr(k).pexpire(k, windowMs, 'NX').exec()) as [
      [unknown, number],
    ];
    return count;
  }

  async getOrSet(key: string, value: string, ttlMs: number): Promise<string> {
    const k = this.#prefix + key;
    const previous = await this.#redis.set(k, value, 'PX', ttlMs, 'NX', 'GET');
    if (previous === null) return value;
    await this.#redis.pexpire(k, ttlMs);
    return previous;
  }

  async get(key: string): Promise<string | null> {
    return this.#redis.get(this.#prefix + key);
  }

  async delete(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => {});
  }
}
