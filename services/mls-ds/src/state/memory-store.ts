import type { FeedMessage, LogEntry } from '../group/rules/feed.ts';
import type { GroupState } from '../group/rules/group-state.ts';
import { type GroupSnapshot, GroupRulesStore, type Rule } from './group-rules-store.ts';
import type { FeedHandler, GroupKey } from './group-state-store.ts';

interface Stored {
  state: GroupState;
  /** Replay buffer: the last `replayEvents` sequenced entries. */
  log: LogEntry[];
  touched: number;
}

/**
 * In-process group state for the embedded single-node mode: holds each group's state and
 * replay buffer and applies the group rules (`src/group/rules/`) to them. Idle groups are dropped
 * after the state TTL like expiring keys.
 */
export class MemoryGroupStateStore extends GroupRulesStore {
  readonly #groups = new Map<GroupKey, Stored>();
  readonly #handlers = new Map<GroupKey, Set<FeedHandler>>();
  readonly #queue: [GroupKey, FeedMessage][] = [];
  #draining = false;

  /** Number of groups held; the embedded equivalent of scanning for keys. */
  get size(): number {
    this.#expireIdle(Date.now());
    return this.#groups.size;
  }

  async endGroup(key: GroupKey): Promise<void> {
    this.#groups.delete(key);
    this.#publish(key, { type: 'end' });
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

  protected async snapshot(key: GroupKey): Promise<GroupSnapshot> {
    const stored = this.#groups.get(key);
    return { state: stored?.state, log: stored?.log ?? [] };
  }

  /** Runs one rule on the group as held and keeps what it returns. */
  protected async apply<R>(key: GroupKey, now: number, rule: Rule<R>): Promise<R> {
    this.#expireIdle(now);
    const stored = this.#groups.get(key);
    const outcome = rule(stored?.state, { now, limits: this.limits }, stored?.log ?? []);
    if (outcome.state === stored?.state && outcome.feed.length === 0) return outcome.result;
    if (outcome.state === undefined) this.#groups.delete(key);
    else {
      const next = stored ?? { state: outcome.state, log: [], touched: now };
      next.state = outcome.state;
      next.touched = now;
      for (const m of outcome.feed) if (m.type === 'commit' || m.type === 'app') next.log.push(m);
      if (next.log.length > this.limits.replayEvents)
        next.log.splice(0, next.log.length - this.limits.replayEvents);
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
      if (g.touched < now - this.limits.stateTtlMs) this.#groups.delete(key);
    }
  }
}
