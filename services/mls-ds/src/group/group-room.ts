import { DsCloseCode } from '@conclave/protocol';
import type { EntryFrames, MemberConnection } from '../edge/member-connection.ts';
import type { DsMetrics } from '../metrics.ts';
import type { FeedMessage, GroupKey, GroupStateStore, LogEntry } from '../state/group-state-store.ts';

export interface RoomHost {
  readonly store: GroupStateStore;
  readonly metrics: DsMetrics;
  maintainIntervalMs: number;
  /** Schedules the group's purge job; called on start, periodically, and on close. */
  armPurge(key: GroupKey): void;
  cancelPurge(key: GroupKey): Promise<void>;
  roomClosed(room: GroupRoom): void;
  onError(error: unknown): void;
}

/** How often a room re-arms the purge job while it serves members. */
const REARM_EVERY_MS = 10_000;

/**
 * The part of one group served by this instance: its local connections, its feed
 * subscription, in-order delivery with gap filling from the replay buffer, and the
 * periodic heartbeat that keeps the group's sessions alive in the store.
 */
export class GroupRoom {
  readonly key: GroupKey;
  readonly #host: RoomHost;
  /** Connections the store accepted, by member: at most one per session. */
  readonly #connections = new Map<string, MemberConnection>();
  /**
   * Connections whose hello or resume is still with the store. They see the feed (held until
   * they open) so nothing sequenced meanwhile is missed, but displace nobody until accepted.
   */
  readonly #attaching = new Set<MemberConnection>();
  #unsubscribe: (() => Promise<void>) | undefined;
  #started: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastRearm = 0;
  /** Highest sequence number dispatched, undefined until the first event. */
  #seq: number | undefined;
  #feed: Promise<void> = Promise.resolve();
  #closed = false;
  #purged = false;
  /** A connection dropped without leaving: its session may resume elsewhere or must expire. */
  #dropped = false;
  /** Members connected here that the last heartbeat found no session for (see #maintain). */
  #unknown = new Set<string>();

  constructor(key: GroupKey, host: RoomHost) {
    this.key = key;
    this.#host = host;
  }

  get size(): number {
    return this.#connections.size + this.#attaching.size;
  }

  /** Subscribes to the feed; resolves once no later event can be missed. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      this.#unsubscribe = await this.#host.store.subscribe(this.key, (m) => this.#onFeed(m));
      this.#timer = setInterval(() => this.#maintain(), this.#host.maintainIntervalMs);
      this.#timer.unref();
      this.#lastRearm = Date.now();
      this.#host.armPurge(this.key);
    })();
    return this.#started;
  }

  /** Feeds a connection from before its store call, so that call's snapshot and the feed meet. */
  hold(connection: MemberConnection): void {
    this.#attaching.add(connection);
  }

  /** The store accepted the connection's session: it becomes the one connection of its member here. */
  attach(connection: MemberConnection): void {
    this.#attaching.delete(connection);
    const previous = this.#connections.get(connection.member);
    if (previous && previous !== connection) previous.closeFor('replaced');
    this.#connections.set(connection.member, connection);
  }

