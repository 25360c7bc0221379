import type { AddedMember, CommitMessage, Role } from '@conclave/protocol';
import type { FeedMessage, LogEntry } from '../group/rules/feed.ts';

export type { CloseReason, CommitRequestFeed, FeedMessage, LogEntry } from '../group/rules/feed.ts';

/**
 * Ephemeral state of MLS groups, shared by every DS instance that serves a member of a group.
 *
 * Groups are addressed by a `GroupKey`: a hash of the token's opaque group ID, so the store
 * never holds an ID the API could map back to a meeting. There is deliberately no method
 * that lists members or groups: the store sequences and routes, it does not keep a roster.
 *
 * Every mutating call is atomic per group, and every state change that leaves work for a
 * committer (pending KeyPackages, members to remove) publishes a commit request to the
 * designated committer on the group's feed in the same step, so no instance has to poll.
 */
export interface GroupStateStore {
  /** Adds a new session. The first session of an empty group becomes its creator (epoch 0). */
  join(group: GroupKey, member: NewMember, now: number): Promise<JoinResult>;
  /**
   * Read-only: true when `member` is a live session of the group and `secretHash` is its resume
   * secret's. Creates and touches nothing, so it can run before anything is allocated for a
   * connection that has not proven who it is.
   */
  canResume(group: GroupKey, member: string, secretHash: string): Promise<boolean>;
  /** Re-attaches a session whose connection dropped; returns the events it missed. */
  resume(group: GroupKey, request: ResumeRequest, now: number): Promise<ResumeResult>;
  publishKeyPackage(group: GroupKey, member: string, keyPackage: string, now: number): Promise<StoreResult>;
  /** Accepts the first commit built on the group's current epoch and sequences it. */
  submitCommit(group: GroupKey, member: string, commit: CommitSubmission, now: number): Promise<CommitResult>;
  /** Drops pending joiners whose KeyPackages a committer refused. */
  rejectKeyPackages(group: GroupKey, member: string, members: string[], now: number): Promise<StoreResult>;
  /** Sequences an application message encrypted in `epoch` (current or previous), for `to` or everyone. */
  appendApplication(
    group: GroupKey,
    member: string,
    epoch: number,
    data: string,
    to?: string[],
  ): Promise<AppendResult>;
  /** Explicit leave: a pending joiner is forgotten, a member waits for its Remove commit. */
  leave(group: GroupKey, member: string, now: number): Promise<MaintainResult>;
  /** The connection dropped: the session is kept for the resume grace period. */
  disconnect(group: GroupKey, member: string, connection: string, now: number): Promise<void>;
  /** Host kick: refuses the session's token and asks for its Remove. */
  kick(group: GroupKey, target: string, now: number): Promise<KickResult>;
  /** Refuses a session's token from now on (bus `session.removed`), removing it if present. */
  refuseSession(group: GroupKey, sid: string, now: number): Promise<void>;
  /**
   * Heartbeat of the members connected to this instance, expiry of silent sessions, commit
   * request failover, and deletion of a group left empty. Instances call it about once a
   * second per group they serve; the purge job calls it with no members.
   */
  maintain(group: GroupKey, connected: string[], now: number): Promise<HeartbeatResult>;
  /** Events after `afterSeq`, or null when some of them are no longer buffered. */
  readLog(group: GroupKey, afterSeq: number): Promise<LogEntry[] | null>;
  /** Deletes everything about the group (meeting ended) and tells every instance. */
  endGroup(group: GroupKey): Promise<void>;
  /** Receives the group's feed, in order. Resolves once subscribed. */
  subscribe(group: GroupKey, handler: FeedHandler): Promise<() => Promise<void>>;
  /** True when the store can serve requests (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export type GroupKey = string;

export interface StoreLimits {
  /** Sessions kept after their connection dropped, waiting for a resume. */
  resumeGraceMs: number;
  /** Time a designated committer has before another member is asked. */
  commitDeadlineMs: number;
  /** Most joiners added by one commit. */
  maxCommitBatch: number;
  /** Most events kept for resume and gap filling. */
  replayEvents: number;
  /** Idle lifetime of every stored key. */
  stateTtlMs: number;
  maxPendingKeyPackages: number;
  maxGroupMembers: number;
}

export interface NewMember {
  member: string;
  /** Connection ID, to tell an old connection of a resumed session from the new one. */
  connection: string;
  sid: string;
  role: Role;
  secretHash: string;
}

export interface ResumeRequest {
  member: string;
  connection: string;
  secretHash: string;
  afterSeq: number;
}

export type StoreResult = { ok: true } | { ok: false; code: StoreErrorCode };
export type StoreErrorCode =
  | 'not_member'
  | 'not_pending'
  | 'too_many_pending'
  | 'unknown_member'
  | 'invalid_commit';

export type JoinResult =
  | {
      ok: true;
      create: boolean;
      epoch: number;
      seq: number;
      /** DS member ID of every leaf in the group's tree now (members and leaves awaiting Remove). */
      members: AddedMember[];
    }
  | { ok: false; code: 'session_refused' | 'session_in_use' | 'group_full' };

export type ResumeResult =
  | {
      ok: true;
      epoch: number;
      seq: number;
      role: Role;
      sid: string;
      joined: boolean;
      events: LogEntry[];
    }
  | { ok: false; code: 'resume_unavailable' };

/** A commit as the member sent it (`rejected`: pending joiners whose KeyPackages it refused). */
export type CommitSubmission = Omit<CommitMessage, 'type' | 'id'>;

export type CommitResult =
  | { ok: true; seq: number; epoch: number }
  | { ok: false; code: 'stale_epoch'; epoch: number }
  | { ok: false; code: 'not_member' | 'invalid_commit' };

export type AppendResult =
  | { ok: true; seq: number }
  | { ok: false; code: 'wrong_epoch'; epoch: number }
  | { ok: false; code: 'not_member' };

export type KickResult = { ok: true; sid: string } | { ok: false; code: 'unknown_member' };

export interface MaintainResult {
  /** The group had no session left and its state was deleted. */
  purged: boolean;
}

export interface HeartbeatResult extends MaintainResult {
  /**
   * Of the connected members named, those the group has no session for: expired or removed (a
   * close for them is on its way), or the group's state was lost (Redis restarted).
   */
  unknown: string[];
}

export type FeedHandler = (message: FeedMessage) => void;
