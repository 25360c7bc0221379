/** Typed failures of the MLS meeting layer. Every error thrown by this module is an `MlsGroupError`. */

export type MlsErrorCode =
  /** Bytes are not a valid encoding of the expected MLS object (or of our envelopes). */
  | 'malformed'
  /** The message belongs to another MLS group. */
  | 'wrong-group'
  /** The message is for another epoch than the state can handle (future, stale commit, or keys gone). */
  | 'wrong-epoch'
  /** A commit breaks meeting policy: an Add without the meeting PSK, a forged credential, a proposal type we never use, or invalid MLS. */
  | 'commit-rejected'
  /** A KeyPackage does not carry a credential bound to the meeting password. */
  | 'credential-invalid'
  /** The Welcome is not for us, lacks the meeting PSK, or cannot be opened (wrong password). */
  | 'welcome-rejected'
  /** A message failed decryption or authentication. */
  | 'decrypt-failed'
  /** This member has been removed from the group. */
  | 'not-member'
  /** The call itself is invalid (e.g. removing oneself, removing an empty leaf, nothing to add). */
  | 'invalid-operation';

export class MlsGroupError extends Error {
  readonly code: MlsErrorCode;

  constructor(code: MlsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MlsGroupError';
    this.code = code;
  }
}

export function isMlsGroupError(e: unknown, code?: MlsErrorCode): e is MlsGroupError {
  return e instanceof MlsGroupError && (code === undefined || e.code === code);
}

/** Re-throws our own errors unchanged and wraps anything else (ts-mls, WebCrypto) under `code`. */
export function wrapError(code: MlsErrorCode, what: string, e: unknown): MlsGroupError {
  if (e instanceof MlsGroupError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new MlsGroupError(code, `${what}: ${detail}`, { cause: e });
}
