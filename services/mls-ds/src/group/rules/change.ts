import type { StoreLimits } from '../../state/group-state-store.ts';
import type { CloseReason, FeedMessage, LogEntry } from './feed.ts';
import type { GroupState, Session } from './group-state.ts';

/** The limits the group rules apply; the rest of `StoreLimits` is about storage. */
export type RuleLimits = Pick<
  StoreLimits,
  | 'resumeGraceMs'
  | 'commitDeadlineMs'
  | 'maxCommitBatch'
  | 'maxPendingKeyPackages'
  | 'maxGroupMembers'
  | 'replayEvents'
>;

/**
 * One operation's work on a private copy of the group: the transitions every operation shares,
 * and the feed messages they produce, in order. Nothing outside it is touched.
 */
export class Change {
  readonly g: GroupState;
  readonly now: number;
  readonly limits: RuleLimits;
  readonly feed: FeedMessage[] = [];
  /** The group has no session left: it is to be deleted. */
  deleted = false;

  constructor(state: GroupState, now: number, limits: RuleLimits) {
    this.g = copyOf(state);
    this.now = now;
    this.limits = limits;
  }

  publish(message: FeedMessage): void {
    this.feed.push(message);
  }

  /** Sequences an entry: it takes the next sequence number and is published. */
  append<E extends LogEntry>(build: (seq: number) => E): E {
    this.g.seq += 1;
    const entry = build(this.g.seq);
    this.publish(entry);
    return entry;
  }

  close(to: string, code: CloseReason): void {
    this.publish({ type: 'close', to, code });
  }

  /** A pending joiner is forgotten; a member's leaf stays until a commit removes it. */
  depart(id: string, s: Session): void {
    if (s.state === 'pending') this.forget(id);
    else {
      s.state = 'leaving';
      s.connected = false;
    }
  }

  forget(id: string): void {
    delete this.g.sessions[id];
  }

  /** Drops pending joiners whose KeyPackages a committer refused. */
  refuse(members: string[]): void {
    for (const id of members) {
      if (this.g.sessions[id]?.state !== 'pending') continue;
      this.forget(id);
      this.close(id, 'rejected');
    }
  }

  /** Starts the group anew at epoch 0: leaves waiting for a Remove belong to the old tree. */
  reset(): void {
    for (const [id, s] of Object.entries(this.g.sessions)) if (s.state === 'leaving') this.forget(id);
    this.g.epoch = 0;
    delete this.g.request;
  }
}

/** A copy deep enough that no transition reaches the input (sessions are flat records). */
function copyOf(g: GroupState): GroupState {
  const sessions: GroupState['sessions'] = {};
  for (const [id, s] of Object.entries(g.sessions)) sessions[id] = { ...s };
  return {
    ...g,
    sessions,
    refused: [...g.refused],
    ...(g.request ? { request: { ...g.request } } : {}),
  };
}
