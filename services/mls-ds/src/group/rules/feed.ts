import type { AddedMember, AppEvent, CommitEvent, DsServerMessage, WelcomeEvent } from '@conclave/protocol';

/**
 * A sequenced commit, as buffered and published: the protocol's commit event plus what only
 * the members it adds receive (their Welcome and, with it, the member on every leaf).
 */
export type CommitEntry = CommitEvent & { welcome?: string; members?: WelcomeEvent['members'] };

/** A sequenced application message: exactly the protocol's event. */
export type AppEntry = AppEvent;

/** A sequenced event of the group, kept in the replay buffer. */
export type LogEntry = CommitEntry | AppEntry;

/** The fields of an accepted commit that every member's copy carries, named once. */
export type CommitFields = Pick<CommitEntry, 'epoch' | 'commit' | 'welcome' | 'adds' | 'removes'>;

export function commitEntry(
  seq: number,
  from: string,
  c: CommitFields,
  members: AddedMember[] | undefined,
): CommitEntry {
  const { epoch, commit, welcome, adds, removes } = c;
  return {
    type: 'commit',
    seq,
    from,
    epoch,
    commit,
    ...(welcome !== undefined ? { welcome } : {}),
    adds,
    removes,
    ...(members !== undefined ? { members } : {}),
  };
}

/** What a member receives for an entry: the entry minus what only joiners get. */
export function memberEvent(e: LogEntry): DsServerMessage {
  if (e.type === 'app') return e;
  const { welcome: _w, members: _m, ...event } = e;
  return event;
}

/** What a member added by `e` receives instead, or undefined when `e` carries no Welcome. */
export function welcomeEvent(e: CommitEntry): WelcomeEvent | undefined {
  if (e.welcome === undefined) return undefined;
  return {
    type: 'welcome',
    seq: e.seq,
    from: e.from,
    epoch: e.epoch + 1,
    welcome: e.welcome,
    adds: e.adds,
    ...(e.members !== undefined ? { members: e.members } : {}),
  };
}

/** Messages on a group's feed: sequenced events plus directed, unsequenced control messages. */
export type FeedMessage =
  | LogEntry
  | CommitRequestFeed
  | { type: 'create'; to: string; epoch: number; seq: number }
  | { type: 'close'; to: string; code: CloseReason; keep?: string }
  /** The meeting ended: every connection closes. */
  | { type: 'end' }
  /** The group had no session left and was deleted. */
  | { type: 'purged' }
  /**
   * Local, never published: the store's feed connection was lost and is back, so messages
   * may have been missed; the receiver catches up from the replay buffer (`readLog`).
   */
  | { type: 'resync' };

export interface CommitRequestFeed {
  type: 'req';
  to: string;
  epoch: number;
  /** Milliseconds the committer has. */
  deadline: number;
  adds: { member: string; kp: string }[];
  removes: AddedMember[];
}

/** Why a session's connections must close: removed by a commit, kicked, refused KeyPackage, resumed elsewhere. */
export type CloseReason = 'removed' | 'kicked' | 'rejected' | 'replaced';
