import { randomBytes } from 'node:crypto';
import {
  DsCloseCode,
  DsCloseReason,
  DsErrorCode,
  type DsClientMessage,
  type DsServerMessage,
} from '@conclave/protocol';
import type { WebSocket } from 'ws';
import type { CloseReason, CommitRequestFeed } from '../state/group-state-store.ts';
import {
  appendApplication,
  kick,
  type RequestError,
  rejectKeyPackages,
  submitCommit,
} from './client-requests.ts';
import type { AdmittedSession, ConnectionHost, ConnectionRoom, SessionBinding } from './connection-host.ts';
import { type EntryFrames, joinerFrame, memberFrame } from './entry-frames.ts';
import { type ParseResult, parseClientFrame, parseFirstFrame } from './frames.ts';
import { ClientFrameLimit } from './rate-limiter.ts';

export type { EntryFrames } from './entry-frames.ts';

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

/**
 * One WebSocket of one session. Authenticates with the first frame, then turns client
 * frames into store operations (one at a time, in order) and feed events into frames.
 */
export class MemberConnection {
  readonly id = randomBytes(12).toString('base64url');
  readonly #socket: WebSocket;
  readonly #host: ConnectionHost<MemberConnection>;
  readonly #limit: ClientFrameLimit;
  #state: 'auth' | 'authenticating' | 'joining' | 'open' | 'closed' = 'auth';
  #authTimer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  #paused = false;
  #alive = true;
  /** Feed work received while the store call that attaches this session is in flight. */
  #held: (() => void)[] = [];

  #room: ConnectionRoom<MemberConnection> | undefined;
  #member = '';
  #sid = '';
  #role: 'participant' | 'host' = 'participant';
  #sfuRoom = '';
  #grp = '';
  #joined = false;
  #lastSeq = 0;
  /** When this session's KeyPackage arrived, for the join latency metric. */
  #keyPackageAt = 0;
  /** Set once the session is over for the store (left, kicked, removed): no disconnect then. */
  departed = false;

