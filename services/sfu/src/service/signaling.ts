import {
  SFU_PROTOCOL_VERSION,
  SFU_WS_PATH,
  SfuCloseCode,
  type SfuError,
  type SfuErrorCode,
  SfuHello,
  type SfuMethod,
  SfuMethods,
  SfuRequest,
  type SfuServerMessage,
} from '@conclave/protocol';
import type { EventBus, JoinTokenVerifier, Logger } from '@conclave/runtime';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { WebSocket } from 'ws';
import type { PeerConnection } from '../rtc/connection.ts';
import { SfuFailure } from '../rtc/failure.ts';
import type { Peer } from '../rtc/peer.ts';
import type { RoomDirectory } from '../rtc/room-directory.ts';
import { type HandlerContext, handlers, isHostMethod } from './handlers.ts';
import type { SfuMetrics } from './metrics.ts';

export interface SignalingOptions {
  rooms: RoomDirectory;
  verifier: JoinTokenVerifier;
  /** Whether a token's `sfu` claim names this node. */
  isThisNode: (sfuClaim: string) => boolean;
  bus?: EventBus;
  metrics: SfuMetrics;
  log: Logger;
  maxMessageBytes: number;
  helloTimeoutMs: number;
}

/** Frames above this are cut by the WebSocket layer itself (close 1009). */
const HARD_LIMIT_FACTOR = 4;
/** Requests waiting behind the one being handled; more are refused, not buffered. */
const MAX_QUEUED_REQUESTS = 64;

const CLOSE_FOR_HELLO_ERROR: Partial<Record<SfuErrorCode, number>> = {
  token_invalid: SfuCloseCode.tokenInvalid,
  token_wrong_room: SfuCloseCode.tokenInvalid,
  token_wrong_node: SfuCloseCode.tokenInvalid,
  session_removed: SfuCloseCode.removed,
  draining: SfuCloseCode.tryAgainLater,
  capacity: SfuCloseCode.tryAgainLater,
  media_unavailable: SfuCloseCode.tryAgainLater,
};

/**
 * Registers WebSocket support on the server's root instance (`app` must be it): the upgrade
 * handling then covers every path, so an upgrade to an unknown one gets its 404 and a closed
 * socket. Registered inside an encapsulated plugin, such sockets stayed open and held up
 * `close()` for good.
 */
export async function registerWebSockets(app: FastifyInstance, maxMessageBytes: number): Promise<void> {
  await app.register(websocket, {
    options: { maxPayload: maxMessageBytes * HARD_LIMIT_FACTOR, perMessageDeflate: false },
  });
}

/** The `/v1/sfu` WebSocket: hello with a join token, then request/response and notifications. */
export async function signalingPlugin(app: FastifyInstance, options: SignalingOptions): Promise<void> {
  app.get(SFU_WS_PATH, { websocket: true }, (socket) => {
    new SignalingSession(socket, options);
  });
}

function firstProblem(schema: TSchema, value: unknown): string {
  for (const error of Value.Errors(schema, value))
    return `${error.instancePath || '(data)'} ${error.message}`;
  return 'invalid';
}

class SignalingSession implements PeerConnection {
  readonly #socket: WebSocket;
  readonly #o: SignalingOptions;
  #peer: Peer | undefined;
  #state: 'hello' | 'joining' | 'joined' | 'closed' = 'hello';
  /** Requests run one after another, in order, per connection. */
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;
  readonly #helloTimer: NodeJS.Timeout;

  constructor(socket: WebSocket, options: SignalingOptions) {
    this.#socket = socket;
    this.#o = options;
    options.metrics.connections.inc();
    this.#helloTimer = setTimeout(() => {
      if (this.#state === 'hello')
        this.#fail({ code: 'not_joined', message: 'no hello' }, SfuCloseCode.protocolError);
    }, options.helloTimeoutMs);
    socket.on('message', (raw: Buffer, isBinary: boolean) => this.#onMessage(raw, isBinary));
    socket.on('close', () => this.#onClose());
    socket.on('error', () => undefined);
  }

  // ---- PeerConnection ----------------------------------------------------------------------

  notify: PeerConnection['notify'] = (method, data) => {
    this.#send({ type: 'notification', method, data } as SfuServerMessage);
  };

  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#socket.close(code, reason);
  }

  // ---- transport ---------------------------------------------------------------------------

