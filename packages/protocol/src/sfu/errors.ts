import { Type } from 'typebox';

/** Error codes an SFU request can fail with. Stable: clients switch on them. */
export const SFU_ERROR_CODES = [
  /** The message is not JSON, or not a valid envelope. */
  'bad_message',
  /** The message exceeds the SFU's maximum message size. */
  'message_too_large',
  /** Unknown method name. */
  'unknown_method',
  /** The request's `data` does not match the method's schema. */
  'invalid_request',
  /** A request was sent before `hello` succeeded (or `hello` sent twice). */
  'not_joined',
  /** The join token is malformed, badly signed, expired or not yet valid. */
  'token_invalid',
  /** The join token is for another room than the one asked for. */
  'token_wrong_room',
  /** The join token names another SFU node (its `sfu` claim): ask the API for a new token. */
  'token_wrong_node',
  /** This session was removed by the host: its token is refused. */
  'session_removed',
  /** The protocol version in `hello` is not supported. */
  'unsupported_version',
  /** The node is draining and accepts no new rooms. */
  'draining',
  /** The room or node has reached its capacity. */
  'capacity',
  /** No transport with this ID belongs to the caller. */
  'transport_not_found',
  /** No producer with this ID in the room (or not the caller's, for owner-only actions). */
  'producer_not_found',
  /** No consumer with this ID belongs to the caller. */
  'consumer_not_found',
  /** No peer with this ID in the room. */
  'peer_not_found',
  /** RTP parameters the SFU refuses (unsupported codec, bad simulcast layout, payload types). */
  'invalid_rtp_parameters',
  /** The caller's RTP capabilities cannot receive this producer. */
  'cannot_consume',
  /** The producer's source was muted or stopped by the host; the owner cannot resume it. */
  'muted_by_host',
  /** The action needs the host role. */
  'forbidden',
  /** The transport was created for the other direction (send vs receive). */
  'wrong_direction',
  /** Too many transports, producers or consumers for one peer. */
  'limit_reached',
  /** The media worker failed; re-create transports after `transportsReset`. */
  'media_unavailable',
  /** Anything else. */
  'internal',
] as const;

export const SfuErrorCode = Type.Unsafe<SfuErrorCode>(
  Type.Union(SFU_ERROR_CODES.map((code) => Type.Literal(code))),
);
export type SfuErrorCode = (typeof SFU_ERROR_CODES)[number];

export const SfuError = Type.Object(
  {
    code: SfuErrorCode,
    message: Type.String(),
  },
  { additionalProperties: false },
);
export type SfuError = { code: SfuErrorCode; message: string };

/**
 * WebSocket close codes the SFU uses. 1xxx are standard; 4xxx are Conclave's. A client
 * reconnects (with a fresh token) only after `goingAway`, `tryAgainLater` and `internal`.
 */
export const SfuCloseCode = {
  /** The client left, or the server closed a replaced duplicate session. */
  normal: 1000,
  /** The server is shutting down; reconnect (the API picks another node). */
  goingAway: 1001,
  /** A frame larger than the hard limit (4 × maxMessageBytes). */
  messageTooBig: 1009,
  /** Unexpected server error. */
  internal: 1011,
  /** Node draining or full: no new rooms here; ask the API for a token again. */
  tryAgainLater: 1013,
  /** No valid `hello` within the hello timeout, or a wrong protocol version. */
  protocolError: 4000,
  /** The join token was refused (malformed, bad signature, expired, not yet valid, wrong room). */
  tokenInvalid: 4001,
  /** The host removed this session, or its token was revoked. Do not reconnect with it. */
  removed: 4003,
  /** The meeting ended. */
  roomEnded: 4004,
  /** The same session connected again; this older connection is closed. */
  replaced: 4009,
} as const;
export type SfuCloseCode = (typeof SfuCloseCode)[keyof typeof SfuCloseCode];
