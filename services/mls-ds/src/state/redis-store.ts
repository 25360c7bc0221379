import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { FeedMessage, LogEntry } from '../group/rules/feed.ts';
import { type GroupSnapshot, GroupRulesStore, type Rule } from './group-rules-store.ts';
import type { FeedHandler, GroupKey, StoreLimits } from './group-state-store.ts';
import { type StoredGroup, decodeGroup, versionOf, writeArgs, writesFor } from './redis-group-codec.ts';
import { CAS_SCRIPT } from './redis-scripts.ts';

type CasFn = (...args: (string | number)[]) => Promise<number>;

/** Default number of writes of one turn tried before giving up under contention. */
const CAS_ATTEMPTS = 25;

interface QueuedRule {
  now: number;
  rule: Rule<unknown>;
  withLog: boolean;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

interface Snapshot extends GroupSnapshot {
  /** Version the group was read at ('' when there is no group). */
  version: string;
}

/**
 * Prefix of a group's keys and feed channel. It names the format of what they hold (group
 * state, replay buffer, feed messages): a release that changes that format changes the prefix,
 * so it never reads what an older release wrote (docs/operations.md, *Upgrades*). `ds2`: feed
 * messages and buffered events name their kind in `type` (`t` under `ds`).
 */
const PREFIX = 'ds2';

/** Every key of a group shares the `{group}` hash tag, so the store also works on Redis Cluster. */
export function groupKeys(group: GroupKey): string[] {
  const p = `${PREFIX}:{${group}}:`;
  return [`${p}m`, `${p}kp`, `${p}g`, `${p}log`, `${p}x`, `${p}s`];
}

export function feedChannel(group: GroupKey): string {
  return `${PREFIX}:{${group}}:feed`;
}

/**
 * Group state in Redis for the distributed mode: any number of DS instances serve members
 * of one group. Each operation reads the group, applies the group rules (src/group/rules/) and
 * writes the difference with a compare-and-set on the group's version (redis-scripts.ts),
 * which also publishes to the group's pub/sub feed, so every instance sees one order.
 */
export class RedisGroupStateStore extends GroupRulesStore {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #handlers = new Map<string, Set<FeedHandler>>();
  /** Rules waiting for their group's next turn, and the groups taking one (see `apply`). */
  readonly #queued = new Map<GroupKey, QueuedRule[]>();
  readonly #draining = new Set<GroupKey>();
  /** CLIENT SETNAME of the feed subscriber connection: random, names no group or member. */
  readonly feedConnectionName = `conclave-ds-feed-${randomBytes(6).toString('hex')}`;
  /** The subscriber connection dropped after it had been ready: messages may have been lost. */
  #lost = false;
  #closing = false;

  readonly #casAttempts: number;

