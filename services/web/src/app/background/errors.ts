/** Why a background could not be applied, in words for the person who chose it. */

export type BackgroundErrorCode = 'model-unavailable' | 'unsupported' | 'bad-image';

export class BackgroundError extends Error {
  readonly code: BackgroundErrorCode;
  constructor(code: BackgroundErrorCode, message: string) {
    super(message);
    this.name = 'BackgroundError';
    this.code = code;
  }
}

/** The sentence shown when a background choice failed. */
export function backgroundFailure(error: unknown): string {
  if (error instanceof BackgroundError) return error.message;
  return 'The background effect could not be started; your camera is sent as it is.';
}