  #send(message: SfuServerMessage): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #error(error: SfuError): void {
    this.#send({ type: 'error', error });
  }

  #fail(error: SfuError, code: number): void {
    this.#error(error);
    this.#o.log.info({ event: 'signaling_refused', code: error.code });
    this.close(code, error.code);
  }

  #onClose(): void {
    clearTimeout(this.#helloTimer);
    this.#state = 'closed';
    this.#o.metrics.connections.dec();
    this.#peer?.close();
  }

  #onMessage(raw: Buffer, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    if (raw.length > this.#o.maxMessageBytes) {
      const error: SfuError = {
        code: 'message_too_large',
        message: `limit is ${this.#o.maxMessageBytes} bytes`,
      };
      if (this.#state === 'hello') this.#fail(error, SfuCloseCode.protocolError);
      else this.#error(error);
      return;
    }
    let message: unknown;
    try {
      if (isBinary) throw new Error('binary');
      message = JSON.parse(raw.toString('utf8'));
    } catch {
      const error: SfuError = { code: 'bad_message', message: 'expected a JSON text message' };
      if (this.#state === 'hello') this.#fail(error, SfuCloseCode.protocolError);
      else this.#error(error);
      return;
    }
    if (this.#state === 'hello') {
      this.#state = 'joining';
      this.#queue = this.#hello(message);
      return;
    }
    if (this.#queued >= MAX_QUEUED_REQUESTS) {
      const id = (message as { id?: unknown } | null)?.id;
      const error: SfuError = { code: 'limit_reached', message: 'too many requests in flight' };
      if (typeof id === 'number' && Number.isSafeInteger(id))
        this.#send({ type: 'response', id, ok: false, error });
      else this.#error(error);
      return;
    }
    // Requests sent right after hello wait for the welcome.
    this.#queued++;
    this.#queue = this.#queue.then(() => this.#request(message)).finally(() => this.#queued--);
  }

  async #hello(message: unknown): Promise<void> {
    if (!Value.Check(SfuHello, message)) {
      this.#fail(
        { code: 'bad_message', message: `expected hello: ${firstProblem(SfuHello, message)}` },
        SfuCloseCode.protocolError,
      );
      return;
    }
    if (message.v !== SFU_PROTOCOL_VERSION) {
      this.#fail(
        { code: 'unsupported_version', message: `this server speaks v${SFU_PROTOCOL_VERSION}` },
        SfuCloseCode.protocolError,
      );
      return;
    }
    const verified = this.#o.verifier.verify(message.token);
    if (!verified.ok) {
      this.#fail({ code: 'token_invalid', message: verified.error.code }, SfuCloseCode.tokenInvalid);
      return;
    }
    const claims = verified.claims;
    if (message.room !== undefined && message.room !== claims.room) {
      this.#fail(
        { code: 'token_wrong_room', message: 'token is for another room' },
        SfuCloseCode.tokenInvalid,
      );
      return;
    }
    if (!this.#o.isThisNode(claims.sfu)) {
      // A token the API issued for another node: a client that kept an old token after its
      // room moved, or an API whose SFU URL does not match this node's SFU_PUBLIC_URL.
      this.#o.log.warn({ event: 'token_for_other_node' });
      this.#fail(
        { code: 'token_wrong_node', message: 'token is for another SFU node: get a new one from the API' },
        SfuCloseCode.tokenInvalid,
      );
      return;
    }
    try {
      const peer = this.#o.rooms.join(claims, this);
      this.#peer = peer;
      const rtpCapabilities = await peer.room.rtpCapabilities(peer);
      if ((this.#state as string) === 'closed') {
        peer.close();
        return;
      }
      clearTimeout(this.#helloTimer);
      this.#state = 'joined';
      this.#send({
        type: 'welcome',
        v: SFU_PROTOCOL_VERSION,
        peerId: peer.id,
        role: claims.role,
        rtpCapabilities: rtpCapabilities as never,
        producers: peer.room.producerInfos(),
        maxMessageBytes: this.#o.maxMessageBytes,
      });
      // Speakers are announced when they change: a newcomer is told who is speaking now.
      const speaking = peer.room.activeSpeaker;
      if (speaking) this.notify('activeSpeaker', speaking);
    } catch (error) {
      const failure = error instanceof SfuFailure ? error : new SfuFailure('internal', 'internal error');
      this.#peer?.close();
      this.#fail(
        { code: failure.code, message: failure.message },
        CLOSE_FOR_HELLO_ERROR[failure.code] ?? SfuCloseCode.internal,
      );
    }
  }

  async #request(message: unknown): Promise<void> {
    const peer = this.#peer;
    if (!peer || peer.closed || this.#state !== 'joined') return;
    if (!Value.Check(SfuRequest, message)) {
      const id = (message as { id?: unknown } | null)?.id;
      const error: SfuError = { code: 'bad_message', message: firstProblem(SfuRequest, message) };
      if (typeof id === 'number' && Number.isSafeInteger(id))
        this.#send({ type: 'response', id, ok: false, error });
      else this.#error(error);
      return;
    }
    const { id, method } = message;
    const started = performance.now();
    const outcome = await this.#dispatch(peer, method, message.data ?? {});
    this.#o.metrics.requests.inc({
      method: Object.hasOwn(SfuMethods, method) ? method : 'unknown',
      outcome: outcome.ok ? 'ok' : outcome.error.code,
    });
    this.#o.metrics.requestSeconds.observe((performance.now() - started) / 1000);
    this.#send(
      outcome.ok
        ? { type: 'response', id, ok: true, data: outcome.data }
        : { type: 'response', id, ...outcome },
    );
  }

  async #dispatch(
    peer: Peer,
    method: string,
    data: unknown,
  ): Promise<{ ok: true; data: unknown } | { ok: false; error: SfuError }> {
    if (!Object.hasOwn(SfuMethods, method)) {
      return {
        ok: false,
        error: { code: 'unknown_method', message: `unknown method ${method.slice(0, 64)}` },
      };
    }
    const m = method as SfuMethod;
    const schema = SfuMethods[m].request;
    if (!Value.Check(schema, data)) {
      return { ok: false, error: { code: 'invalid_request', message: firstProblem(schema, data) } };
    }
    if (isHostMethod(m) && !peer.isHost) {
      return { ok: false, error: { code: 'forbidden', message: 'only the host can do this' } };
    }
    const ctx: HandlerContext = { peer, rooms: this.#o.rooms, bus: this.#o.bus };
    try {
      const handler = handlers[m] as (ctx: HandlerContext, data: unknown) => unknown;
      return { ok: true, data: await handler(ctx, data) };
    } catch (error) {
      if (error instanceof SfuFailure)
        return { ok: false, error: { code: error.code, message: error.message } };
      const name = error instanceof Error ? error.name : 'unknown';
      if (name === 'InvalidStateError') {
        return { ok: false, error: { code: 'media_unavailable', message: 'media worker unavailable' } };
      }
      this.#o.log.error({ event: 'request_failed', method: m, err: error });
      return { ok: false, error: { code: 'internal', message: 'internal error' } };
    }
  }
}
