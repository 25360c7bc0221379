import type { FeedMessage } from '../group/feed.ts';
import * as rules from '../group/group-rules.ts';
import type { GroupState } from '../group/group-state.ts';
import { eventsSince } from '../group/replay.ts';
import type {
  AppendResult,
  CommitResult,
  CommitSubmission,
  FeedHandler,
  GroupKey,
  GroupStateStore,
  JoinResult,
  KickResult,
  LogEntry,
  MaintainResult,
  NewMember,
  ResumeRequest,
  ResumeResult,
  StoreLimits,
  StoreResult,
} from './group-state-store.ts';

interface Stored {
  state: GroupState;
  /** Replay buffer: the last `replayEvents` sequenced entries. */
  log: LogEntry[];
  touched: number;
}

/**
 * In-process group state for the embedded single-node mode: holds each group's state and
 * replay buffer and applies the group rules (`src/group/`) to them. Idle groups are dropped
 * after the state TTL like expiring keys.
 */
export class MemoryGroupStateStore implements GroupStateStore {
  readonly #groups = new Map<GroupKey, Stored>();
  readonly #handlers = new Map<GroupKey, Set<FeedHandler>>();
  readonly #limits: StoreLimits;
  readonly #queue: [GroupKey, FeedMessage][] = [];
  #draining = false;

  constructor(limits: StoreLimits) {
    this.#limits = limits;
  }

  /** Number of groups held; the embedded equivalent of scanning for keys. */
  get size(): number {
    this.#expireIdle(Date.now());
    return this.#groups.size;
  }

  async join(key: GroupKey, m: NewMember, now: number): Promise<JoinResult> {
    return this.#apply(key, now, (g, ctx) => rules.join(g, m, ctx));
  }

  async canResume(key: GroupKey, member: string, secretHash: string): Promise<boolean> {
    return rules.canResume(this.#groups.get(key)?.state, member, secretHash);
  }

  async resume(key: GroupKey, r: ResumeRequest, now: number): Promise<ResumeResult> {
    return this.#apply(key, now, (g, ctx, log) => rules.resume(g, r, log, ctx));
  }

  async publishKeyPackage(key: GroupKey, member: string, kp: string, now: number): Promise<StoreResult> {
    return this.#apply(key, now, (g, ctx) => rules.publishKeyPackage(g, member, kp, ctx));
  }

  async submitCommit(key: GroupKey, member: string, c: CommitSubmission, now: number): Promise<CommitResult> {
    return this.#apply(key, now, (g, ctx) => rules.submitCommit(g, member, c, ctx));
  }

  async rejectKeyPackages(
    key: GroupKey,
    member: string,
    members: string[],
    now: number,
  ): Promise<StoreResult> {
    return this.#apply(key, now, (g, ctx) => rules.rejectKeyPackages(g, member, members, ctx));
  }

  async appendApplication(key: GroupKey, member: string, epoch: number, data: string): Promise<AppendResult> {
    return this.#apply(key, Date.now(), (g, ctx) => rules.appendApplication(g, member, epoch, data, ctx));
  }

  async leave(key: GroupKey, member: string, now: number): Promise<MaintainResult> {
    return this.#apply(key, now, (g, ctx) => rules.leave(g, member, ctx));
  }

  async disconnect(key: GroupKey, member: string, connection: string, now: number): Promise<void> {
    this.#apply(key, now, (g, ctx) => rules.disconnect(g, member, connection, ctx));
  }

  async kick(key: GroupKey, target: string, now: number): Promise<KickResult> {
    return this.#apply(key, now, (g, ctx) => rules.kick(g, target, ctx));
  }

  async refuseSession(key: GroupKey, sid: string, now: number): Promise<void> {
    this.#apply(key, now, (g, ctx) => rules.refuseSession(g, sid, ctx));
  }

  async maintain(key: GroupKey, connected: string[], now: number): Promise<MaintainResult> {
    return this.#apply(key, now, (g, ctx) => rules.maintain(g, connected, ctx));
  }

  async readLog(key: GroupKey, afterSeq: number): Promise<LogEntry[] | null> {
    const stored = this.#groups.get(key);
    return eventsSince(stored?.state, afterSeq, this.#limits.replayEvents, stored?.log ?? []);
  }

  async endGroup(key: GroupKey): Promise<void> {
    this.#groups.delete(key);
    this.#publish(key, { t: 'end' });
  }

  async subscribe(key: GroupKey, handler: FeedHandler): Promise<() => Promise<void>> {
    let set = this.#handlers.get(key);
    if (!set) {
      set = new Set();
      this.#handlers.set(key, set);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.#handlers.get(key) === set) this.#handlers.delete(key);
    };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.#handlers.clear();
  }

  /** Runs one rule on the group as held and keeps what it returns. */
  #apply<R>(
    key: GroupKey,
    now: number,
    rule: (g: GroupState | undefined, ctx: rules.RuleContext, log: LogEntry[]) => rules.Outcome<R>,
  ): R {
    this.#expireIdle(now);
    const stored = this.#groups.get(key);
    const outcome = rule(stored?.state, { now, limits: this.#limits }, stored?.log ?? []);
    if (outcome.state === stored?.state && outcome.feed.length === 0) return outcome.result;
    if (outcome.state === undefined) this.#groups.delete(key);
    else {
      const next = stored ?? { state: outcome.state, log: [], touched: now };
      next.state = outcome.state;
      next.touched = now;
      for (const m of outcome.feed) if (m.t === 'commit' || m.t === 'app') next.log.push(m);
      if (next.log.length > this.#limits.replayEvents)
        next.log.splice(0, next.log.length - this.#limits.replayEvents);
      this.#groups.set(key, next);
    }
    for (const m of outcome.feed) this.#publish(key, m);
    return outcome.result;
  }

  #publish(key: GroupKey, message: FeedMessage): void {
    if (!this.#handlers.has(key)) return;
    this.#queue.push([key, message]);
    if (this.#draining) return;
    this.#draining = true;
    queueMicrotask(() => {
      while (this.#queue.length > 0) {
        const [k, m] = this.#queue.shift()!;
        for (const handler of this.#handlers.get(k) ?? []) handler(m);
      }
      this.#draining = false;
    });
  }

  #expireIdle(now: number): void {
    for (const [key, g] of this.#groups) {
      if (g.touched < now - this.#limits.stateTtlMs) this.#groups.delete(key);
    }
  }
}
