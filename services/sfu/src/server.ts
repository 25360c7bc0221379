import {
  createLogger,
  type EventBus,
  JoinTokenVerifier,
  type Logger,
  type NodeRegistry,
  type SfuNodeInfo,
} from '@conclave/runtime';
import Fastify, { type FastifyInstance } from 'fastify';
import { boundPublicUrl, normalizeNodeUrl, type SfuConfig } from './config.ts';
import { WorkerPool } from './media/worker-pool.ts';
import { NodeHeartbeat } from './registry/heartbeat.ts';
import { RoomDirectory } from './rtc/room-directory.ts';
import { healthPlugin } from './service/health.ts';
import { SfuMetrics } from './service/metrics.ts';
import { registerWebSockets, signalingPlugin } from './service/signaling.ts';

/** What the SFU is wired to; chosen once by the caller (embedded or distributed). */
export interface SfuDeps {
  /** `room.ended` / `session.removed` from the API; host removals are published on it. */
  bus?: EventBus;
  /** Where this node announces itself; none when a single node is configured statically. */
  registry?: NodeRegistry;
  log?: Logger;
}

export interface SfuServer {
  readonly app: FastifyInstance;
  readonly rooms: RoomDirectory;
  readonly pool: WorkerPool;
  readonly metrics: SfuMetrics;
  readonly config: SfuConfig;
  /** The URL clients reach this node at (`config.publicUrl`, with the bound port for port 0). */
  readonly publicUrl: string;
  /** This node as the registry sees it. */
  nodeInfo(): Omit<SfuNodeInfo, 'updatedAt'>;
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  /** No new rooms; waits for rooms to end (up to `timeoutMs`), then closes. */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Builds an SFU node (workers started, HTTP not yet listening). */
export async function createSfuServer(config: SfuConfig, deps: SfuDeps = {}): Promise<SfuServer> {
  const log = deps.log ?? createLogger({ service: 'sfu', level: config.logLevel });
  const verifier = new JoinTokenVerifier(config.joinTokenPublicKeys);
  const pool = await WorkerPool.create({
    size: config.workers,
    listenIp: config.rtc.listenIp,
    announcedIp: config.rtc.announcedIp,
    portBase: config.rtc.portBase,
    minPort: config.rtc.minPort,
    maxPort: config.rtc.maxPort,
    workerBin: config.workerBin,
    log,
  });
  const rooms = new RoomDirectory({
    pool,
    log,
    routerMaxPeers: config.routerMaxPeers,
    roomMaxPeers: config.roomMaxPeers,
    audibleSpeakers: config.audibleSpeakers,
    initialOutgoingBitrate: config.rtc.initialOutgoingBitrate,
  });
  const metrics = new SfuMetrics();
  metrics.observe(rooms);

  // The node's identity as join tokens name it (their `sfu` claim, written by the API).
  let publicUrl = config.publicUrl;
  const acceptedUrls = new Set(
    (config.acceptedUrls ?? []).map(normalizeNodeUrl).filter((url): url is string => url !== undefined),
  );
  const isThisNode = (claim: string): boolean => {
    const url = normalizeNodeUrl(claim);
    return url !== undefined && (url === normalizeNodeUrl(publicUrl) || acceptedUrls.has(url));
  };

  const unsubscribe = deps.bus?.subscribe((event) => {
    if (event.type === 'room.ended') rooms.endRoom(event.room);
    else if (event.type === 'session.removed') rooms.removeSession(event.room, event.sid);
  });

  // Fastify's own request logging would record client IPs: off; the SFU logs its own events.
  const app = Fastify({ logger: false, bodyLimit: 1024 });
  await registerWebSockets(app, config.maxMessageBytes);
  await app.register(healthPlugin, { rooms, metrics });
  await app.register(signalingPlugin, {
    rooms,
    verifier,
    isThisNode,
    bus: deps.bus,
    metrics,
    log,
    maxMessageBytes: config.maxMessageBytes,
    helloTimeoutMs: config.helloTimeoutMs,
  });

  const nodeInfo = (): Omit<SfuNodeInfo, 'updatedAt'> => {
    const peers = rooms.rooms().reduce((n, room) => n + room.peerCount, 0);
    const workers = pool.slots().length;
    return {
      id: config.nodeId,
      url: publicUrl,
      load: peers / Math.max(1, config.workers * config.routerMaxPeers),
      rooms: rooms.rooms().length,
      peers,
      workers,
      draining: rooms.draining || workers === 0,
    };
  };
  const heartbeat = deps.registry
    ? new NodeHeartbeat(deps.registry, () => ({ info: nodeInfo(), rooms: rooms.rooms().map((r) => r.id) }), {
        onError: (error) => log.warn({ event: 'registry_heartbeat_failed', err: error }),
      })
    : undefined;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      unsubscribe?.();
      await heartbeat?.stop();
      rooms.close();
      await app.close();
      pool.close();
      log.info({ event: 'sfu_stopped' });
    })();
    return closed;
  };

  return {
    app,
    rooms,
    pool,
    metrics,
    config,
    get publicUrl() {
      return publicUrl;
    },
    nodeInfo,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      publicUrl = boundPublicUrl(config.publicUrl, port);
      log.info({ event: 'sfu_listening', port, workers: pool.size });
      await heartbeat?.beat();
      return port;
    },
    async drain(timeoutMs = config.drainTimeoutMs) {
      log.info({ event: 'sfu_draining', count: rooms.rooms().length });
      const drained = rooms.drain(timeoutMs);
      await heartbeat?.beat();
      await drained;
      await close();
    },
    close,
  };
}

/** Creates and starts an SFU node: what the embedded stack and `main.ts` call. */
export async function startSfu(config: SfuConfig, deps: SfuDeps = {}): Promise<SfuServer & { port: number }> {
  const server = await createSfuServer(config, deps);
  try {
    const port = await server.listen();
    return Object.assign(server, { port });
  } catch (error) {
    await server.close();
    throw error;
  }
}
