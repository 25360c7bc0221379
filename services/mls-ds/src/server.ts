import websocket from '@fastify/websocket';
import { DS_PATH } from '@conclave/protocol';
import {
  BullMqJobScheduler,
  createLogger,
  type EventBus,
  type JobScheduler,
  JoinTokenVerifier,
  LocalEventBus,
  LocalJobScheduler,
  type Logger,
  parseJoinTokenPublicKeys,
  RedisEventBus,
} from '@conclave/runtime';
import Fastify, { type FastifyInstance } from 'fastify';
import { checkDsSettings, type DsSettings, type DsStartConfig } from './config.ts';
import { DeliveryService } from './delivery-service.ts';
import { DsMetrics } from './metrics.ts';
import type { GroupStateStore, StoreLimits } from './state/group-state-store.ts';
import { MemoryGroupStateStore } from './state/memory-store.ts';
import { RedisGroupStateStore } from './state/redis-store.ts';

export interface DsServerOptions {
  /** Without JOIN_TOKEN_PUBLIC_KEYS, `verifier` is required. */
  config: DsStartConfig;
  store: GroupStateStore;
  bus: EventBus;
  scheduler: JobScheduler;
  logger?: Logger;
  metrics?: DsMetrics;
  verifier?: JoinTokenVerifier;
}

export interface DsServer {
  app: FastifyInstance;
  service: DeliveryService;
  metrics: DsMetrics;
}

export function storeLimits(config: DsSettings): StoreLimits {
  return {
    resumeGraceMs: config.DS_RESUME_GRACE_MS,
    commitDeadlineMs: config.DS_COMMIT_DEADLINE_MS,
    maxCommitBatch: config.DS_MAX_COMMIT_BATCH,
    replayEvents: config.DS_REPLAY_EVENTS,
    stateTtlMs: config.DS_STATE_TTL_SECONDS * 1000,
    maxPendingKeyPackages: config.DS_MAX_PENDING_KEY_PACKAGES,
    maxGroupMembers: config.DS_MAX_GROUP_MEMBERS,
  };
}

/**
 * Builds the DS as a fastify app from its parts: the embedded stack passes in-process
 * adapters, `startDs` the ones its configuration names. Nothing is listening yet.
 */
export async function createDsServer(options: DsServerOptions): Promise<DsServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ service: 'mls-ds', level: config.LOG_LEVEL });
  const metrics = options.metrics ?? new DsMetrics();
  const verifier =
    options.verifier ?? new JoinTokenVerifier(parseJoinTokenPublicKeys(config.JOIN_TOKEN_PUBLIC_KEYS ?? ''));
  const service = new DeliveryService({
    config,
    store: options.store,
    verifier,
    bus: options.bus,
    scheduler: options.scheduler,
    metrics,
    logger,
  });
  // No request logging: access logs would record who connected when.
  const app = Fastify({ logger: false });
  await app.register(websocket, { options: { maxPayload: config.DS_MAX_MESSAGE_BYTES } });

  app.get(DS_PATH, { websocket: true }, (socket) => service.accept(socket));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = !service.closing && (await options.store.ping());
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable' });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  service.start();
  app.addHook('onClose', async () => {
    await service.close();
  });
  return { app, service, metrics };
}

export interface RunningDs {
  /** ws:// URL of the DS endpoint. */
  url: string;
  port: number;
  server: DsServer;
  close(): Promise<void>;
}

/**
 * Starts a DS from its configuration: Redis store, bus and BullMQ purge jobs when REDIS_URL
 * is set (distributed mode), in-process adapters otherwise (embedded mode).
 */
export async function startDs(
  config: DsStartConfig,
  overrides: Partial<DsServerOptions> = {},
): Promise<RunningDs> {
  checkDsSettings(config);
  const logger = overrides.logger ?? createLogger({ service: 'mls-ds', level: config.LOG_LEVEL });
  const onJobError = (kind: string, error: unknown) => logger.warn({ event: 'job_failed', kind, err: error });
  let store = overrides.store;
  let bus = overrides.bus;
  let scheduler = overrides.scheduler;
  const owned: { close(): Promise<void> }[] = [];
  if (config.REDIS_URL) {
    store ??= new RedisGroupStateStore(config.REDIS_URL, storeLimits(config));
    if (!bus) {
      const redisBus = new RedisEventBus(config.REDIS_URL);
      await redisBus.ready();
      bus = redisBus;
    }
    scheduler ??= new BullMqJobScheduler(config.REDIS_URL, 'conclave-ds-purge', onJobError);
  } else {
    store ??= new MemoryGroupStateStore(storeLimits(config));
    bus ??= new LocalEventBus();
    scheduler ??= new LocalJobScheduler(onJobError);
  }
  if (!overrides.store) owned.push(store);
  if (!overrides.bus) owned.push(bus);
  if (!overrides.scheduler) owned.push(scheduler);
  const server = await createDsServer({ ...overrides, config, store, bus, scheduler, logger });
  await scheduler.start();
  await server.app.listen({ host: config.DS_HOST, port: config.DS_PORT });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.DS_PORT;
  const host = config.DS_HOST === '0.0.0.0' ? '127.0.0.1' : config.DS_HOST;
  logger.info({ event: 'listening', port, mode: config.REDIS_URL ? 'distributed' : 'embedded' });
  let closed: Promise<void> | undefined;
  return {
    url: `ws://${host}:${port}${DS_PATH}`,
    port,
    server,
    close: () => {
      closed ??= (async () => {
        await server.app.close();
        for (const o of owned.reverse()) await o.close().catch(() => {});
      })();
      return closed;
    },
  };
}
