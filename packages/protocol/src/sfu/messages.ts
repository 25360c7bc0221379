import { type Static, type TSchema, Type } from 'typebox';
import { SfuError } from './errors.ts';
import { DtlsParameters, IceCandidate, IceParameters, RtpCapabilities, RtpParameters, SfuId } from './rtp.ts';

/**
 * Signaling between a client and an SFU node over one WebSocket (`/v1/sfu`).
 *
 * 1. Client sends `hello` with its join token (in the first message, so tokens stay out of
 *    access logs); server answers `welcome` or an `error` followed by a close (SfuCloseCode).
 * 2. Then JSON requests `{type:'request', id, method, data}` each answered by exactly one
 *    `{type:'response', id, ok:true, data}` or `{type:'response', id, ok:false, error}`.
 * 3. The server pushes `{type:'notification', method, data}` at any time.
 */
export const SFU_PROTOCOL_VERSION = 1;
export const SFU_WS_PATH = '/v1/sfu';

export const MediaKind = Type.Union([Type.Literal('audio'), Type.Literal('video')]);
export type MediaKind = Static<typeof MediaKind>;

/** What a producer carries. `mic` is audio; `camera` and `screen` are video. */
export const MediaSource = Type.Union([Type.Literal('mic'), Type.Literal('camera'), Type.Literal('screen')]);
export type MediaSource = Static<typeof MediaSource>;

export const TransportDirection = Type.Union([Type.Literal('send'), Type.Literal('recv')]);
export type TransportDirection = Static<typeof TransportDirection>;

