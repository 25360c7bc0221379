import { type Static, Type } from 'typebox';

/** Roles a join token can carry. The host role unlocks host actions in the SFU and the DS. */
export const Role = Type.Union([Type.Literal('participant'), Type.Literal('host')]);
export type Role = Static<typeof Role>;

/**
 * Claims of a join token (PROTOCOL §3). The SFU room ID and MLS group ID are random and not
 * derivable from the meeting ID: only the API's store maps one to the other.
 */
export const JoinTokenClaims = Type.Object(
  {
    v: Type.Literal(1),
    /** Random participant session ID, new for every join; never stored by the API. */
    sid: Type.String({ minLength: 16, maxLength: 64 }),
    /** Opaque SFU room ID. */
    room: Type.String({ minLength: 16, maxLength: 64 }),
    /** Opaque MLS group ID. */
    grp: Type.String({ minLength: 16, maxLength: 64 }),
    role: Role,
    /** WebSocket URL of the SFU node that hosts the room. */
    sfu: Type.String({ maxLength: 512 }),
    /** WebSocket URL of the MLS delivery service. */
    ds: Type.String({ maxLength: 512 }),
    /** Issued at, seconds since the epoch. */
    iat: Type.Integer({ minimum: 0 }),
    /** Not valid after, seconds since the epoch. */
    exp: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type JoinTokenClaims = Static<typeof JoinTokenClaims>;

/** Wire prefix of a version-1 join token: `cjt1.<claims b64url>.<Ed25519 signature b64url>`. */
export const JOIN_TOKEN_PREFIX = 'cjt1';

/** Lifetime of every join token the API issues, in seconds (PROTOCOL §3). */
export const JOIN_TOKEN_TTL_SECONDS = 60;
/** Clock difference between the API and a token's verifier that verification tolerates, in seconds. */
export const JOIN_TOKEN_CLOCK_SKEW_SECONDS = 5;
