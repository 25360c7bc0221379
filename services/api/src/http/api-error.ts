import { API_ERRORS, type ApiErrorCode } from '@conclave/protocol';

/** An error the API answers with: a stable code (mapped to its HTTP status) and a message. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;

  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = API_ERRORS[code];
  }
}
