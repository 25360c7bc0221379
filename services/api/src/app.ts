import { randomBytes } from 'node:crypto';
import { API_ERRORS } from '@conclave/protocol';
import type { Logger } from '@conclave/runtime';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { type ApiConfig, trustProxySetting } from './config.ts';
import { ApiError } from './http/api-error.ts';
import { RateLimiter } from './http/rate-limiter.ts';
import { MeetingLifecycle } from './meetings/meeting-lifecycle.ts';
import { RoomIdleness } from './meetings/room-idleness.ts';
import { type ApiMetrics, createMetrics } from './observability/metrics.ts';
import { logsRequest } from './observability/request-log.ts';
import { Lobby } from './lobby/lobby.ts';
import { RejoinSecrets } from './lobby/rejoin.ts';
import { emptyBodyAsObject, joinRoutes } from './routes/join.ts';
import { lobbyRoutes } from './routes/lobby.ts';
import { meetingRoutes } from './routes/meetings.ts';
import { operationsRoutes } from './routes/operations.ts';
import { JoinStateSealer } from './srp/sealed-state.ts';
import { deriveStateKeys } from './state-keys.ts';
import { NoSfuAvailableError } from './sfu/sfu-selector.ts';
import { SrpServer } from './srp/srp-server.ts';
import { TurnCredentials } from './sfu/turn-credentials.ts';
import type { ApiDeps } from './wiring.ts';

export interface ApiApp {
  app: FastifyInstance;
  lifecycle: MeetingLifecycle;
  metrics: ApiMetrics;
  /** Stops taking new work (readiness fails), then closes the server and its dependencies. */
  shutdown(): Promise<void>;
}

const BODY_LIMIT_BYTES = 16 * 1024;
const IDLE_SOCKET_MS = 60_000;

