import { type Static, Type } from 'typebox';
import { HexInteger, MeetingId, Secret128 } from './meetings.ts';

/** Knock IDs and secrets: 128 random bits, base64url (22 characters). */
export const KnockId = Secret128;

/**
 * A display name sealed in the knocker's browser with the name key derived from the meeting
 * password (protocol.md §7). The server cannot read it and only passes it to the host.
 */
export const SealedName = Type.String({ pattern: '^[A-Za-z0-9_-]+$', minLength: 1, maxLength: 400 });

/** Long-poll length the client asks for, in seconds (default and maximum 25). */
export const WaitSeconds = Type.Integer({ minimum: 0, maximum: 25 });

export const KnockParams = Type.Object(
  { meetingId: MeetingId, knockId: KnockId },
  { additionalProperties: false },
);
export type KnockParams = Static<typeof KnockParams>;

/** SRP-6a step 2 of a knock: the same proof as a join, plus the sealed name shown to the host. */
export const KnockProofBody = Type.Object(
  {
    state: Type.String({ minLength: 1, maxLength: 1024 }),
    A: HexInteger(256),
    M1: HexInteger(64),
    sealedName: SealedName,
  },
  { additionalProperties: false },
);
export type KnockProofBody = Static<typeof KnockProofBody>;

export const KnockOpened = Type.Object(
  {
    /** Server evidence, as in a join: the client checks it before waiting. */
    M2: HexInteger(64),
    knockId: KnockId,
    /** Proves to the API that a wait comes from the knocker; the server keeps only its hash. */
    knockSecret: Secret128,
    /** The knock is forgotten at this time unless the host answered it. */
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type KnockOpened = Static<typeof KnockOpened>;

export const KnockWaitBody = Type.Object(
  { knockSecret: Secret128, waitSeconds: Type.Optional(WaitSeconds) },
  { additionalProperties: false },
);
export type KnockWaitBody = Static<typeof KnockWaitBody>;

export const LobbyKnock = Type.Object(
  { knockId: KnockId, sealedName: SealedName, expiresAt: Type.String({ format: 'date-time' }) },
  { additionalProperties: false },
);
export type LobbyKnock = Static<typeof LobbyKnock>;

export const LobbyWaitBody = Type.Object(
  {
    /** Knock IDs the host already shows; the call answers at once when the open set differs. */
    seen: Type.Optional(Type.Array(KnockId, { maxItems: 20 })),
    waitSeconds: Type.Optional(WaitSeconds),
  },
  { additionalProperties: false },
);
export type LobbyWaitBody = Static<typeof LobbyWaitBody>;

export const LobbyState = Type.Object({ knocks: Type.Array(LobbyKnock) }, { additionalProperties: false });
export type LobbyState = Static<typeof LobbyState>;

/** Asks for a fresh rejoin secret before the current one expires; the old one stops working. */
export const RejoinRenewBody = Type.Object({ rejoin: Secret128 }, { additionalProperties: false });
export type RejoinRenewBody = Static<typeof RejoinRenewBody>;

export const RejoinRenewed = Type.Object(
  { rejoin: Secret128, rejoinExpiresAt: Type.String({ format: 'date-time' }) },
  { additionalProperties: false },
);
export type RejoinRenewed = Static<typeof RejoinRenewed>;
