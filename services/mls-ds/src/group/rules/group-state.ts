import type { AddedMember, Role } from '@conclave/protocol';

/**
 * Everything the group rules decide on, as plain JSON-friendly data: the memory store keeps
 * it in a map, the Redis store in the group's keys. The replay buffer is not part of it: the
 * rules emit sequenced entries and each store buffers them (see `replay.ts`).
 */
export interface GroupState {
  epoch: number;
  /** Sequence number of the last sequenced event. */
  seq: number;
  /** Last committer precedence handed out (see `Session.order`). */
  order: number;
  /** By DS member ID. */
  sessions: Record<string, Session>;
  /** Session IDs (token `sid`) refused for as long as the group exists. */
  refused: string[];
  /** The commit request in force, if any. */
  request?: CommitRequestState;
}

export interface Session {
  sid: string;
  role: Role;
  /** pending joiner, joined member, or left member whose leaf still waits for a Remove. */
  state: 'pending' | 'joined' | 'leaving';
  /** Committer precedence: lowest first; a committer that misses its deadline moves last. */
  order: number;
  /** Leaf index in the tree; -1 while pending. */
  leaf: number;
  /** Last time the session was heard of. */
  seen: number;
  connected: boolean;
  /** Connection ID, to tell an old connection of a resumed session from the new one. */
  connection: string;
  secretHash: string;
  /** A pending joiner's KeyPackage, once published. */
  keyPackage?: string;
}

export interface CommitRequestState {
  to: string;
  epoch: number;
  /** Absolute time after which another member is asked. */
  deadline: number;
}

export function emptyGroup(): GroupState {
  return { epoch: 0, seq: 0, order: 0, sessions: {}, refused: [] };
}

/** Every leaf of the tree (joined members and members waiting for their Remove), by leaf index. */
export function leavesOf(g: GroupState): AddedMember[] {
  const out: AddedMember[] = [];
  for (const [member, s] of Object.entries(g.sessions))
    if (s.state !== 'pending' && s.leaf >= 0) out.push({ member, leaf: s.leaf });
  return out.sort((a, b) => a.leaf - b.leaf);
}

/** The member a session ID is live under; a leaving session no longer holds its ID. */
export function memberOfSid(g: GroupState, sid: string): string | undefined {
  if (sid === '') return undefined;
  for (const [member, s] of Object.entries(g.sessions))
    if (s.sid === sid && s.state !== 'leaving') return member;
  return undefined;
}

/** Sessions sorted by committer precedence. */
export function byOrder(g: GroupState): [string, Session][] {
  return Object.entries(g.sessions).sort((a, b) => a[1].order - b[1].order);
}
