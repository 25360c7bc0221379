import type { LogEntry } from '../group/rules/feed.ts';
import * as rules from '../group/rules/group-rules.ts';
import type { GroupState } from '../group/rules/group-state.ts';
import { eventsSince } from '../group/rules/replay.ts';
import type {
  AppendResult,
  CommitResult,
  CommitSubmission,
  FeedHandler,
  GroupKey,
  GroupStateStore,
  HeartbeatResult,
  JoinResult,
  KickResult,
  MaintainResult,
  NewMember,
  ResumeRequest,
  ResumeResult,
  StoreLimits,
  StoreResult,
} from './group-state-store.ts';

/** A group rule, given the group as stored (undefined: none) and, when asked for, its replay buffer. */
export type Rule<R> = (
  g: GroupState | undefined,
  ctx: rules.RuleContext,
  log: LogEntry[],
) => rules.Outcome<R>;

/** A group as read: its state and, when asked for, its replay buffer. */
export interface GroupSnapshot {
  state: GroupState | undefined;
  log: LogEntry[];
}

/**
 * Every store operation is one group rule (src/group/rules/): this class maps each to its rule, so
 * a store only says how it reads a group and how it keeps a rule's outcome (new state,
 * sequenced entries for the replay buffer, feed messages to publish, in order).
 */
export abstract class GroupRulesStore implements GroupStateStore {
  protected readonly limits: StoreLimits;

  constructor(limits: StoreLimits) {
    this.limits = limits;
  }

  /** Applies `rule` to the group atomically and keeps its outcome; returns the rule's answer. */
  protected abstract apply<R>(key: GroupKey, now: number, rule: Rule<R>, withLog?: boolean): Promise<R>;
  /** Reads the group without changing it. */
  protected abstract snapshot(key: GroupKey, withLog: boolean): Promise<GroupSnapshot>;

  abstract endGroup(key: GroupKey): Promise<void>;
  abstract subscribe(key: GroupKey, handler: FeedHandler): Promise<() => Promise<void>>;
  abstract ping(): Promise<boolean>;
  abstract close(): Promise<void>;

  join(key: GroupKey, m: NewMember, now: number): Promise<JoinResult> {
    return this.apply(key, now, (g, ctx) => rules.join(g, m, ctx));
  }

  async canResume(key: GroupKey, member: string, secretHash: string): Promise<boolean> {
    const { state } = await this.snapshot(key, false);
    return rules.canResume(state, member, secretHash);
  }

  resume(key: GroupKey, r: ResumeRequest, now: number): Promise<ResumeResult> {
    return this.apply(key, now, (g, ctx, log) => rules.resume(g, r, log, ctx), true);
  }

  publishKeyPackage(key: GroupKey, member: string, kp: string, now: number): Promise<StoreResult> {
    return this.apply(key, now, (g, ctx) => rules.publishKeyPackage(g, member, kp, ctx));
  }

  submitCommit(key: GroupKey, member: string, c: CommitSubmission, now: number): Promise<CommitResult> {
    return this.apply(key, now, (g, ctx) => rules.submitCommit(g, member, c, ctx));
  }

  rejectKeyPackages(key: GroupKey, member: string, members: string[], now: number): Promise<StoreResult> {
    return this.apply(key, now, (g, ctx) => rules.rejectKeyPackages(g, member, members, ctx));
  }

  appendApplication(
    key: GroupKey,
    member: string,
    epoch: number,
    data: string,
    to?: string[],
  ): Promise<AppendResult> {
    return this.apply(key, Date.now(), (g, ctx) => rules.appendApplication(g, member, epoch, data, ctx, to));
  }

  leave(key: GroupKey, member: string, now: number): Promise<MaintainResult> {
    return this.apply(key, now, (g, ctx) => rules.leave(g, member, ctx));
  }

  disconnect(key: GroupKey, member: string, connection: string, now: number): Promise<void> {
    return this.apply(key, now, (g, ctx) => rules.disconnect(g, member, connection, ctx));
  }

  kick(key: GroupKey, target: string, now: number): Promise<KickResult> {
    return this.apply(key, now, (g, ctx) => rules.kick(g, target, ctx));
  }

  refuseSession(key: GroupKey, sid: string, now: number): Promise<void> {
    return this.apply(key, now, (g, ctx) => rules.refuseSession(g, sid, ctx));
  }

  maintain(key: GroupKey, connected: string[], now: number): Promise<HeartbeatResult> {
    return this.apply(key, now, (g, ctx) => rules.maintain(g, connected, ctx));
  }

  async readLog(key: GroupKey, afterSeq: number): Promise<LogEntry[] | null> {
    const { state, log } = await this.snapshot(key, true);
    return eventsSince(state, afterSeq, this.limits.replayEvents, log);
  }
}
