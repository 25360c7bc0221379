import type {
  AppendResult,
  CommitResult,
  CommitSubmission,
  HeartbeatResult,
  JoinResult,
  KickResult,
  MaintainResult,
  NewMember,
  ResumeRequest,
  ResumeResult,
  StoreResult,
} from '../../state/group-state-store.ts';
import { Change, type RuleLimits } from './change.ts';
import { settle } from './committer.ts';
import { type FeedMessage, type LogEntry, commitEntry } from './feed.ts';
import { type GroupState, emptyGroup, leavesOf, memberOfSid } from './group-state.ts';
import { eventsSince } from './replay.ts';

/**
 * The group rules: one commit per epoch, sequencing, the queue of KeyPackages to add and
 * leaves to remove, and the choice of committer. Each operation takes the group as stored
 * (undefined when it does not exist) and returns the group afterwards, the caller's answer
 * and the feed messages to publish, in order. Pure: no I/O, no clock, no mutation of its input.
 */
export interface Outcome<R> {
  /** The group afterwards: the input itself when nothing changed, undefined once deleted. */
  state: GroupState | undefined;
  result: R;
  feed: FeedMessage[];
}

export interface RuleContext {
  now: number;
  limits: RuleLimits;
}

/** Only joined members commit, refuse joiners and send application messages. */
function isJoined(state: GroupState | undefined, member: string): state is GroupState {
  return state?.sessions[member]?.state === 'joined';
}

/** Nothing changes: the caller only gets an answer. */
function unchanged<R>(state: GroupState | undefined, result: R): Outcome<R> {
  return { state, result, feed: [] };
}

function done<R>(c: Change, result: R): Outcome<R> {
  return { state: c.deleted ? undefined : c.g, result, feed: c.feed };
}

/** Adds a new session. The first session of a group without members creates it (epoch 0). */
export function join(state: GroupState | undefined, m: NewMember, ctx: RuleContext): Outcome<JoinResult> {
  if (state?.refused.includes(m.sid)) return unchanged(state, { ok: false, code: 'session_refused' });
  if (state && memberOfSid(state, m.sid) !== undefined)
    return unchanged(state, { ok: false, code: 'session_in_use' });
  if (state && Object.keys(state.sessions).length >= ctx.limits.maxGroupMembers)
    return unchanged(state, { ok: false, code: 'group_full' });
  const c = new Change(state ?? emptyGroup(), ctx.now, ctx.limits);
  const { g } = c;
  const create = !Object.values(g.sessions).some((s) => s.state === 'joined');
  if (create) c.reset();
  g.sessions[m.member] = {
    sid: m.sid,
    role: m.role,
    state: create ? 'joined' : 'pending',
    order: ++g.order,
    leaf: create ? 0 : -1,
    seen: ctx.now,
    connected: true,
    connection: m.connection,
    secretHash: m.secretHash,
  };
  settle(c);
  return done(c, { ok: true, create, epoch: g.epoch, seq: g.seq, members: leavesOf(g) });
}

/** The session a resume secret opens: live (not leaving) and holding that secret. */
export function canResume(state: GroupState | undefined, member: string, secretHash: string): boolean {
  const s = state?.sessions[member];
  return s !== undefined && s.state !== 'leaving' && s.secretHash === secretHash;
}

/**
 * Re-attaches a session on a new connection, with the events it missed out of `buffer` (the
 * group's replay buffer); refused when they are no longer all there. Its other connections
 * are told to close.
 */
export function resume(
  state: GroupState | undefined,
  r: ResumeRequest,
  buffer: LogEntry[],
  ctx: RuleContext,
): Outcome<ResumeResult> {
  const events = canResume(state, r.member, r.secretHash)
    ? eventsSince(state, r.afterSeq, ctx.limits.replayEvents, buffer)
    : null;
  if (!state || events === null) return unchanged(state, { ok: false, code: 'resume_unavailable' });
  const c = new Change(state, ctx.now, ctx.limits);
  const s = c.g.sessions[r.member]!;
  s.connected = true;
  s.seen = ctx.now;
  s.connection = r.connection;
  c.publish({ type: 'close', to: r.member, code: 'replaced', keep: r.connection });
  const { epoch, seq } = c.g;
  return done(c, { ok: true, epoch, seq, role: s.role, sid: s.sid, joined: s.state === 'joined', events });
}

export function publishKeyPackage(
  state: GroupState | undefined,
  member: string,
  keyPackage: string,
  ctx: RuleContext,
): Outcome<StoreResult> {
  const s = state?.sessions[member];
  if (!state || !s) return unchanged(state, { ok: false, code: 'unknown_member' });
  if (s.state !== 'pending') return unchanged(state, { ok: false, code: 'not_pending' });
  if (s.keyPackage === undefined) {
    const pending = Object.values(state.sessions).filter((x) => x.keyPackage !== undefined).length;
    if (pending >= ctx.limits.maxPendingKeyPackages)
      return unchanged(state, { ok: false, code: 'too_many_pending' });
  }
  const c = new Change(state, ctx.now, ctx.limits);
  c.g.sessions[member]!.keyPackage = keyPackage;
  settle(c);
  return done(c, { ok: true });
}

