import { randomBytes } from 'node:crypto';
import {
  type AppMessage,
  type CommitMessage,
  DsCloseCode,
  DsErrorCode,
  type DsClientMessage,
  type DsServerMessage,
  type KickMessage,
  type RejectMessage,
} from '@conclave/protocol';
import type { WebSocket } from 'ws';
import type { GroupRoom } from '../group/group-room.ts';
import {
  type CloseReason,
  type CommitRequestFeed,
  type LogEntry,
  memberEvent,
  welcomeEvent,
} from '../group/rules/feed.ts';
import type { DeliveryService } from '../delivery-service.ts';
import { type ParseResult, parseClientFrame } from './frames.ts';
import { TokenBucket } from './rate-limiter.ts';

/** Serialized forms of one log entry, built once and shared by every connection. */
export interface EntryFrames {
  entry: LogEntry;
  forMembers?: string;
  forJoiners?: string;
}

const CLOSE_FOR: Record<CloseReason, number> = {
  removed: DsCloseCode.removed,
  rejected: DsCloseCode.removed,
  kicked: DsCloseCode.sessionRefused,
  replaced: DsCloseCode.sessionInUse,
};

/**
 * Back-pressure: once this many client messages wait for the store, the DS stops reading the
 * socket (TCP then pushes back on the sender) and reads again when at most `RESUME_READING`
 * are left. Honest bursts are slowed down, not refused; the rate limits still stop floods.
 */
export const PAUSE_READING = 8;
export const RESUME_READING = 4;
/** Refused messages after which a flooding connection is closed. */
const MAX_VIOLATIONS = 50;

/**
 * One WebSocket of one session. Authenticates with the first frame, then turns client
 * frames into store operations (one at a time, in order) and feed events into frames.
 */
export class MemberConnection {
  readonly id = randomBytes(12).toString('base64url');
  readonly #socket: WebSocket;
  readonly #service: DeliveryService;
  readonly #messages: TokenBucket;
  readonly #bytes: TokenBucket;
  #state: 'auth' | 'authenticating' | 'joining' | 'open' | 'closed' = 'auth';
  #authTimer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  #paused = false;
  #violations = 0;
  #alive = true;
  /** Feed work received while the store call that attaches this session is in flight. */
  #held: (() => void)[] = [];

  room: GroupRoom | undefined;
  member = '';
  sid = '';
  role: 'participant' | 'host' = 'participant';
  /** Opaque SFU room ID of the token, for `session.removed` on a kick. */
  sfuRoom = '';
  grp = '';
  joined = false;
  lastSeq = 0;
  /** When this session's KeyPackage arrived, for the join latency metric. */
  keyPackageAt = 0;
  /** Set once the session is over for the store (left, kicked, removed): no disconnect then. */
  departed = false;

