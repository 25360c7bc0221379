import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { JoinTokenClaims } from '@conclave/protocol';
import { JoinTokenSigner, LocalEventBus, LocalJobScheduler, type EventBus } from '@conclave/runtime';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { type DsConfig, loadDsConfig } from '../config.ts';
import { startDs, storeLimits, type RunningDs } from '../server.ts';
import type { GroupStateStore } from '../state/group-state-store.ts';
import { MemoryGroupStateStore } from '../state/memory-store.ts';
import { RedisGroupStateStore } from '../state/redis-store.ts';

export function requireRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) {
    throw new Error(
      'REDIS_URL is not set: these tests need a real Redis. Run `f=$(scripts/test-infra.sh start) && . $f` first (make test does this).',
    );
  }
  return url;
}

/** Every Redis key whose name contains `needle`. */
export async function keysContaining(redis: Redis, needle: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${needle}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

export function newSigner(): JoinTokenSigner {
  const { privateKey } = generateKeyPairSync('ed25519');
  return new JoinTokenSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

export function randomId(): string {
  return randomBytes(16).toString('base64url');
}

export function tokenFor(
  signer: JoinTokenSigner,
  grp: string,
  overrides: Partial<JoinTokenClaims> = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  return signer.sign({
    v: 1,
    sid: randomId(),
    room: `room-${grp}`.slice(0, 60),
    grp,
    role: 'participant',
    sfu: 'ws://127.0.0.1:1/v1/sfu',
    ds: 'ws://127.0.0.1:1/v1/ds',
    iat: now,
    exp: now + 60,
    ...overrides,
  });
}

export function testConfig(signer: JoinTokenSigner, env: Record<string, string> = {}): DsConfig {
  return loadDsConfig({
    DS_HOST: '127.0.0.1',
    DS_PORT: '0',
    JOIN_TOKEN_PUBLIC_KEYS: signer.publicKeyPem,
    DS_RESUME_GRACE_MS: '1500',
    DS_COMMIT_DEADLINE_MS: '1500',
    DS_MAINTAIN_INTERVAL_MS: '200',
    DS_PING_INTERVAL_MS: '1000',
    DS_AUTH_TIMEOUT_MS: '1000',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export interface Cluster {
  instances: RunningDs[];
  stores: GroupStateStore[];
  /** The in-process scheduler the instances share; absent with Redis (its jobs are Redis keys). */
  localScheduler?: LocalJobScheduler;
  close(): Promise<void>;
}

/**
 * Starts `count` DS instances. With Redis they share state through it like separate
 * processes would (each has its own connections); without, they share one in-process store.
 */
export async function startCluster(
  signer: JoinTokenSigner,
  options: { count?: number; redis?: boolean; env?: Record<string, string> } = {},
): Promise<Cluster> {
  const count = options.count ?? 1;
  const config = testConfig(signer, options.env);
  const silent = pino({ level: 'silent' });
  const instances: RunningDs[] = [];
  const stores: GroupStateStore[] = [];
  const shared = {
    store: new MemoryGroupStateStore(storeLimits(config)) as GroupStateStore,
    bus: new LocalEventBus() as EventBus,
    scheduler: new LocalJobScheduler(),
  };
  for (let i = 0; i < count; i++) {
    if (options.redis) {
      const ds = await startDs({ ...config, REDIS_URL: requireRedisUrl() }, { logger: silent });
      instances.push(ds);
      stores.push(ds.server.service.store);
    } else {
      const ds = await startDs(config, { ...shared, logger: silent });
      instances.push(ds);
      stores.push(shared.store);
    }
  }
  if (!options.redis) await shared.scheduler.start();
  return {
    instances,
    stores,
    ...(options.redis ? {} : { localScheduler: shared.scheduler }),
    async close() {
      await Promise.allSettled(instances.map((i) => i.close()));
      if (!options.redis) {
        await shared.scheduler.close();
        await shared.bus.close();
        await shared.store.close();
      }
    },
  };
}

export { RedisGroupStateStore };
