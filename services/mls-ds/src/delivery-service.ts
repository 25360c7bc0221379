import { createHash, randomBytes } from 'node:crypto';
import { DS_PROTOCOL_VERSION, DsCloseCode, type HelloMessage, type ResumeMessage } from '@conclave/protocol';
import type { BusEvent, EventBus, JobScheduler, JoinTokenVerifier, Logger } from '@conclave/runtime';
import type { WebSocket } from 'ws';
import type { DsSettings } from './config.ts';
import type { ConnectionHost, ConnectionLimits } from './edge/connection-host.ts';
import { MemberConnection } from './edge/member-connection.ts';
import { GroupRoom, type RoomHost } from './group/group-room.ts';
import type { DsMetrics } from './metrics.ts';
import type { GroupKey, GroupStateStore } from './state/group-state-store.ts';

export const PURGE_JOB = 'ds-purge';

/**
 * Store key of a group: a hash of the token's opaque group ID, so neither Redis keys nor
 * job IDs carry an ID that the API's database could map to a meeting.
 */
export function groupKeyOf(grp: string): GroupKey {
  return createHash('sha256').update('conclave/v1 ds group\n').update(grp).digest('base64url').slice(0, 22);
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export interface DeliveryServiceDeps {
  config: DsSettings;
  store: GroupStateStore;
  verifier: JoinTokenVerifier;
  bus: EventBus;
  scheduler: JobScheduler;
  metrics: DsMetrics;
  logger: Logger;
}

/**
 * The DS on one instance: authenticates connections, attaches them to the rooms of their
 * groups, and reacts to bus events and purge jobs. Everything shared lives in the store.
 */
export class DeliveryService implements RoomHost, ConnectionHost<MemberConnection> {
  readonly config: DsSettings;
  readonly limits: ConnectionLimits;
  readonly store: GroupStateStore;
  readonly bus: EventBus;
  readonly metrics: DsMetrics;
  readonly maintainIntervalMs: number;
  readonly #verifier: JoinTokenVerifier;
  readonly #scheduler: JobScheduler;
  readonly #logger: Logger;
  readonly #rooms = new Map<GroupKey, GroupRoom>();
  readonly #connections = new Set<MemberConnection>();
  #pinger: NodeJS.Timeout | undefined;
  #unsubscribeBus: (() => void) | undefined;
  #closing = false;
  /** Purge jobs being scheduled; shutdown waits for them so a dying instance still leaves one. */
  readonly #arming = new Set<Promise<void>>();

  constructor(deps: DeliveryServiceDeps) {
    this.config = deps.config;
    this.limits = deps.config;
    this.store = deps.store;
    this.bus = deps.bus;
    this.metrics = deps.metrics;
    this.maintainIntervalMs = deps.config.DS_MAINTAIN_INTERVAL_MS;
    this.#verifier = deps.verifier;
    this.#scheduler = deps.scheduler;
    this.#logger = deps.logger;
  }

  get closing(): boolean {
    return this.#closing;
  }

  start(): void {
    this.#scheduler.handle(PURGE_JOB, async (data) => {
      const key = data.g;
      if (typeof key !== 'string') return;
      // Expires sessions nobody heartbeats any more and deletes the group once empty.
      await this.store.maintain(key, [], Date.now());
    });
    this.#unsubscribeBus = this.bus.subscribe((event) => this.#onBusEvent(event));
    this.#pinger = setInterval(() => {
      for (const c of this.#connections) c.heartbeat();
    }, this.config.DS_PING_INTERVAL_MS);
    this.#pinger.unref();
  }

  accept(socket: WebSocket): void {
    if (this.#closing) {
      socket.close(DsCloseCode.goingAway, 'shutdown');
      return;
    }
    const connection = new MemberConnection(socket, this);
    this.#connections.add(connection);
    this.metrics.connections.set(this.#connections.size);
  }

  async authenticate(c: MemberConnection, m: HelloMessage | ResumeMessage): Promise<void> {
    if (m.type === 'hello') return this.#hello(c, m);
    return this.#resume(c, m);
  }

  async #hello(c: MemberConnection, m: HelloMessage): Promise<void> {
    const verified = this.#verifier.verify(m.token);
    if (!verified.ok) return c.close(DsCloseCode.unauthorized, verified.error.code);
    const claims = verified.claims;
    const room = await this.#room(groupKeyOf(claims.grp));
    c.bind({
      room,
      member: randomBytes(16).toString('base64url'),
      sid: claims.sid,
      role: claims.role,
      sfuRoom: claims.room,
      grp: claims.grp,
    });
    const secret = `${room.key}.${randomBytes(32).toString('base64url')}`;
    const r = await this.store.join(
      room.key,
      {
        member: c.member,
        connection: c.id,
        sid: claims.sid,
        role: claims.role,
        secretHash: hashSecret(secret),
      },
      Date.now(),
    );
    if (!r.ok) {
      const code =
        r.code === 'session_refused'
          ? DsCloseCode.sessionRefused
          : r.code === 'session_in_use'
            ? DsCloseCode.sessionInUse
            : DsCloseCode.groupFull;
      return c.refuse(code, r.code);
    }
    if (r.create) room.groupCreated(r.seq);
    if (c.closed) return;
    c.admit({ sid: claims.sid, role: claims.role, joined: r.create });
    c.send({
      type: 'ready',
      v: DS_PROTOCOL_VERSION,
      member: c.member,
      secret,
      role: claims.role,
      create: r.create,
      epoch: r.epoch,
      seq: r.seq,
      members: r.members,
    });
    c.open(r.seq);
    if (r.create) this.confirmMember(c);
  }

  async #resume(c: MemberConnection, m: ResumeMessage): Promise<void> {
    // The resume secret names its group: `<group key>.<random>`.
    const key = m.secret.slice(0, 22);
    const secretHash = hashSecret(m.secret);
    // Member IDs are shown to every participant and the group key is public to them too, so
    // until the secret is proven nothing is allocated (room, feed, purge job) or displaced.
    if (!(await this.store.canResume(key, m.member, secretHash))) {
      return c.close(DsCloseCode.resumeUnavailable, 'resume_unavailable');
    }
    const room = await this.#room(key);
    c.bind({ room, member: m.member });
    const r = await this.store.resume(
      key,
      { member: m.member, connection: c.id, secretHash, afterSeq: m.seq },
      Date.now(),
    );
    if (!r.ok) return c.refuse(DsCloseCode.resumeUnavailable, r.code);
    if (c.closed) return;
    const welcomed = r.events.some((e) => e.type === 'commit' && e.adds.some((a) => a.member === m.member));
    c.admit({ sid: r.sid, role: r.role, joined: r.joined && !welcomed }, m.seq);
    c.send({ type: 'resumed', epoch: r.epoch, seq: r.seq });
    for (const entry of r.events) c.deliver({ entry });
    c.open(r.seq);
    if (r.joined && !welcomed) this.confirmMember(c);
  }

  sessionRemoved(removed: { room: string; grp: string; sid: string }): Promise<void> {
    return this.bus.publish({ type: 'session.removed', ...removed });
  }

  /**
   * Tells the API this session is a member of its group, so its rejoin secret may pass a lock.
   * Sent when it joins (Welcome or creation), resumes, and on every `rejoin.reset`.
   */
  confirmMember(c: MemberConnection): void {
    this.bus.publish({ type: 'session.joined', sid: c.sid }).catch((e) => this.onError(e));
  }

  async #room(key: GroupKey): Promise<GroupRoom> {
    let room = this.#rooms.get(key);
    if (!room) {
      room = new GroupRoom(key, this);
      this.#rooms.set(key, room);
      this.metrics.groups.set(this.#rooms.size);
    }
    await room.start();
    return room;
  }

  detach(c: MemberConnection, dropped: boolean): void {
    this.#connections.delete(c);
    this.metrics.connections.set(this.#connections.size);
    const room = c.room;
    if (!room) return;
    if (dropped && !this.#closing) {
      this.store.disconnect(room.key, c.member, c.id, Date.now()).catch((e) => this.onError(e));
    }
    room.detach(c, dropped);
  }

  roomClosed(room: GroupRoom): void {
    if (this.#rooms.get(room.key) === room) this.#rooms.delete(room.key);
    this.metrics.groups.set(this.#rooms.size);
  }

  armPurge(key: GroupKey): void {
    const runAt = new Date(Date.now() + this.config.DS_RESUME_GRACE_MS + 5000);
    const armed = this.#scheduler
      .schedule(PURGE_JOB, key, runAt, { g: key })
      .catch((e) => this.onError(e))
      .finally(() => this.#arming.delete(armed));
    this.#arming.add(armed);
  }

  async cancelPurge(key: GroupKey): Promise<void> {
    await this.#scheduler.cancel(PURGE_JOB, key);
  }

  onError(error: unknown): void {
    this.#logger.warn({ event: 'ds_error', err: error });
  }

  #onBusEvent(event: BusEvent): void {
    if (!('grp' in event)) return;
    const key = groupKeyOf(event.grp);
    if (event.type === 'session.removed') {
      this.store.refuseSession(key, event.sid, Date.now()).catch((e) => this.onError(e));
    } else if (event.type === 'rejoin.reset') {
      // The API voided the room's rejoin secrets: confirm the members served here.
      for (const c of this.#rooms.get(key)?.members() ?? []) this.confirmMember(c);
    } else if (event.type === 'room.ended') {
      this.store
        .endGroup(key)
        .then(() => this.cancelPurge(key))
        .catch((e) => this.onError(e));
    }
  }

  /** Closes every connection with 1001 (resume elsewhere); sessions stay for the resume grace. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#pinger);
    this.#unsubscribeBus?.();
    for (const room of [...this.#rooms.values()]) room.close();
    for (const c of [...this.#connections]) c.close(DsCloseCode.goingAway, 'shutdown');
    await Promise.allSettled([...this.#arming]);
  }
}
