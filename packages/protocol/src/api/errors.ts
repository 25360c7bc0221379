/**
 * Error codes of the meeting API with their HTTP status. One table, shared by the server (which
 * answers with them) and the client (which shows a message per code).
 */
export const API_ERRORS = {
  bad_request: 400,
  invalid_srp_value: 400,
  invalid_schedule: 400,
  unauthorized: 401,
  wrong_password: 401,
  wrong_host_secret: 401,
  creation_key_required: 401,
  join_state_invalid: 401,
  join_state_expired: 401,
  join_state_replayed: 401,
  wrong_knock_secret: 401,
  rejoin_invalid: 401,
  knock_denied: 403,
  knock_not_found: 404,
  knock_answered: 409,
  meeting_not_locked: 409,
  knock_expired: 410,
  lobby_full: 429,
  meeting_not_started: 403,
  not_permanent: 409,
  verifier_already_set: 409,
  not_found: 404,
  meeting_not_found: 404,
  meeting_not_ready: 409,
  payload_too_large: 413,
  meeting_locked: 423,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  permanent_room_limit: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;