  constructor(socket: WebSocket, service: DeliveryService) {
    this.#socket = socket;
    this.#service = service;
    const c = service.config;
    this.#messages = new TokenBucket(c.DS_RATE_MESSAGES_PER_SECOND, c.DS_RATE_MESSAGE_BURST);
    this.#bytes = new TokenBucket(
      c.DS_RATE_BYTES_PER_SECOND,
      Math.max(c.DS_RATE_BYTES_PER_SECOND, 2 * c.DS_MAX_MESSAGE_BYTES),
    );
    this.#authTimer = setTimeout(
      () => this.close(DsCloseCode.authTimeout, 'auth_timeout'),
      c.DS_AUTH_TIMEOUT_MS,
    );
    socket.on('message', (data, isBinary) => this.#onFrame(data as Buffer, isBinary));
    socket.on('pong', () => {
      this.#alive = true;
    });
    socket.on('close', () => this.#onClose());
    socket.on('error', () => {});
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /**
   * Called on every ping interval: a peer that missed the previous ping is gone. Any frame
   * counts as a sign of life, and while reading is paused its pong may be waiting unread
   * behind the burst that caused the pause.
   */
  heartbeat(): void {
    if (this.#state === 'closed') return;
    if (!this.#alive && !this.#paused) {
      this.#socket.terminate();
      return;
    }
    this.#alive = false;
    this.#socket.ping();
  }

  send(message: DsServerMessage): void {
    this.sendRaw(JSON.stringify(message));
  }

  /** Never waits for the socket: a reader that falls behind is dropped, the group goes on. */
  sendRaw(frame: string): void {
    if (this.#state === 'closed') return;
    if (this.#socket.bufferedAmount > this.#service.config.DS_SLOW_CONSUMER_BYTES) {
      this.close(DsCloseCode.slowConsumer, 'slow_consumer');
      return;
    }
    this.#socket.send(frame);
    this.#service.metrics.messagesOut.inc();
  }

  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#service.metrics.closes.inc({ code: String(code) });
    this.#socket.close(code, reason);
    // Read again, or the peer's closing handshake would wait behind the pause until it times out.
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
    this.#onClose();
  }

  /** Runs feed work now, or after the attaching store call returned. */
  onFeed(work: () => void): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'joining') this.#held.push(work);
    else work();
  }

  /** The store attached the session: from here on it sees events after `seq`. */
  open(seq: number): void {
    this.lastSeq = seq;
    this.#state = 'open';
    const held = this.#held;
    this.#held = [];
    for (const work of held) work();
  }

  deliver(frames: EntryFrames): void {
    const e = frames.entry;
    if (e.seq <= this.lastSeq) return;
    // Events reach a connection strictly one after the other; a hole means the ones in
    // between are no longer buffered anywhere.
    if (e.seq > this.lastSeq + 1) {
      this.gapTooOld();
      return;
    }
    this.lastSeq = e.seq;
    if (!this.joined) {
      const welcome =
        e.t === 'commit' && e.adds.some((a) => a.member === this.member) ? welcomeEvent(e) : undefined;
      if (!welcome) return;
      frames.forJoiners ??= JSON.stringify(welcome);
      this.joined = true;
      if (this.keyPackageAt > 0)
        this.#service.metrics.joinLatency.observe((Date.now() - this.keyPackageAt) / 1000);
      this.sendRaw(frames.forJoiners);
      this.#service.confirmMember(this);
      return;
    }
    if (e.t === 'app' && e.from === this.member) return;
    frames.forMembers ??= JSON.stringify(memberEvent(e));
    this.sendRaw(frames.forMembers);
  }

  commitRequest(req: CommitRequestFeed): void {
    if (!this.joined) return;
    this.#service.metrics.commitRequests.inc();
    this.send({
      t: 'commit_request',
      epoch: req.epoch,
      deadline: req.deadline,
      adds: req.adds,
      removes: req.removes,
    });
  }

  becomeCreator(epoch: number, seq: number): void {
    this.joined = true;
    this.send({ t: 'create', epoch, seq });
    this.#service.confirmMember(this);
  }

  /**
   * This session missed events that the replay buffer no longer holds: it cannot stay in the
   * group consistently, so it leaves (its Remove gets committed) and the client joins again.
   */
  gapTooOld(): void {
    if (this.#state === 'closed') return;
    this.departed = true;
    const room = this.room;
    this.close(DsCloseCode.gapTooOld, 'gap_too_old');
    if (!room) return;
    this.#service.store
      .leave(room.key, this.member, Date.now())
      .then((r) => (r.purged ? room.purged() : undefined))
      .catch((e) => this.#service.onError(e));
  }

  closeFor(reason: CloseReason): void {
    this.departed = true;
    this.close(CLOSE_FOR[reason], reason);
  }

  #error(code: string, ref?: string, epoch?: number): void {
    this.#service.metrics.errors.inc({ code });
    this.send({
      t: 'error',
      code,
      ...(ref !== undefined ? { ref } : {}),
      ...(epoch !== undefined ? { epoch } : {}),
    });
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    this.#alive = true;
    if (this.#state === 'auth') {
      this.#state = 'authenticating';
      clearTimeout(this.#authTimer);
      const parsed = isBinary ? undefined : parseClientFrame(data.toString('utf8'));
      if (!parsed?.ok || (parsed.message.t !== 'hello' && parsed.message.t !== 'resume')) {
        this.close(DsCloseCode.protocolError, 'expected_hello');
        return;
      }
      const message = parsed.message;
      this.#chain = this.#service
        .authenticate(this, message)
        .catch(() => this.close(DsCloseCode.internalError, 'internal_error'));
      return;
    }
    // Frames arriving while authenticating are ordered after it by the chain.
    if (!this.#messages.take(1) || !this.#bytes.take(data.length)) {
      this.#violations += 1;
      if (this.#violations >= MAX_VIOLATIONS) this.close(DsCloseCode.rateLimited, 'rate_limited');
      else this.#error(DsErrorCode.rateLimited);
      return;
    }
    const parsed: ParseResult = isBinary ? { ok: false } : parseClientFrame(data.toString('utf8'));
    if (!parsed.ok) {
      this.#error(DsErrorCode.malformedMessage, parsed.ref);
      return;
    }
    this.#service.metrics.messagesIn.inc({ type: parsed.message.t });
    this.#queued += 1;
    // Frames already read from the socket still arrive after a pause; they queue up too.
    if (this.#queued >= PAUSE_READING && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
    const message = parsed.message;
    this.#chain = this.#chain
      .then(() => this.#handle(message))
      .catch(() => this.close(DsCloseCode.internalError, 'internal_error'))
      .finally(() => {
        this.#queued -= 1;
        if (this.#paused && this.#queued <= RESUME_READING && this.#state !== 'closed') {
          this.#paused = false;
          this.#socket.resume();
        }
      });
  }

  async #handle(message: DsClientMessage): Promise<void> {
    const room = this.room;
    if (this.#state !== 'open' || !room) return;
    const store = this.#service.store;
    const now = Date.now();
    switch (message.t) {
      case 'hello':
      case 'resume':
        return this.#error(DsErrorCode.unexpectedHello);
      case 'key_package': {
        const r = await store.publishKeyPackage(room.key, this.member, message.kp, now);
        if (!r.ok) return this.#error(r.code, message.id);
        this.keyPackageAt = now;
        return;
      }
      case 'commit':
        return this.#commit(room, message);
      case 'reject':
        return this.#reject(room, message);
      case 'app':
        return this.#app(room, message);
      case 'leave': {
        this.departed = true;
        const r = await store.leave(room.key, this.member, now);
        if (r.purged) await room.purged();
        this.close(DsCloseCode.normal, 'left');
        return;
      }
      case 'kick':
        return this.#kick(room, message);
    }
  }

  async #commit(room: GroupRoom, m: CommitMessage): Promise<void> {
    const { t: _t, id: _id, ...submission } = m;
    const r = await this.#service.store.submitCommit(room.key, this.member, submission, Date.now());
    this.#service.metrics.commits.inc({ outcome: r.ok ? 'accepted' : r.code });
    if (!r.ok) this.#error(r.code, m.id, r.code === 'stale_epoch' ? r.epoch : undefined);
  }

  async #reject(room: GroupRoom, m: RejectMessage): Promise<void> {
    const r = await this.#service.store.rejectKeyPackages(room.key, this.member, m.members, Date.now());
    if (!r.ok) this.#error(r.code, m.id);
  }

  async #app(room: GroupRoom, m: AppMessage): Promise<void> {
    const r = await this.#service.store.appendApplication(room.key, this.member, m.epoch, m.data);
    if (!r.ok) this.#error(r.code, m.id, r.code === 'wrong_epoch' ? r.epoch : undefined);
  }

  async #kick(room: GroupRoom, m: KickMessage): Promise<void> {
    if (this.role !== 'host') return this.#error(DsErrorCode.forbidden, m.id);
    if (m.member === this.member) return this.#error(DsErrorCode.unknownMember, m.id);
    const r = await this.#service.store.kick(room.key, m.member, Date.now());
    if (!r.ok) return this.#error(r.code, m.id);
    await this.#service.bus.publish({
      type: 'session.removed',
      room: this.sfuRoom,
      grp: this.grp,
      sid: r.sid,
    });
  }

  /** Marks the connection as attaching (feed work is held until `open`). */
  attaching(): void {
    this.#state = 'joining';
  }

  #onClose(): void {
    if (this.#state === 'closed') return;
    const wasAttached = this.#state === 'open' || this.#state === 'joining';
    this.#state = 'closed';
    this.#held = [];
    clearTimeout(this.#authTimer);
    this.#service.detach(this, wasAttached && !this.departed);
  }
}
