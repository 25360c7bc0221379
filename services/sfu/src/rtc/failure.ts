import type { SfuErrorCode } from '@conclave/protocol';

/** A request that cannot be served; the signaling edge turns it into a typed error response. */
export class SfuFailure extends Error {
  readonly code: SfuErrorCode;
  constructor(code: SfuErrorCode, message: string) {
    super(message);
    this.name = 'SfuFailure';
    this.code = code;
  }
}

/** Maps an error thrown by mediasoup while handling client parameters to a typed failure. */
export function mediaFailure(error: unknown, code: SfuErrorCode): SfuFailure {
  if (error instanceof SfuFailure) return error;
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'TypeError' || name === 'UnsupportedError') return new SfuFailure(code, message);
  if (name === 'InvalidStateError') return new SfuFailure('media_unavailable', 'media worker unavailable');
  return new SfuFailure('internal', 'internal error');
}