  detach(connection: MemberConnection, dropped: boolean): void {
    if (dropped) this.#dropped = true;
    this.#attaching.delete(connection);
    if (this.#connections.get(connection.member) === connection) this.#connections.delete(connection.member);
    if (this.size === 0) this.close();
  }

  /** Connections here of sessions that are members of the group (not joiners still waiting). */
  members(): MemberConnection[] {
    return [...this.#connections.values()].filter((c) => c.isOpen && c.joined);
  }

  /**
   * A join created the group. If this room served the key before, that group is gone (lost with
   * Redis, say): the new one's sequence numbers start again, below those seen here.
   */
  groupCreated(seq: number): void {
    this.#seq = seq;
  }

  /** The group was deleted: the purge job is no longer needed. */
  async purged(): Promise<void> {
    this.#purged = true;
    await this.#host.cancelPurge(this.key);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#all().some((c) => !c.departed)) this.#dropped = true;
    clearInterval(this.#timer);
    for (const c of this.#all()) c.close(DsCloseCode.goingAway, 'shutdown');
    this.#connections.clear();
    this.#attaching.clear();
    this.#host.roomClosed(this);
    // Sessions that dropped here may still resume elsewhere; the purge job checks later.
    if (this.#dropped && !this.#purged) this.#host.armPurge(this.key);
    void this.#started?.then(() => this.#unsubscribe?.()).catch((e) => this.#host.onError(e));
  }

  #maintain(): void {
    const connected = [...this.#connections.values()].filter((c) => c.isOpen).map((c) => c.member);
    const now = Date.now();
    if (now - this.#lastRearm >= REARM_EVERY_MS) {
      this.#lastRearm = now;
      this.#host.armPurge(this.key);
    }
    this.#host.store
      .maintain(this.key, connected, now)
      .then((r) => {
        // Members connected here whose session the store no longer has, two heartbeats in a
        // row: the store lost the group (Redis restarted, or evicted it; it may even hold a new
        // group that a member back first created). Once only may be a close on its way (a kick,
        // a Remove, the meeting's end), which says more than 4404.
        const lost = r.unknown.filter((m) => this.#unknown.has(m));
        this.#unknown = new Set(r.unknown);
        this.#expire(lost);
        return r.purged ? this.purged() : undefined;
      })
      .catch((e) => this.#host.onError(e));
  }

  /** Feed messages are handled strictly in arrival order: a commit request must never overtake the commit before it. */
  #onFeed(message: FeedMessage): void {
    this.#feed = this.#feed.then(() => this.#handleFeed(message)).catch((e) => this.#host.onError(e));
  }

  async #handleFeed(message: FeedMessage): Promise<void> {
    switch (message.type) {
      case 'commit':
      case 'app':
        return this.#sequence(message);
      case 'resync':
        return this.#resync();
      case 'req': {
        const c = this.#newest(message.to);
        c?.onFeed(() => c.commitRequest(message));
        return;
      }
      case 'create': {
        const c = this.#newest(message.to);
        c?.onFeed(() => c.becomeCreator(message.epoch, message.seq));
        return;
      }
      case 'close':
        for (const c of this.#all()) {
          if (c.member === message.to && c.id !== message.keep) c.closeFor(message.code);
        }
        return;
      case 'end':
        for (const c of this.#all()) {
          c.departed = true;
          c.close(DsCloseCode.meetingEnded, 'meeting_ended');
        }
        return this.purged();
      case 'purged':
        this.#expire(undefined);
        return this.purged();
    }
  }

  /**
   * Sessions the store no longer has (of `members`, or all here): their connections must join
   * again, so they are closed 4404.
   */
  #expire(members: string[] | undefined): void {
    for (const c of this.#all()) {
      if (!c.isOpen || (members && !members.includes(c.member))) continue;
      c.departed = true;
      c.close(DsCloseCode.resumeUnavailable, 'session_expired');
    }
  }

  /**
   * Dispatches events in sequence order, fetching any the feed skipped from the replay buffer.
   * When the buffer no longer holds them, the event is dispatched anyway: each connection
   * that missed something is closed with `gap_too_old` (see `MemberConnection.deliver`).
   */
  async #sequence(entry: LogEntry): Promise<void> {
    if (this.#seq === undefined) this.#seq = this.#oldestSeen() ?? entry.seq - 1;
    if (entry.seq <= this.#seq) return;
    if (entry.seq > this.#seq + 1) {
      const missed = await this.#host.store.readLog(this.key, this.#seq);
      for (const e of missed ?? []) if (e.seq > this.#seq && e.seq < entry.seq) this.#dispatch(e);
    }
    this.#dispatch(entry);
  }

  /**
   * The feed was interrupted: dispatch everything sequenced since the last event seen here.
   * If the replay buffer no longer reaches back that far, the connections that have not seen
   * the oldest lost event cannot be caught up and are closed with `gap_too_old`.
   */
  async #resync(): Promise<void> {
    this.#host.metrics.feedResyncs.inc();
    const after = this.#seq ?? this.#oldestSeen();
    if (after === undefined) return;
    const missed = await this.#host.store.readLog(this.key, after);
    if (missed === null) {
      for (const c of this.#all()) {
        c.onFeed(() => {
          if (c.lastSeq <= after) c.gapTooOld();
        });
      }
      return;
    }
    for (const e of missed) if (this.#seq === undefined || e.seq > this.#seq) this.#dispatch(e);
  }

  /** Lowest sequence number processed by a connection here: no event after it may be skipped. */
  #oldestSeen(): number | undefined {
    let oldest: number | undefined;
    for (const c of this.#connections.values()) {
      if (c.isOpen && (oldest === undefined || c.lastSeq < oldest)) oldest = c.lastSeq;
    }
    return oldest;
  }

  #dispatch(entry: LogEntry): void {
    this.#seq = entry.seq;
    const frames: EntryFrames = { entry };
    for (const c of this.#all()) c.onFeed(() => c.deliver(frames));
  }

  #all(): MemberConnection[] {
    return [...this.#connections.values(), ...this.#attaching];
  }

  /** Where work addressed to a member goes: its attaching connection (a resume) over the one it replaces. */
  #newest(member: string): MemberConnection | undefined {
    for (const c of this.#attaching) if (c.member === member) return c;
    return this.#connections.get(member);
  }
}