/** Accepts the first valid commit built on the group's current epoch and sequences it. */
export function submitCommit(
  state: GroupState | undefined,
  member: string,
  commit: CommitSubmission,
  ctx: RuleContext,
): Outcome<CommitResult> {
  if (!isJoined(state, member)) return unchanged(state, { ok: false, code: 'not_member' });
  if (commit.epoch !== state.epoch)
    return unchanged(state, { ok: false, code: 'stale_epoch', epoch: state.epoch });
  const addsOnlyJoiners = commit.adds.every(
    (a) => (state.sessions[a.member]?.state ?? 'pending') === 'pending',
  );
  if (!addsOnlyJoiners || commit.removes.includes(member))
    return unchanged(state, { ok: false, code: 'invalid_commit' });
  const c = new Change(state, ctx.now, ctx.limits);
  const { g } = c;
  // A joiner learns from its Welcome which DS member sits on every leaf.
  const removed = new Set(commit.removes);
  const members =
    commit.adds.length > 0
      ? [...leavesOf(g).filter((m) => !removed.has(m.member)), ...commit.adds]
      : undefined;
  const { seq } = c.append((n) => commitEntry(n, member, commit, members));
  g.epoch += 1;
  delete g.request;
  for (const add of commit.adds) {
    const s = g.sessions[add.member];
    if (s) {
      s.state = 'joined';
      s.leaf = add.leaf;
      delete s.keyPackage;
    } else {
      // The joiner vanished after the commit was built: its leaf exists, so it must be removed next.
      g.sessions[add.member] = {
        sid: '',
        role: 'participant',
        state: 'leaving',
        order: ++g.order,
        leaf: add.leaf,
        seen: ctx.now,
        connected: false,
        connection: '',
        secretHash: '',
      };
    }
  }
  for (const id of commit.removes) {
    const s = g.sessions[id];
    if (!s) continue;
    c.forget(id);
    if (s.state !== 'leaving') c.close(id, 'removed');
  }
  c.refuse(commit.rejected ?? []);
  settle(c);
  return done(c, { ok: true, seq, epoch: g.epoch });
}

/** Drops pending joiners whose KeyPackages a committer refused without committing. */
export function rejectKeyPackages(
  state: GroupState | undefined,
  member: string,
  members: string[],
  ctx: RuleContext,
): Outcome<StoreResult> {
  if (!isJoined(state, member)) return unchanged(state, { ok: false, code: 'not_member' });
  const c = new Change(state, ctx.now, ctx.limits);
  c.refuse(members);
  settle(c);
  return done(c, { ok: true });
}

/**
 * Sequences an application message encrypted in the current or the previous epoch, for the
 * members in `to` or everyone (a member named there that is gone simply receives nothing).
 */
export function appendApplication(
  state: GroupState | undefined,
  member: string,
  epoch: number,
  data: string,
  ctx: RuleContext,
  to?: string[],
): Outcome<AppendResult> {
  if (!isJoined(state, member)) return unchanged(state, { ok: false, code: 'not_member' });
  if (epoch > state.epoch || epoch < state.epoch - 1)
    return unchanged(state, { ok: false, code: 'wrong_epoch', epoch: state.epoch });
  const c = new Change(state, ctx.now, ctx.limits);
  const { seq } = c.append((n) => ({
    type: 'app',
    seq: n,
    from: member,
    epoch,
    data,
    ...(to ? { to } : {}),
  }));
  return done(c, { ok: true, seq });
}

/** Explicit leave: a pending joiner is forgotten, a member waits for its Remove commit. */
export function leave(
  state: GroupState | undefined,
  member: string,
  ctx: RuleContext,
): Outcome<MaintainResult> {
  if (!state?.sessions[member]) return unchanged(state, { purged: !state });
  const c = new Change(state, ctx.now, ctx.limits);
  c.depart(member, c.g.sessions[member]!);
  return done(c, { purged: settle(c) });
}

/** The connection dropped: the session is kept for the resume grace period. */
export function disconnect(
  state: GroupState | undefined,
  member: string,
  connection: string,
  ctx: RuleContext,
): Outcome<undefined> {
  if (state?.sessions[member]?.connection !== connection) return unchanged(state, undefined);
  const c = new Change(state, ctx.now, ctx.limits);
  const s = c.g.sessions[member]!;
  s.connected = false;
  s.seen = ctx.now;
  settle(c);
  return done(c, undefined);
}

/** Host kick: refuses the session's token, closes its connections and asks for its Remove. */
export function kick(state: GroupState | undefined, target: string, ctx: RuleContext): Outcome<KickResult> {
  const s = state?.sessions[target];
  if (!state || !s || s.state === 'leaving') return unchanged(state, { ok: false, code: 'unknown_member' });
  const c = new Change(state, ctx.now, ctx.limits);
  expel(c, target);
  return done(c, { ok: true, sid: s.sid });
}

/** Refuses a session's token from now on, removing the session if it is present. */
export function refuseSession(
  state: GroupState | undefined,
  sid: string,
  ctx: RuleContext,
): Outcome<undefined> {
  const c = new Change(state ?? emptyGroup(), ctx.now, ctx.limits);
  if (!c.g.refused.includes(sid)) c.g.refused.push(sid);
  const member = memberOfSid(c.g, sid);
  if (member !== undefined) expel(c, member);
  return done(c, undefined);
}

function expel(c: Change, member: string): void {
  const s = c.g.sessions[member]!;
  if (!c.g.refused.includes(s.sid)) c.g.refused.push(s.sid);
  c.depart(member, s);
  c.close(member, 'kicked');
  settle(c);
}

/**
 * Heartbeat of the members connected to one instance, expiry of silent sessions, commit
 * request failover, and deletion of a group left empty.
 */
export function maintain(
  state: GroupState | undefined,
  connected: string[],
  ctx: RuleContext,
): Outcome<HeartbeatResult> {
  if (!state) return unchanged(state, { purged: true, unknown: connected });
  const c = new Change(state, ctx.now, ctx.limits);
  const unknown: string[] = [];
  for (const id of connected) {
    const s = c.g.sessions[id];
    if (!s) unknown.push(id);
    else if (s.state !== 'leaving') {
      s.seen = ctx.now;
      s.connected = true;
    }
  }
  return done(c, { purged: settle(c), unknown });
}
