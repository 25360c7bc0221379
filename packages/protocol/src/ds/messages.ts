import { type Static, Type } from 'typebox';

/**
 * MLS delivery service (DS) WebSocket protocol, version 2.
 *
 * Every frame is one JSON text message with a `type` field (camelCase kinds, as in the SFU's
 * protocol; version 1 named it `t`, with snake_case kinds). MLS messages travel as
 * base64 strings and stay opaque to the DS: it orders and routes them using only the
 * plaintext metadata sent beside them (epoch, added/removed member IDs, leaf indices).
 * Member IDs are random per connection session, chosen by the DS, and never name a person.
 */
export const DS_PROTOCOL_VERSION = 2;
export const DS_PATH = '/v1/ds';

const Base64 = (maxLength: number) =>
  Type.String({ maxLength, pattern: '^[A-Za-z0-9+/]*={0,2}$', contentEncoding: 'base64' });

/** Upper bound of any base64 field; the DS enforces its own, usually smaller, frame limit. */
const MAX_B64 = 16 * 1024 * 1024;

export const MemberId = Type.String({ pattern: '^[A-Za-z0-9_-]{22}$', description: 'DS member ID' });
export type MemberId = Static<typeof MemberId>;

export const Epoch = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const LeafIndex = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 });
/** Optional client-chosen correlation ID, echoed as `ref` in errors about that message. */
const Ref = Type.Optional(Type.String({ maxLength: 64 }));

export const AddedMember = Type.Object(
  { member: MemberId, leaf: LeafIndex },
  { additionalProperties: false },
);
export type AddedMember = Static<typeof AddedMember>;

// ---------------------------------------------------------------------------------------
// Client → DS

/** First frame of a new session: the join token, kept out of URLs and access logs. */
export const HelloMessage = Type.Object(
  {
    type: Type.Literal('hello'),
    v: Type.Literal(DS_PROTOCOL_VERSION),
    token: Type.String({ maxLength: 4096 }),
  },
  { additionalProperties: false },
);

/** First frame of a reconnection: resumes a session after the last sequence number seen. */
export const ResumeMessage = Type.Object(
  {
    type: Type.Literal('resume'),
    v: Type.Literal(DS_PROTOCOL_VERSION),
    member: MemberId,
    secret: Type.String({ pattern: '^[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}$' }),
    seq: Seq,
  },
  { additionalProperties: false },
);

/** A joiner's KeyPackage (MLSMessage), to be added by the designated committer. */
export const KeyPackageMessage = Type.Object(
  { type: Type.Literal('keyPackage'), id: Ref, kp: Base64(64 * 1024) },
  { additionalProperties: false },
);

/**
 * A commit built on `epoch`. Exactly one commit per epoch is accepted (first wins); the
 * others get a `stale_epoch` error and must re-base on the commit that won.
 */
export const CommitMessage = Type.Object(
  {
    type: Type.Literal('commit'),
    id: Ref,
    epoch: Epoch,
    commit: Base64(MAX_B64),
    /** Welcome for the added members, if the commit adds any. */
    welcome: Type.Optional(Base64(MAX_B64)),
    /** Member IDs whose KeyPackages this commit adds, with their new leaf indices. */
    adds: Type.Array(AddedMember, { maxItems: 1000 }),
    /** Member IDs whose leaves this commit removes. */
    removes: Type.Array(MemberId, { maxItems: 1000 }),
    /** Pending joiners whose KeyPackages the committer refused (bad credential, bad PSK binding). */
    rejected: Type.Optional(Type.Array(MemberId, { maxItems: 1000 })),
  },
  { additionalProperties: false },
);