  /**
   * `feedRetryDelayMs`: fixed delay before the feed connection reconnects (ioredis backoff
   * otherwise); `casAttempts`: writes tried per turn before `StoreContentionError`.
   */
  constructor(
    redisUrl: string,
    limits: StoreLimits,
    options: { feedRetryDelayMs?: number; casAttempts?: number } = {},
  ) {
    super(limits);
    this.#casAttempts = options.casAttempts ?? CAS_ATTEMPTS;
    this.#redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    const delay = options.feedRetryDelayMs;
    // Resubscribing is done here, not by ioredis, to know when it is complete (see #recover).
    this.#sub = new Redis(redisUrl, {
      maxRetriesPerRequest: null,
      autoResubscribe: false,
      connectionName: this.feedConnectionName,
      ...(delay !== undefined ? { retryStrategy: () => delay } : {}),
    });
    // Connection errors are retried by ioredis; failed calls reject to their callers.
    this.#redis.on('error', () => {});
    this.#sub.on('error', () => {});
    this.#redis.defineCommand('dsCas', { numberOfKeys: 6, lua: CAS_SCRIPT });
    this.#sub.on('message', (channel: string, raw: string) => {
      const handlers = this.#handlers.get(channel);
      if (!handlers) return;
      let message: FeedMessage;
      try {
        message = JSON.parse(raw) as FeedMessage;
      } catch {
        return;
      }
      for (const handler of handlers) handler(message);
    });
    this.#sub.on('close', () => {
      if (!this.#closing) this.#lost = true;
    });
    this.#sub.on('ready', () => {
      if (this.#lost) this.#recover();
    });
  }

  /**
   * Pub/sub delivers at most once: whatever was published while the subscriber was away is
   * gone. Once every channel is subscribed again, each handler gets `resync` and catches up
   * from the replay buffer, so nothing published after the resubscription can be missed.
   */
  #recover(): void {
    this.#lost = false;
    const channels = [...this.#handlers.keys()];
    if (channels.length === 0) return;
    this.#sub.subscribe(...channels).then(
      () => {
        for (const channel of channels) {
          for (const handler of this.#handlers.get(channel) ?? []) handler({ type: 'resync' });
        }
      },
      // Dropped again before the subscription completed: the next `ready` starts over.
      () => {
        this.#lost = true;
      },
    );
  }

  async endGroup(group: GroupKey): Promise<void> {
    await this.#redis
      .multi()
      .del(...groupKeys(group))
      .publish(feedChannel(group), JSON.stringify({ type: 'end' } satisfies FeedMessage))
      .exec();
  }

  async subscribe(group: GroupKey, handler: FeedHandler): Promise<() => Promise<void>> {
    const channel = feedChannel(group);
    let set = this.#handlers.get(channel);
    if (!set) {
      set = new Set();
      this.#handlers.set(channel, set);
      await this.#sub.subscribe(channel);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.#handlers.get(channel) === set) {
        this.#handlers.delete(channel);
        await this.#sub.unsubscribe(channel).catch(() => {});
      }
    };
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.#redis.ping()) === 'PONG' && this.#sub.status === 'ready';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#handlers.clear();
    // The feed connection has nothing to flush (and may be waiting to reconnect): just drop it.
    this.#sub.disconnect();
    await this.#redis.quit().catch(() => {});
  }

  /** Reads the group in one snapshot; with `withLog`, its replay buffer too. */
  protected async snapshot(group: GroupKey, withLog: boolean): Promise<Snapshot> {
    const [m, kp, g, log, x] = groupKeys(group);
    const tx = this.#redis.multi().hgetall(m!).hgetall(kp!).hgetall(g!).smembers(x!);
    if (withLog) tx.lrange(log!, 0, -1);
    const replies = (await tx.exec()) ?? [];
    const values = replies.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const stored: StoredGroup = {
      sessions: values[0] as Record<string, string>,
      keyPackages: values[1] as Record<string, string>,
      fields: values[2] as Record<string, string>,
      refused: values[3] as string[],
    };
    return {
      version: versionOf(stored),
      state: decodeGroup(stored),
      log: withLog ? (values[4] as string[]).map((e) => JSON.parse(e) as LogEntry) : [],
    };
  }

  /**
   * Applies one rule to the group. Operations of this instance on one group queue up; each
   * turn applies every queued rule in order to one read and writes their outcome with one
   * compare-and-set, so they never race each other and a burst costs a few round trips.
   */
  protected apply<R>(group: GroupKey, now: number, rule: Rule<R>, withLog = false): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queued = this.#queued.get(group) ?? [];
      queued.push({ now, rule, withLog, resolve: resolve as (r: unknown) => void, reject });
      this.#queued.set(group, queued);
      if (!this.#draining.has(group)) void this.#drain(group);
    });
  }

  async #drain(group: GroupKey): Promise<void> {
    this.#draining.add(group);
    for (let batch = this.#queued.get(group); batch; batch = this.#queued.get(group)) {
      this.#queued.delete(group);
      try {
        const results = await this.#compareAndSet(group, batch);
        for (const [i, op] of batch.entries()) op.resolve(results[i]);
      } catch (error) {
        for (const op of batch) op.reject(error);
      }
    }
    this.#draining.delete(group);
  }

  /**
   * Reads the group, applies the rules in order and writes the result if nobody wrote in
   * between; otherwise reads again, a bounded number of times.
   */
  async #compareAndSet(group: GroupKey, batch: QueuedRule[]): Promise<unknown[]> {
    const withLog = batch.some((op) => op.withLog);
    for (let attempt = 0; attempt < this.#casAttempts; attempt++) {
      const read = await this.snapshot(group, withLog);
      let state = read.state;
      const log = [...read.log];
      const feed: FeedMessage[] = [];
      const results = batch.map((op) => {
        const outcome = op.rule(state, { now: op.now, limits: this.limits }, log);
        state = outcome.state;
        feed.push(...outcome.feed);
        for (const m of outcome.feed) if (m.type === 'commit' || m.type === 'app') log.push(m);
        return outcome.result;
      });
      if (state === read.state && feed.length === 0) return results;
      const writes = writesFor(read.state, state, feed, this.limits.replayEvents);
      const next = state ? randomBytes(9).toString('base64url') : '';
      const applied = await (this.#redis as unknown as { dsCas: CasFn }).dsCas(
        ...groupKeys(group),
        read.version,
        next,
        this.limits.stateTtlMs,
        feedChannel(group),
        ...writeArgs(writes),
      );
      if (applied === 1) return results;
      // Another instance changed the group meanwhile: back off a random moment, then re-read.
      await sleep(Math.random() * Math.min(2 ** attempt, 50));
    }
    throw new StoreContentionError(this.#casAttempts);
  }
}

/** The group changed under every attempt of one operation: too many concurrent writers. */
export class StoreContentionError extends Error {
  readonly code = 'store_contention';
  constructor(attempts: number) {
    super(`group state changed concurrently ${attempts} times in a row`);
  }
}
