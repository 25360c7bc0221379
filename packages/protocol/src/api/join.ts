import { type Static, Type } from 'typebox';
import { HexInteger, Secret128 } from './meetings.ts';

/** SRP-6a step 1 answer: the salt, the server's public value B and the sealed server state. */
export const JoinChallenge = Type.Object(
  {
    salt: HexInteger(256),
    B: HexInteger(256),
    /** Opaque, single-use, valid for 60 seconds; return it unchanged with the proof. */
    state: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);
export type JoinChallenge = Static<typeof JoinChallenge>;

/**
 * Optional body of `join/init`. A locked meeting still lets in the host (its host secret) and
 * people coming back after a dropped connection (the rejoin secret of their last join).
 */
export const JoinInitBody = Type.Object(
  { hostSecret: Type.Optional(Secret128), rejoin: Type.Optional(Secret128) },
  { additionalProperties: false },
);
export type JoinInitBody = Static<typeof JoinInitBody>;

export const JoinProofBody = Type.Object(
  {
    state: Type.String({ minLength: 1, maxLength: 1024 }),
    A: HexInteger(256),
    M1: HexInteger(64),
    /** Present only when the host joins: proves the host role. */
    hostSecret: Type.Optional(Secret128),
    /** The rejoin secret of an earlier join: passes a lock; single use. */
    rejoin: Type.Optional(Secret128),
  },
  { additionalProperties: false },
);
export type JoinProofBody = Static<typeof JoinProofBody>;

export const JoinGranted = Type.Object(
  {
    /** Server evidence: the client must check it before trusting anything else here. */
    M2: HexInteger(64),
    /** Join token for the SFU and the MLS delivery service; valid for 60 seconds. */
    token: Type.String(),
    role: Type.Union([Type.Literal('participant'), Type.Literal('host')]),
    sfuUrl: Type.String(),
    dsUrl: Type.String(),
    expiresAt: Type.String({ format: 'date-time' }),
    /**
     * Lets this session back in while the meeting is locked (a new join after a dropped
     * connection). Single use, bound to this meeting and session; renew it before
     * `rejoinExpiresAt` with `POST /v1/meetings/{meetingId}/rejoin/renew`.
     */
    rejoin: Type.Optional(Secret128),
    rejoinExpiresAt: Type.Optional(Type.String({ format: 'date-time' })),
    /** TURN servers with short-lived credentials, when the deployment runs TURN. */
    iceServers: Type.Optional(
      Type.Array(
        Type.Object(
          { urls: Type.Array(Type.String()), username: Type.String(), credential: Type.String() },
          { additionalProperties: false },
        ),
      ),
    ),
    /**
     * Scheduled key rotation: after every epoch change each member waits a random 1–1.5 ×
     * this many seconds and, if the epoch has not changed meanwhile, commits an update of its
     * own leaf. 0 (or absent, from older servers): no scheduled rotation.
     */
    keyRotationSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })),
  },
  { additionalProperties: false },
);
export type JoinGranted = Static<typeof JoinGranted>;

export const JoinTokenPublicKeys = Type.Object(
  {
    /** Ed25519 public keys (SPKI PEM), newest first; any of them may have signed a valid token. */
    keys: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type JoinTokenPublicKeys = Static<typeof JoinTokenPublicKeys>;