/** Refuses pending KeyPackages without committing (every requested joiner was refused). */
export const RejectMessage = Type.Object(
  { type: Type.Literal('reject'), id: Ref, members: Type.Array(MemberId, { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);

/**
 * Members an application message is for, when not everyone: what a joiner alone needs (who
 * everyone is) need not reach the whole group. The DS learns nothing it does not already know.
 */
export const MAX_RECIPIENTS = 256;
const Recipients = Type.Optional(Type.Array(MemberId, { minItems: 1, maxItems: MAX_RECIPIENTS }));

/** An MLS application message (PrivateMessage) encrypted in `epoch`, for `to` or everyone. */
export const AppMessage = Type.Object(
  { type: Type.Literal('app'), id: Ref, epoch: Epoch, data: Base64(MAX_B64), to: Recipients },
  { additionalProperties: false },
);

/** Leaves the group; a remaining member is asked to commit the Remove. */
export const LeaveMessage = Type.Object({ type: Type.Literal('leave') }, { additionalProperties: false });

/** Host only: removes a member, closes its connections and refuses its join token. */
export const KickMessage = Type.Object(
  { type: Type.Literal('kick'), id: Ref, member: MemberId },
  { additionalProperties: false },
);

export const DsClientMessage = Type.Union([
  HelloMessage,
  ResumeMessage,
  KeyPackageMessage,
  CommitMessage,
  RejectMessage,
  AppMessage,
  LeaveMessage,
  KickMessage,
]);
export type DsClientMessage = Static<typeof DsClientMessage>;
export type HelloMessage = Static<typeof HelloMessage>;
export type ResumeMessage = Static<typeof ResumeMessage>;
export type KeyPackageMessage = Static<typeof KeyPackageMessage>;
export type CommitMessage = Static<typeof CommitMessage>;
export type RejectMessage = Static<typeof RejectMessage>;
export type AppMessage = Static<typeof AppMessage>;
export type KickMessage = Static<typeof KickMessage>;

// ---------------------------------------------------------------------------------------
// DS → client

/**
 * Answer to `hello`. With `create: true` the client creates the MLS group (epoch 0, leaf 0)
 * and is its first member; otherwise it publishes a KeyPackage and waits for a `welcome`.
 */
export const ReadyMessage = Type.Object(
  {
    type: Type.Literal('ready'),
    v: Type.Literal(DS_PROTOCOL_VERSION),
    member: MemberId,
    /** Resume secret for this session; present it in `resume` after a dropped connection. */
    secret: Type.String(),
    role: Type.Union([Type.Literal('participant'), Type.Literal('host')]),
    create: Type.Boolean(),
    epoch: Epoch,
    /** Sequence number of the last event of the group; events after it will follow. */
    seq: Seq,
    /**
     * The DS member ID on every leaf of the group's tree right now (members, and members
     * waiting for their Remove). The `welcome` carries the mapping that holds once joined.
     */
    members: Type.Optional(Type.Array(AddedMember)),
  },
  { additionalProperties: false },
);

/** Sent later to a waiting joiner when every member left before adding it: it creates the group. */
export const CreateMessage = Type.Object(
  { type: Type.Literal('create'), epoch: Epoch, seq: Seq },
  { additionalProperties: false },
);

/** Answer to `resume`; missed events with seq > the client's follow right after. */
export const ResumedMessage = Type.Object(
  { type: Type.Literal('resumed'), epoch: Epoch, seq: Seq },
  { additionalProperties: false },
);

/** Asks the designated committer to add and remove these members in one commit on `epoch`. */
export const CommitRequestMessage = Type.Object(
  {
    type: Type.Literal('commitRequest'),
    epoch: Epoch,
    /** Milliseconds the committer has before another member is asked. */
    deadline: Type.Integer({ minimum: 0 }),
    adds: Type.Array(Type.Object({ member: MemberId, kp: Type.String() }, { additionalProperties: false })),
    removes: Type.Array(AddedMember),
  },
  { additionalProperties: false },
);

/** An accepted commit, in group order. The member whose ID is `from` merges its own pending commit. */
export const CommitEvent = Type.Object(
  {
    type: Type.Literal('commit'),
    seq: Seq,
    from: MemberId,
    /** Epoch the commit was built on; the group is at `epoch + 1` after it. */
    epoch: Epoch,
    commit: Type.String(),
    adds: Type.Array(AddedMember),
    removes: Type.Array(MemberId),
  },
  { additionalProperties: false },
);

/** The Welcome of the commit that added this member, sent only to the members it adds. */
export const WelcomeEvent = Type.Object(
  {
    type: Type.Literal('welcome'),
    seq: Seq,
    from: MemberId,
    /** Epoch the member joins at. */
    epoch: Epoch,
    welcome: Type.String(),
    adds: Type.Array(AddedMember),
    /** The DS member ID on every leaf of the tree the member joins, including leaves added before it. */
    members: Type.Optional(Type.Array(AddedMember)),
  },
  { additionalProperties: false },
);

/**
 * An application message, in group order. Senders do not receive their own; one sent `to`
 * some members reaches only them.
 */
export const AppEvent = Type.Object(
  {
    type: Type.Literal('app'),
    seq: Seq,
    from: MemberId,
    epoch: Epoch,
    data: Type.String(),
    to: Recipients,
  },
  { additionalProperties: false },
);

export const ErrorMessage = Type.Object(
  {
    type: Type.Literal('error'),
    code: Type.String(),
    ref: Type.Optional(Type.String()),
    /** Current epoch of the group, on `stale_epoch` and `wrong_epoch`. */
    epoch: Type.Optional(Epoch),
    message: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const DsServerMessage = Type.Union([
  ReadyMessage,
  CreateMessage,
  ResumedMessage,
  CommitRequestMessage,
  CommitEvent,
  WelcomeEvent,
  AppEvent,
  ErrorMessage,
]);
export type DsServerMessage = Static<typeof DsServerMessage>;
export type ReadyMessage = Static<typeof ReadyMessage>;
export type CreateMessage = Static<typeof CreateMessage>;
export type ResumedMessage = Static<typeof ResumedMessage>;
export type CommitRequestMessage = Static<typeof CommitRequestMessage>;
export type CommitEvent = Static<typeof CommitEvent>;
export type WelcomeEvent = Static<typeof WelcomeEvent>;
export type AppEvent = Static<typeof AppEvent>;
export type ErrorMessage = Static<typeof ErrorMessage>;