export async function buildApi(config: ApiConfig, deps: ApiDeps, log: Logger): Promise<ApiApp> {
  const metrics = createMetrics();
  const stateKeys = deriveStateKeys(deps.stateKey);
  const lobby = new Lobby(deps.ephemeral, deps.bus);
  const rejoins = new RejoinSecrets(deps.ephemeral, deps.bus);
  const lifecycle = new MeetingLifecycle(deps.meetings, deps.bus, deps.jobs, log, {
    lobby,
    endRepeatMs: config.CONCLAVE_END_REPEAT_SECONDS * 1000,
    idleness: new RoomIdleness(config.CONCLAVE_PERMANENT_ROOM_IDLE_DAYS),
  });
  const limiter = new RateLimiter(
    deps.ephemeral,
    stateKeys.bucketing,
    config.CONCLAVE_FAILED_JOINS_PER_SOURCE,
    config.CONCLAVE_RATE_PER_SOURCE,
  );
  const srp = new SrpServer();
  let draining = false;

  const app = Fastify({
    loggerInstance: log,
    // Request logs are written by the onResponse hook below with an explicit field list.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Against slow-header and slow-body clients: the whole request must arrive in time, checked
    // every second; an idle socket is dropped after a minute (long polls answer within 25 s).
    requestTimeout: config.CONCLAVE_REQUEST_TIMEOUT_SECONDS * 1000,
    connectionTimeout: IDLE_SOCKET_MS,
    http: {
      headersTimeout: config.CONCLAVE_REQUEST_TIMEOUT_SECONDS * 1000,
      connectionsCheckingInterval: 1000,
    },
    trustProxy: trustProxySetting(config.CONCLAVE_TRUST_PROXY),
    genReqId: () => randomBytes(8).toString('hex'),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Routes whose body may be left out (they fill in `{}` before validation). @fastify/swagger
  // marks every body as required, so the document is corrected for these.
  const optionalBodies = new Set<string>();
  app.addHook('onRoute', (route) => {
    const hooks = [route.preValidation ?? []].flat();
    if (!hooks.includes(emptyBodyAsObject)) return;
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of [route.method].flat()) optionalBodies.add(`${method.toLowerCase()} ${path}`);
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Conclave meeting API',
        version: '1.0.0',
        description: 'Meetings, the SRP-6a join and join tokens. The server never sees meeting passwords.',
      },
    },
    transformObject: (documentObject) => {
      const document =
        'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject;
      const paths = (document.paths ?? {}) as Record<
        string,
        Record<string, { requestBody?: { required?: boolean } }>
      >;
      for (const [path, operations] of Object.entries(paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          if (operation.requestBody && optionalBodies.has(`${method} ${path}`))
            operation.requestBody.required = false;
        }
      }
      return document;
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-content-type-options', 'nosniff');
    // While stopping, no connection is kept alive: the server closes once the last answer is out.
    if (draining) reply.header('connection', 'close');
    // The per-source limit guards the API (/v1). Operations endpoints and, in embedded mode, the
    // web client's own files are not counted: one page load fetches every file of the client, and
    // many people behind one NAT address would otherwise use up each other's API allowance.
    if (request.url.startsWith('/v1/')) await limiter.checkSource(request.ip);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.requests.observe({ route, method: request.method, status: String(reply.statusCode) }, seconds);
    if (logsRequest(route)) {
      log.info(
        {
          event: 'request',
          route,
          method: request.method,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request',
      );
    }
  });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ApiError) {
      return reply.code(error.statusCode).send({ error: error.code, message: error.message });
    }
    if (error instanceof NoSfuAvailableError) {
      return reply
        .code(API_ERRORS.unavailable)
        .send({ error: 'unavailable', message: 'no media server is available' });
    }
    const err = error as { validation?: unknown; statusCode?: number; code?: string; message: string };
    if (err.validation) return reply.code(400).send({ error: 'bad_request', message: err.message });
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'payload_too_large', message: 'request body too large' });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: 'bad_request', message: err.message });
    }
    log.error({ event: 'unhandled_error', err: error }, 'unhandled error');
    return reply.code(API_ERRORS.internal).send({ error: 'internal', message: 'internal error' });
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: 'not_found', message: 'no such route' }),
  );

  await app.register(operationsRoutes, { metrics, db: deps.db, isDraining: () => draining });
  await app.register(meetingRoutes, {
    meetings: deps.meetings,
    creationKeys: deps.creationKeys,
    lifecycle,
    creation: config.CONCLAVE_CREATION,
    defaultMeetingHours: config.CONCLAVE_DEFAULT_MEETING_HOURS,
    maxPermanentRooms: config.CONCLAVE_MAX_PERMANENT_ROOMS,
    srp,
    rejoins,
  });
  const joinOptions = {
    meetings: deps.meetings,
    lifecycle,
    srp,
    sealer: new JoinStateSealer(stateKeys.sealing),
    ephemeral: deps.ephemeral,
    limiter,
    signer: deps.signer,
    publicKeys: deps.publicKeys,
    sfu: deps.sfu,
    dsUrl: config.CONCLAVE_DS_URL,
    turn:
      config.CONCLAVE_TURN_SECRET && config.CONCLAVE_TURN_URLS
        ? new TurnCredentials(
            config.CONCLAVE_TURN_SECRET,
            config.CONCLAVE_TURN_URLS.split(','),
            config.CONCLAVE_TURN_TTL_SECONDS,
          )
        : undefined,
    metrics,
    rejoins,
    keyRotationSeconds: config.CONCLAVE_KEY_ROTATION_SECONDS,
  };
  await app.register(joinRoutes, joinOptions);
  await app.register(lobbyRoutes, { ...joinOptions, lobby });
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await deps.jobs.start();
  await lifecycle.reconcile();

  return {
    app: app as unknown as FastifyInstance,
    lifecycle,
    metrics,
    async shutdown() {
      draining = true;
      // Long-polls answer first; app.close() then waits only for requests already running.
      lobby.close();
      await app.close();
      rejoins.close();
      await deps.close();
    },
  };
}
