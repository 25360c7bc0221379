/**
 * Every failure in this package is an `E2eeError` carrying a stable `code`, so callers can map
 * it to UI messages, HTTP statuses or counters without parsing strings.
 */
export type E2eeErrorCode =
  // encodings
  | 'BAD_HEX'
  | 'BAD_BASE64URL'
  | 'INVALID_ARGUMENT'
  // meeting links
  | 'LINK_MALFORMED'
  | 'LINK_BAD_SCHEME'
  | 'LINK_BAD_PATH'
  | 'LINK_BAD_MEETING_ID'
  | 'LINK_BAD_PASSWORD'
  | 'LINK_BAD_HOST_SECRET'
  // SRP
  | 'SRP_BAD_INPUT'
  | 'SRP_BAD_SERVER_VALUE'
  | 'SRP_SERVER_PROOF_MISMATCH'
  // SFrame
  | 'SFRAME_BAD_HEADER'
  | 'SFRAME_TRUNCATED'
  | 'SFRAME_UNSUPPORTED_SUITE'
  | 'SFRAME_BAD_KEY'
  | 'SFRAME_BAD_KID'
  | 'SFRAME_UNKNOWN_KEY'
  | 'SFRAME_AUTH_FAILED'
  | 'SFRAME_REPLAY'
  | 'SFRAME_COUNTER_EXHAUSTED'
  | 'SFRAME_NO_SEND_KEY'
  /** The KID names another member or media source than the receiver is bound to. */
  | 'SFRAME_WRONG_SENDER'
  /** The receiver is bound to no member yet (no MLS roster entry names its sender). */
  | 'SFRAME_UNBOUND_RECEIVER'
  // media frames
  | 'FRAME_TOO_SHORT'
  // lobby display names
  | 'NAME_MALFORMED'
  | 'NAME_TAMPERED'
  | 'NAME_TOO_LONG';

export class E2eeError extends Error {
  readonly code: E2eeErrorCode;

  constructor(code: E2eeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'E2eeError';
    this.code = code;
  }
}

/** True when `value` is an `E2eeError`, optionally with the given code. */
export function isE2eeError(value: unknown, code?: E2eeErrorCode): value is E2eeError {
  return value instanceof E2eeError && (code === undefined || value.code === code);
}