  constructor(socket: WebSocket, host: ConnectionHost<MemberConnection>) {
    this.#socket = socket;
    this.#host = host;
    const c = host.limits;
    this.#limit = new ClientFrameLimit({
      messagesPerSecond: c.DS_RATE_MESSAGES_PER_SECOND,
      messageBurst: c.DS_RATE_MESSAGE_BURST,
      bytesPerSecond: c.DS_RATE_BYTES_PER_SECOND,
      maxMessageBytes: c.DS_MAX_MESSAGE_BYTES,
    });
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

  get room(): ConnectionRoom<MemberConnection> | undefined {
    return this.#room;
  }

  get member(): string {
    return this.#member;
  }

  get sid(): string {
    return this.#sid;
  }

  get joined(): boolean {
    return this.#joined;
  }

  get lastSeq(): number {
    return this.#lastSeq;
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
    if (this.#socket.bufferedAmount > this.#host.limits.DS_SLOW_CONSUMER_BYTES) {
      this.close(DsCloseCode.slowConsumer, 'slow_consumer');
      return;
    }
    this.#socket.send(frame);
    this.#host.metrics.messagesOut.inc();
  }

  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#host.metrics.closes.inc({ code: String(code) });
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

  /**
   * The first frame named a session: the connection serves it and, until `open`, holds the
   * room's feed for it while the store decides.
   */
  bind(session: SessionBinding<MemberConnection>): void {
    this.#room = session.room;
    this.#member = session.member;
    this.#sid = session.sid ?? '';
    this.#role = session.role ?? 'participant';
    this.#sfuRoom = session.sfuRoom ?? '';
    this.#grp = session.grp ?? '';
    this.#state = 'joining';
    session.room.hold(this);
  }

  /**
   * The store accepted the session: it becomes the room's connection of its member. `seenSeq`
   * is the last event the client already has (a resume), so replayed events after it apply.
   */
  admit(session: AdmittedSession, seenSeq?: number): void {
    this.#room?.attach(this);
    this.#sid = session.sid;
    this.#role = session.role;
    this.#joined = session.joined;
    if (seenSeq !== undefined) this.#lastSeq = seenSeq;
  }

  /** The store refused the session: it is over, nothing to disconnect. */
  refuse(code: number, reason: string): void {
    this.departed = true;
    this.close(code, reason);
  }

  /** The store attached the session: from here on it sees events after `seq`. */
  open(seq: number): void {
    this.#lastSeq = seq;
    this.#state = 'open';
    const held = this.#held;
    this.#held = [];
    for (const work of held) work();
  }

  deliver(frames: EntryFrames): void {
    const e = frames.entry;
    if (e.seq <= this.#lastSeq) return;
    // Events reach a connection strictly one after the other; a hole means the ones in
    // between are no longer buffered anywhere.
    if (e.seq > this.#lastSeq + 1) {
      this.gapTooOld();
      return;
    }
    this.#lastSeq = e.seq;
    if (!this.#joined) {
      const welcome = joinerFrame(frames, this.#member);
      if (welcome === undefined) return;
      this.#joined = true;
      if (this.#keyPackageAt > 0)
        this.#host.metrics.joinLatency.observe((Date.now() - this.#keyPackageAt) / 1000);
      this.sendRaw(welcome);
      this.#host.confirmMember(this);
      return;
    }
    if (e.type === 'app' && (e.from === this.#member || (e.to && !e.to.includes(this.#member)))) return;
    this.sendRaw(memberFrame(frames));
  }

  commitRequest(req: CommitRequestFeed): void {
    if (!this.#joined) return;
    this.#host.metrics.commitRequests.inc();
    this.send({
      type: 'commitRequest',
      epoch: req.epoch,
      deadline: req.deadline,
      adds: req.adds,
      removes: req.removes,
    });
  }

  becomeCreator(epoch: number, seq: number): void {
    this.#joined = true;
    this.send({ type: 'create', epoch, seq });
    this.#host.confirmMember(this);
  }

  /**
   * This session missed events that the replay buffer no longer holds: it cannot stay in the
   * group consistently, so it leaves (its Remove gets committed) and the client joins again.
   */
  gapTooOld(): void {
    if (this.#state === 'closed') return;
    this.departed = true;
    const room = this.#room;
    this.close(DsCloseCode.gapTooOld, DsCloseReason.gapTooOld);
    if (!room) return;
    this.#host.store
      .leave(room.key, this.#member, Date.now())
      .then((r) => (r.purged ? room.purged() : undefined))
      .catch((e) => this.#host.onError(e));
  }

  closeFor(reason: CloseReason): void {
    this.departed = true;
    this.close(CLOSE_FOR[reason], reason);
  }

  #error(code: string, ref?: string, epoch?: number): void {
    this.#host.metrics.errors.inc({ code });
    this.send({
      type: 'error',
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
      const first = isBinary ? undefined : parseFirstFrame(data.toString('utf8'));
      if (!first?.ok) {
        this.close(DsCloseCode.protocolError, first?.reason ?? 'expected_hello');
        return;
      }
      this.#chain = this.#host
        .authenticate(this, first.message)
        .catch(() => this.close(DsCloseCode.internalError, 'internal_error'));
      return;
    }
    // Frames arriving while authenticating are ordered after it by the chain.
    const admitted = this.#limit.admit(data.length);
    if (admitted !== 'ok') {
      if (admitted === 'flooding') this.close(DsCloseCode.rateLimited, 'rate_limited');
      else this.#error(DsErrorCode.rateLimited);
      return;
    }
    const parsed: ParseResult = isBinary ? { ok: false } : parseClientFrame(data.toString('utf8'));
    if (!parsed.ok) {
      this.#error(DsErrorCode.malformedMessage, parsed.ref);
      return;
    }
    this.#host.metrics.messagesIn.inc({ type: parsed.message.type });
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
    const room = this.#room;
    if (this.#state !== 'open' || !room) return;
    const now = Date.now();
    const session = { room, member: this.#member, role: this.#role, sfuRoom: this.#sfuRoom, grp: this.#grp };
    let refused: RequestError | undefined;
    switch (message.type) {
      case 'hello':
      case 'resume':
        return this.#error(DsErrorCode.unexpectedHello);
      case 'keyPackage': {
        const r = await this.#host.store.publishKeyPackage(room.key, this.#member, message.kp, now);
        if (!r.ok) return this.#error(r.code, message.id);
        this.#keyPackageAt = now;
        return;
      }
      case 'leave': {
        this.departed = true;
        const r = await this.#host.store.leave(room.key, this.#member, now);
        if (r.purged) await room.purged();
        this.close(DsCloseCode.normal, 'left');
        return;
      }
      case 'commit':
        refused = await submitCommit(this.#host, session, message);
        break;
      case 'reject':
        refused = await rejectKeyPackages(this.#host, session, message);
        break;
      case 'app':
        refused = await appendApplication(this.#host, session, message);
        break;
      case 'kick':
        refused = await kick(this.#host, session, message);
        break;
    }
    if (refused) this.#error(refused.code, message.id, refused.epoch);
  }

  #onClose(): void {
    if (this.#state === 'closed') return;
    const wasAttached = this.#state === 'open' || this.#state === 'joining';
    this.#state = 'closed';
    this.#held = [];
    clearTimeout(this.#authTimer);
    this.#host.detach(this, wasAttached && !this.departed);
  }
}
