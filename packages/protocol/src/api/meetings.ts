import { type Static, Type } from 'typebox';

/** 10 characters of Crockford base32 (no I, L, O, U): 50 bits chosen by the server. */
export const MeetingId = Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{10}$', minLength: 10, maxLength: 10 });
export type MeetingId = Static<typeof MeetingId>;

/** 128 random bits, base64url without padding (22 characters). */
export const Secret128 = Type.String({ pattern: '^[A-Za-z0-9_-]{22}$', minLength: 22, maxLength: 22 });

/** A big unsigned integer in lowercase or uppercase hex, as tssrp6a serializes it. */
export const HexInteger = (maxBytes: number) =>
  Type.String({ pattern: '^[0-9a-fA-F]+$', minLength: 1, maxLength: maxBytes * 2 });

export const MeetingParams = Type.Object({ meetingId: MeetingId }, { additionalProperties: false });
export type MeetingParams = Static<typeof MeetingParams>;

export const CreateMeetingBody = Type.Object(
  {
    /** The host secret from the host link's fragment; the server keeps only its SHA-256. */
    hostSecret: Secret128,
    /** A permanent room has no expiry and its link can be rotated. */
    permanent: Type.Optional(Type.Boolean()),
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type CreateMeetingBody = Static<typeof CreateMeetingBody>;

export const MeetingCreated = Type.Object(
  {
    meetingId: MeetingId,
    /** The SRP verifier must be registered before this time or the meeting is discarded. */
    verifierDeadline: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type MeetingCreated = Static<typeof MeetingCreated>;

/**
 * The SRP salt and verifier, made in the host's browser from the password. The derivation is
 * salted with the meeting ID, so they can only be made once the server has chosen the ID.
 */
export const RegisterVerifierBody = Type.Object(
  { salt: HexInteger(256), verifier: HexInteger(256) },
  { additionalProperties: false },
);
export type RegisterVerifierBody = Static<typeof RegisterVerifierBody>;

export const MeetingInfo = Type.Object(
  {
    meetingId: MeetingId,
    locked: Type.Boolean(),
    permanent: Type.Boolean(),
    startsAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type MeetingInfo = Static<typeof MeetingInfo>;

export const LockBody = Type.Object({ locked: Type.Boolean() }, { additionalProperties: false });
export type LockBody = Static<typeof LockBody>;

export const RotateBody = Type.Object({ hostSecret: Secret128 }, { additionalProperties: false });
export type RotateBody = Static<typeof RotateBody>;