/** A producer as other peers see it. `peerId` is random per connection, never the session ID. */
export const ProducerInfo = Type.Object(
  {
    producerId: SfuId,
    peerId: SfuId,
    kind: MediaKind,
    source: MediaSource,
    paused: Type.Boolean(),
    /** Paused by the host: only the host can allow its owner to resume it. */
    lockedByHost: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type ProducerInfo = Static<typeof ProducerInfo>;

// ---- hello / welcome -------------------------------------------------------------------

export const SfuHello = Type.Object(
  {
    type: Type.Literal('hello'),
    v: Type.Integer({ minimum: 1, maximum: 1000 }),
    token: Type.String({ minLength: 1, maxLength: 4096 }),
    /** Optional: the room the client expects; a token for another room is refused. */
    room: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type SfuHello = Static<typeof SfuHello>;

export const SfuWelcome = Type.Object(
  {
    type: Type.Literal('welcome'),
    v: Type.Literal(SFU_PROTOCOL_VERSION),
    peerId: SfuId,
    role: Type.Union([Type.Literal('participant'), Type.Literal('host')]),
    rtpCapabilities: RtpCapabilities,
    producers: Type.Array(ProducerInfo),
    maxMessageBytes: Type.Integer(),
  },
  { additionalProperties: false },
);
export type SfuWelcome = Static<typeof SfuWelcome>;

// ---- requests ------------------------------------------------------------------------------

const Empty = Type.Object({}, { additionalProperties: false });
const TransportRef = Type.Object({ transportId: SfuId }, { additionalProperties: false });
const ProducerRef = Type.Object({ producerId: SfuId }, { additionalProperties: false });
const ConsumerRef = Type.Object({ consumerId: SfuId }, { additionalProperties: false });
const PeerRef = Type.Object({ peerId: SfuId }, { additionalProperties: false });

export const ConsumerInfo = Type.Object(
  {
    consumerId: SfuId,
    producerId: SfuId,
    peerId: SfuId,
    kind: MediaKind,
    source: MediaSource,
    rtpParameters: Type.Unknown(),
    type: Type.String(),
    /** Consumers always start paused: resume once the client's track is ready. */
    paused: Type.Boolean(),
    producerPaused: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type ConsumerInfo = Static<typeof ConsumerInfo>;

/** Every method: its request `data` schema and its successful response `data` schema. */
export const SfuMethods = {
  getRouterRtpCapabilities: { request: Empty, response: Type.Object({ rtpCapabilities: RtpCapabilities }) },
  listProducers: { request: Empty, response: Type.Object({ producers: Type.Array(ProducerInfo) }) },
  createWebRtcTransport: {
    request: Type.Object({ direction: TransportDirection }, { additionalProperties: false }),
    response: Type.Object({
      transportId: SfuId,
      iceParameters: IceParameters,
      iceCandidates: Type.Array(IceCandidate),
      dtlsParameters: Type.Unknown(),
    }),
  },
  connectWebRtcTransport: {
    request: Type.Object(
      { transportId: SfuId, dtlsParameters: DtlsParameters },
      { additionalProperties: false },
    ),
    response: Empty,
  },
  restartIce: { request: TransportRef, response: Type.Object({ iceParameters: IceParameters }) },
  closeTransport: { request: TransportRef, response: Empty },
  produce: {
    request: Type.Object(
      { transportId: SfuId, kind: MediaKind, source: MediaSource, rtpParameters: RtpParameters },
      { additionalProperties: false },
    ),
    response: Type.Object({ producerId: SfuId }),
  },
  closeProducer: { request: ProducerRef, response: Empty },
  pauseProducer: { request: ProducerRef, response: Empty },
  resumeProducer: { request: ProducerRef, response: Empty },
  consume: {
    request: Type.Object(
      { transportId: SfuId, producerId: SfuId, rtpCapabilities: RtpCapabilities },
      { additionalProperties: false },
    ),
    response: ConsumerInfo,
  },
  pauseConsumer: { request: ConsumerRef, response: Empty },
  resumeConsumer: { request: ConsumerRef, response: Empty },
  closeConsumer: { request: ConsumerRef, response: Empty },
  setConsumerPreferredLayers: {
    request: Type.Object(
      {
        consumerId: SfuId,
        spatialLayer: Type.Integer({ minimum: 0, maximum: 2 }),
        temporalLayer: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 })),
      },
      { additionalProperties: false },
    ),
    response: Empty,
  },
  setConsumerPriority: {
    request: Type.Object(
      { consumerId: SfuId, priority: Type.Integer({ minimum: 1, maximum: 255 }) },
      { additionalProperties: false },
    ),
    response: Empty,
  },
  requestKeyFrame: { request: ConsumerRef, response: Empty },
  /** Host: pause the peer's microphone and refuse its resume until `hostAllow`. */
  hostMute: { request: PeerRef, response: Empty },
  /** Host: pause the peer's camera and screen share and refuse resume until `hostAllow`. */
  hostStopVideo: { request: PeerRef, response: Empty },
  /** Host: let the peer resume (and produce) the given sources again. */
  hostAllow: {
    request: Type.Object(
      { peerId: SfuId, sources: Type.Array(MediaSource, { minItems: 1, maxItems: 3 }) },
      { additionalProperties: false },
    ),
    response: Empty,
  },
  /** Host: close the peer's transports and refuse its session's token from now on. */
  hostRemove: { request: PeerRef, response: Empty },
  /** Host: end the meeting for everyone (also announced on the event bus to the other services). */
  hostEndMeeting: { request: Empty, response: Empty },
} as const satisfies Record<string, { request: TSchema; response: TSchema }>;

export type SfuMethod = keyof typeof SfuMethods;
export type SfuRequestData<M extends SfuMethod> = Static<(typeof SfuMethods)[M]['request']>;
export type SfuResponseData<M extends SfuMethod> = Static<(typeof SfuMethods)[M]['response']>;

/** The request envelope; `data` is checked against `SfuMethods[method].request` afterwards. */
export const SfuRequest = Type.Object(
  {
    type: Type.Literal('request'),
    id: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    method: Type.String({ minLength: 1, maxLength: 64 }),
    data: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type SfuRequest = Static<typeof SfuRequest>;

export const SfuResponse = Type.Union([
  Type.Object({
    type: Type.Literal('response'),
    id: Type.Integer(),
    ok: Type.Literal(true),
    data: Type.Unknown(),
  }),
  Type.Object({
    type: Type.Literal('response'),
    id: Type.Integer(),
    ok: Type.Literal(false),
    error: SfuError,
  }),
]);
export type SfuResponse = Static<typeof SfuResponse>;

/** Sent for a message that has no usable request id, and before closing on a bad hello. */
export const SfuErrorMessage = Type.Object({ type: Type.Literal('error'), error: SfuError });
export type SfuErrorMessage = Static<typeof SfuErrorMessage>;

// ---- notifications (server → client) -------------------------------------------------------

export const SfuNotifications = {
  newProducer: ProducerInfo,
  producerClosed: Type.Object({ producerId: SfuId }),
  producerPaused: Type.Object({ producerId: SfuId, byHost: Type.Boolean() }),
  producerResumed: Type.Object({ producerId: SfuId }),
  peerLeft: Type.Object({ peerId: SfuId }),
  consumerClosed: Type.Object({ consumerId: SfuId }),
  consumerPaused: Type.Object({ consumerId: SfuId }),
  consumerResumed: Type.Object({ consumerId: SfuId }),
  /**
   * A microphone consumer the SFU stopped (`audible: false`) or started forwarding again: a
   * room with more open microphones than the SFU's limit forwards the most recently loud ones.
   */
  consumerAudible: Type.Object({ consumerId: SfuId, audible: Type.Boolean() }),
  consumerLayersChanged: Type.Object({
    consumerId: SfuId,
    spatialLayer: Type.Union([Type.Integer(), Type.Null()]),
    temporalLayer: Type.Union([Type.Integer(), Type.Null()]),
  }),
  activeSpeaker: Type.Object({ producerId: SfuId, peerId: SfuId }),
  /** Volumes in dBvo (−127..0) of the loudest audio producers, a few times a second. */
  audioLevels: Type.Object({
    levels: Type.Array(Type.Object({ producerId: SfuId, peerId: SfuId, volume: Type.Number() })),
  }),
  /** Sent to the target of a host action. */
  hostAction: Type.Object({
    action: Type.Union([Type.Literal('mute'), Type.Literal('stopVideo'), Type.Literal('allow')]),
    sources: Type.Array(MediaSource),
  }),
  /** The media worker serving this peer restarted: all its transports are gone; create new ones. */
  transportsReset: Type.Object({ reason: Type.Literal('worker_restarted') }),
  roomEnded: Type.Object({}),
} as const satisfies Record<string, TSchema>;

export type SfuNotificationMethod = keyof typeof SfuNotifications;
export type SfuNotificationData<M extends SfuNotificationMethod> = Static<(typeof SfuNotifications)[M]>;

export type SfuNotification = {
  [M in SfuNotificationMethod]: { type: 'notification'; method: M; data: SfuNotificationData<M> };
}[SfuNotificationMethod];

export type SfuServerMessage = SfuWelcome | SfuResponse | SfuErrorMessage | SfuNotification;
