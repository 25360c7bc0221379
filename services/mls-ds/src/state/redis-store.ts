import type { AddedMember, Role } from '@conclave/protocol';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type {
  AppendResult,
  CommitResult,
  CommitSubmission,
  FeedHandler,
  FeedMessage,
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
  StoreErrorCode,
  StoreResult,
} from './group-state-store.ts';
import { SCRIPTS, type ScriptName } from './redis-scripts.ts';

type Reply = (string | number)[];
type ScriptFn = (...args: (string | number)[]) => Promise<Reply>;

/** Every key of a group shares the `{group}` hash tag, so the store also works on Redis Cluster. */
export function groupKeys(group: GroupKey): string[] {
  const p = `ds:{${group}}:`;
  return [`${p}m`, `${p}kp`, `${p}g`, `${p}log`, `${p}x`, `${p}s`];
}

function feedChannel(group: GroupKey): string {
  return `ds:{${group}}:feed`;
}

/**
 * Group state in Redis for the distributed mode: any number of DS instances serve members
 * of one group. Mutations are Lua scripts (see redis-scripts.ts); each group's feed is a
 * pub/sub channel that the scripts publish to, so every instance sees one order.
 */
export class RedisGroupStateStore implements GroupStateStore {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #limits: StoreLimits;
  readonly #handlers = new Map<string, Set<FeedHandler>>();
  /** CLIENT SETNAME of the feed subscriber connection: random, names no group or member. */
  readonly feedConnectionName = `conclave-ds-feed-${randomBytes(6).toString('hex')}`;
  /** The subscriber connection dropped after it had been ready: messages may have been lost. */
  #lost = false;
  #closing = false;

