/**
 * WebSocket close codes of the DS. A client reconnects with `resume` only after a close that
 * is not listed here (network loss, 1001, 1006, 4503); these are final for the session.
 */
export const DsCloseCode = {
  /** The client left (explicit `leave`). */
  normal: 1000,
  /** The DS instance is shutting down: resume on another instance. */
  goingAway: 1001,
  /** A frame exceeded the DS's maximum message size. */
  messageTooBig: 1009,
  /**
   * The first frame was not a valid `hello`/`resume` (reason `expected_hello`), or speaks
   * another protocol version (reason `unsupported_version`: the client is out of date).
   */
  protocolError: 4400,
  /** Join token missing, malformed, badly signed or expired. */
  unauthorized: 4401,
  /** The session was removed by the host: its token is refused from now on. */
  sessionRefused: 4403,
  /** The session cannot be resumed (unknown, expired, or missed events no longer buffered): join again. */
  resumeUnavailable: 4404,
  /**
   * Same code, reason `gap_too_old`: the connection missed events that are no longer buffered
   * (e.g. the DS lost its feed for too long). The session is over: join again with a new token.
   */
  gapTooOld: 4404,
  /** No `hello`/`resume` arrived in time. */
  authTimeout: 4408,
  /** The token's session is already connected, or a newer connection resumed this session. */
  sessionInUse: 4409,
  /** A commit removed this member from the group, or its KeyPackage was refused. */
  removed: 4410,
  /** The meeting ended. */
  meetingEnded: 4411,
  /** The group has reached its maximum size. */
  groupFull: 4413,
  /** Too many messages or bytes per second. */
  rateLimited: 4429,
  /** Internal error of the DS. */
  internalError: 4500,
  /** The client read too slowly; resume to catch up from the replay buffer. */
  slowConsumer: 4503,
} as const;
export type DsCloseCode = (typeof DsCloseCode)[keyof typeof DsCloseCode];

/** Close reasons a client acts on; the reasons of the other closes are for logs only. */
export const DsCloseReason = {
  /** With 4400: the first frame speaks another protocol version. An old page: reload it. */
  unsupportedVersion: 'unsupported_version',
  /** With 4404: events this connection missed are no longer buffered. */
  gapTooOld: 'gap_too_old',
} as const;
export type DsCloseReason = (typeof DsCloseReason)[keyof typeof DsCloseReason];

/** Codes of `error` messages; the connection stays open and the group is unaffected. */
export const DsErrorCode = {
  malformedMessage: 'malformed_message',
  /** A commit was built on an epoch that already has a commit: re-base on the winner. */
  staleEpoch: 'stale_epoch',
  /** An application message names an epoch the group is not at. */
  wrongEpoch: 'wrong_epoch',
  /** The action needs a group member; the sender is not (yet) one. */
  notMember: 'not_member',
  /** KeyPackages are for joiners that are not members yet. */
  notPending: 'not_pending',
  tooManyPending: 'too_many_pending',
  /** Host-only action from a participant. */
  forbidden: 'forbidden',
  unknownMember: 'unknown_member',
  /** A commit that names members who cannot be added or removed. */
  invalidCommit: 'invalid_commit',
  rateLimited: 'rate_limited',
  unexpectedHello: 'unexpected_hello',
} as const;
export type DsErrorCode = (typeof DsErrorCode)[keyof typeof DsErrorCode];