  /** `feedRetryDelayMs`: fixed delay before the feed connection reconnects (ioredis backoff otherwise). */
  constructor(redisUrl: string, limits: StoreLimits, options: { feedRetryDelayMs?: number } = {}) {
    this.#redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    const delay = options.feedRetryDelayMs;
    // Resubscribing is done here, not by ioredis, to know when it is complete (see #recover).
    this.#sub = new Redis(redisUrl, {
      maxRetriesPerRequest: null,
      autoResubscribe: false,
      connectionName: this.feedConnectionName,
      ...(delay !== undefined ? { retryStrategy: () => delay } : {}),
    });
    this.#limits = limits;
    // Connection errors are retried by ioredis; failed calls reject to their callers.
    this.#redis.on('error', () => {});
    this.#sub.on('error', () => {});
    for (const [name, lua] of Object.entries(SCRIPTS))
      this.#redis.defineCommand(name, { numberOfKeys: 6, lua });
    this.#sub.on('message', (channel: string, raw: string) => {
      const handlers = this.#handlers.get(channel);
      if (!handlers) return;
      const message = parseFeed(raw);
      if (!message) return;
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
          for (const handler of this.#handlers.get(channel) ?? []) handler({ k: 'resync' });
        }
      },
      // Dropped again before the subscription completed: the next `ready` starts over.
      () => {
        this.#lost = true;
      },
    );
  }

  async join(group: GroupKey, m: NewMember, now: number): Promise<JoinResult> {
    const r = await this.#run(
      'dsJoin',
      group,
      now,
      m.member,
      m.connection,
      m.sid,
      m.role,
      m.secretHash,
      this.#limits.maxGroupMembers,
    );
    if (r[0] === 'create' || r[0] === 'pending') {
      return {
        ok: true,
        create: r[0] === 'create',
        epoch: Number(r[1]),
        seq: Number(r[2]),
        members: list<AddedMember>(JSON.parse(String(r[3]))),
      };
    }
    return { ok: false, code: r[0] as 'session_refused' | 'session_in_use' | 'group_full' };
  }

  async canResume(group: GroupKey, member: string, secretHash: string): Promise<boolean> {
    const r = await this.#run('dsCanResume', group, Date.now(), member, secretHash);
    return r[0] === 'ok';
  }

  async resume(group: GroupKey, q: ResumeRequest, now: number): Promise<ResumeResult> {
    const r = await this.#run('dsResume', group, now, q.member, q.connection, q.secretHash, q.afterSeq);
    if (r[0] !== 'ok') return { ok: false, code: 'resume_unavailable' };
    return {
      ok: true,
      epoch: Number(r[1]),
      seq: Number(r[2]),
      role: r[3] as Role,
      sid: String(r[4]),
      joined: r[5] === 'j',
      events: r.slice(6).map((e) => parseEntry(String(e))),
    };
  }

  async publishKeyPackage(group: GroupKey, member: string, kp: string, now: number): Promise<StoreResult> {
    const r = await this.#run('dsKeyPackage', group, now, member, kp, this.#limits.maxPendingKeyPackages);
    return r[0] === 'ok' ? { ok: true } : { ok: false, code: r[0] as StoreErrorCode };
  }

  async submitCommit(
    group: GroupKey,
    member: string,
    c: CommitSubmission,
    now: number,
  ): Promise<CommitResult> {
    const entry: Omit<LogEntry & { k: 'commit' }, 'seq'> = {
      k: 'commit',
      from: member,
      epoch: c.epoch,
      commit: c.commit,
      ...(c.welcome !== undefined ? { welcome: c.welcome } : {}),
      adds: c.adds,
      removes: c.removes,
    };
    const r = await this.#run(
      'dsCommit',
      group,
      now,
      member,
      c.epoch,
      JSON.stringify(entry).slice(1),
      JSON.stringify(c.adds),
      JSON.stringify(c.removes),
      JSON.stringify(c.rejected),
    );
    if (r[0] === 'ok') return { ok: true, seq: Number(r[1]), epoch: Number(r[2]) };
    if (r[0] === 'stale_epoch') return { ok: false, code: 'stale_epoch', epoch: Number(r[1]) };
    return { ok: false, code: r[0] as 'not_member' | 'invalid_commit' };
  }

  async rejectKeyPackages(
    group: GroupKey,
    member: string,
    members: string[],
    now: number,
  ): Promise<StoreResult> {
    const r = await this.#run('dsReject', group, now, member, JSON.stringify(members));
    return r[0] === 'ok' ? { ok: true } : { ok: false, code: 'not_member' };
  }

  async appendApplication(
    group: GroupKey,
    member: string,
    epoch: number,
    data: string,
  ): Promise<AppendResult> {
    const rest = JSON.stringify({ k: 'app', from: member, epoch, data }).slice(1);
    const r = await this.#run('dsApp', group, Date.now(), member, epoch, rest);
    if (r[0] === 'ok') return { ok: true, seq: Number(r[1]) };
    if (r[0] === 'wrong_epoch') return { ok: false, code: 'wrong_epoch', epoch: Number(r[1]) };
    return { ok: false, code: 'not_member' };
  }

  async leave(group: GroupKey, member: string, now: number): Promise<MaintainResult> {
    const r = await this.#run('dsLeave', group, now, member);
    return { purged: r[0] === 'purged' };
  }

  async disconnect(group: GroupKey, member: string, connection: string, now: number): Promise<void> {
    await this.#run('dsDisconnect', group, now, member, connection);
  }

  async kick(group: GroupKey, target: string, now: number): Promise<KickResult> {
    const r = await this.#run('dsKick', group, now, target);
    return r[0] === 'ok' ? { ok: true, sid: String(r[1]) } : { ok: false, code: 'unknown_member' };
  }

  async refuseSession(group: GroupKey, sid: string, now: number): Promise<void> {
    await this.#run('dsRefuse', group, now, sid);
  }

  async maintain(group: GroupKey, connected: string[], now: number): Promise<MaintainResult> {
    const r = await this.#run('dsMaintain', group, now, ...connected);
    return { purged: r[0] === 'purged' };
  }

  async readLog(group: GroupKey, afterSeq: number): Promise<LogEntry[] | null> {
    const r = await this.#run('dsReadLog', group, Date.now(), afterSeq);
    if (r[0] !== 'ok') return null;
    return r.slice(1).map((e) => parseEntry(String(e)));
  }

  async endGroup(group: GroupKey): Promise<void> {
    await this.#run('dsEnd', group, Date.now());
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

  #run(script: ScriptName, group: GroupKey, now: number, ...args: (string | number)[]): Promise<Reply> {
    const l = this.#limits;
    const fn = (this.#redis as unknown as Record<ScriptName, ScriptFn>)[script];
    return fn.call(
      this.#redis,
      ...groupKeys(group),
      now,
      l.stateTtlMs,
      l.resumeGraceMs,
      l.commitDeadlineMs,
      l.maxCommitBatch,
      l.replayEvents,
      feedChannel(group),
      ...args,
    );
  }
}

/** Lua's cjson encodes empty arrays as `{}`; restore them. */
function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function parseEntry(raw: string): LogEntry {
  const e = JSON.parse(raw) as LogEntry;
  if (e.k === 'commit') {
    e.adds = list(e.adds);
    e.removes = list(e.removes);
    if (e.members !== undefined) e.members = list(e.members);
  }
  return e;
}

function parseFeed(raw: string): FeedMessage | undefined {
  try {
    const m = JSON.parse(raw) as FeedMessage;
    if (m.k === 'commit') return parseEntry(raw);
    if (m.k === 'req') {
      m.adds = list(m.adds);
      m.removes = list(m.removes);
    }
    return m;
  } catch {
    return undefined;
  }
}
