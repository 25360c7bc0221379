/**
 * Long file: one state machine (join, resume, commits, rotation, sending) around one ordered
 * event queue and one group; its steps read and write the same fields.
 * The meeting's MLS group over the delivery service: joins (KeyPackage → Welcome) or creates
 * the group, commits when the DS asks, processes every event in order, resumes after a dropped
 * connection. Chat, names, roster, hands and reactions are MLS application messages.
 *
 * Scheduled rotation: after every epoch change a timer fires at a random point between one and
 * one and a half rotation intervals; if the epoch is still the same, this member commits an
 * update of its own leaf (fresh keys for everyone). The DS takes one commit per epoch, so when
 * another member's commit wins, ours gets `stale_epoch` and is dropped; the timer re-arms.
 */
import type { AppMessage, AppMessageKind, MeetingKeys } from '@conclave/e2ee';
import {
  DS_PROTOCOL_VERSION,
  DsCloseCode,
  DsCloseReason,
  type DsClientMessage,
  type DsServerMessage,
  MAX_RECIPIENTS,
} from '@conclave/protocol';
import { AllRefusedError, type GroupCommit, type GroupEpoch, type MlsGroupHost } from './mls-group.ts';
import { WorkerGroup } from './mls-group-worker.ts';

const b64 = (bytes: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const unb64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Messages kept while reconnecting; beyond this the oldest go (a DS down for that long). */
const OUTBOX_LIMIT = 256;

/** Close codes after which the session is over; anything else resumes. */
const FINAL_CLOSES = new Set<number>([
  DsCloseCode.normal,
  DsCloseCode.messageTooBig,
  DsCloseCode.protocolError,
  DsCloseCode.unauthorized,
  DsCloseCode.sessionRefused,
  DsCloseCode.resumeUnavailable,
  DsCloseCode.authTimeout,
  DsCloseCode.sessionInUse,
  DsCloseCode.removed,
  DsCloseCode.meetingEnded,
  DsCloseCode.groupFull,
]);

/** The DS speaks another protocol version than this page: the page is out of date. */
export const outdatedClose = (code: number, reason: string): boolean =>
  code === DsCloseCode.protocolError && reason === DsCloseReason.unsupportedVersion;

/** A new epoch: its summary (a new group ID when the meeting's group had to be started again). */
export interface EpochView extends GroupEpoch {
  added: number[];
  removed: number[];
}

export interface MlsEvents {
  epoch(view: EpochView): void;
  application(sender: number, message: AppMessage): void;
  /** The session ended for good, with the DS's close code (DsCloseCode) and reason. */
  closed(code: number, reason: string): void;
  connection(state: 'connected' | 'reconnecting'): void;
}

export class MlsSession {
  readonly #events: MlsEvents;
  /** The group itself, in a Worker (a page that can join has Workers: the media path needs one). */
  readonly #host: MlsGroupHost;
  #url = '';
  #ws: WebSocket | undefined;
  /** The current epoch, once in the group. */
  #epoch: GroupEpoch | undefined;
  /** A KeyPackage went to the DS; a Welcome for it may come. */
  #joining = false;
  /** Our commits awaiting the DS's verdict, all built on the current epoch. */
  #pending: OwnCommit[] = [];
  /** DS member ID on each leaf, as the DS stated it (`ready`, `welcome`, `commit`). */
  readonly #leafMembers = new Map<number, string>();
  /** Scheduled rotation interval in milliseconds; 0 turns it off. Set before connecting. */
  rotationMs = 0;
  #rotationTimer: ReturnType<typeof setTimeout> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  member = '';
  #secret = '';
  #lastSeq = 0;
  #retries = 0;
  /** True from `ready` or `resumed` until the connection drops: only then do messages go out. */
  #live = false;
  /** What was sent while not live (chat typed during a DS restart…), sent in order on `resumed`. */
  readonly #outbox: DsClientMessage[] = [];
  role: 'participant' | 'host' = 'participant';

  constructor(keys: MeetingKeys, events: MlsEvents, host?: MlsGroupHost) {
    this.#events = events;
    this.#host = host ?? new WorkerGroup(keys);
  }

  /** Connects with the join token; resolves once the DS answered `ready`. */
  connectTo(url: string, token: string): Promise<void> {
    this.#url = url;
    return new Promise((resolve, reject) => {
      const ws = this.#open();
      ws.addEventListener('open', () => this.#write(ws, { type: 'hello', v: DS_PROTOCOL_VERSION, token }), {
        once: true,
      });
      const onClose = (e: CloseEvent) => reject(new DsClosedError(e.code, e.reason));
      ws.addEventListener('close', onClose, { once: true });
      this.#onReady = (m) => {
        ws.removeEventListener('close', onClose);
        this.member = m.member;
        this.#secret = m.secret;
        for (const { member, leaf } of m.members ?? []) this.#leafMembers.set(leaf, member);
        this.#lastSeq = m.seq;
        this.role = m.role;
        resolve();
        this.#enqueue(async () => {
          if (m.create) await this.#create();
          else {
            const kp = await this.#host.keyPackage();
            this.#joining = true;
            this.#send({ type: 'keyPackage', kp: b64(kp) });
          }
        });
      };
    });
  }

  #onReady: ((m: Extract<DsServerMessage, { type: 'ready' }>) => void) | undefined;

  /**
   * Joins the meeting's group again as a new member, with a new join token: after the DS said
   * this session cannot be resumed (4404: it expired while away, or the DS lost the group). All
   * of the old membership goes, once every event received for it is processed: its group, its
   * commits, and its unsent messages, which were encrypted for it.
   */
  async rejoin(url: string, token: string): Promise<void> {
    await new Promise<void>((done) =>
      this.#enqueue(async () => {
        this.#forgetMembership();
        done();
      }),
    );
    return this.connectTo(url, token);
  }

  #forgetMembership(): void {
    this.#stop();
    this.#ws = undefined;
    this.#epoch = undefined;
    this.#joining = false;
    void this.#host.forget();
    this.#pending = [];
    this.#leafMembers.clear();
    this.#unconfirmed.clear();
    this.#outbox.length = 0;
    this.#live = false;
    this.member = '';
    this.#secret = '';
    this.#lastSeq = 0;
    this.#retries = 0;
    this.#closed = false;
  }

  #open(): WebSocket {
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    ws.addEventListener('message', (e) => {
      if (ws !== this.#ws) return;
      let m: DsServerMessage;
      try {
        m = JSON.parse(String(e.data)) as DsServerMessage;
      } catch {
        return;
      }
      if (m.type === 'ready') {
        this.#live = true;
        return this.#onReady?.(m);
      }
      if (m.type === 'resumed') {
        this.#retries = 0;
        this.#live = true;
        for (const queued of this.#outbox.splice(0)) this.#write(ws, queued);
        this.#events.connection('connected');
        return;
      }
      this.#enqueue(() => this.#handle(m));
    });
    ws.addEventListener('close', (e) => {
      if (ws !== this.#ws) return;
      this.#live = false;
      if (this.#closed) return;
      if (FINAL_CLOSES.has(e.code) || !this.member) {
        this.#stop();
        this.#events.closed(e.code, e.reason);
        return;
      }
      this.#events.connection('reconnecting');
      const delay = Math.min(5000, 250 * 2 ** this.#retries++);
      setTimeout(() => this.#resume(), delay);
    });
    return ws;
  }

  #resume(): void {
    if (this.#closed) return;
    // Resume only after every event received so far has been processed (seq is then exact).
    void this.#chain.then(() => {
      const ws = this.#open();
      ws.addEventListener(
        'open',
        () =>
          this.#write(ws, {
            type: 'resume',
            v: DS_PROTOCOL_VERSION,
            member: this.member,
            secret: this.#secret,
            seq: this.#lastSeq,
          }),
        { once: true },
      );
    });
  }

  #enqueue(task: () => Promise<void>): void {
    this.#chain = this.#chain.then(task).catch((error: unknown) => {
      console.warn('mls: event failed', error instanceof Error ? error.message : error);
    });
  }

  /** Sends now when the session is live; otherwise keeps `m` for when it resumes. */
  #send(m: DsClientMessage): void {
    if (this.#live && this.#ws?.readyState === WebSocket.OPEN) this.#write(this.#ws, m);
    else if (!this.#closed) {
      this.#outbox.push(m);
      if (this.#outbox.length > OUTBOX_LIMIT) this.#outbox.shift();
    }
  }

  #write(ws: WebSocket, m: DsClientMessage): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
  }

  async #create(): Promise<void> {
    this.#epoch = await this.#host.create();
    this.#joining = false;
    this.#emitEpoch([], []);
  }

  async #handle(m: DsServerMessage): Promise<void> {
    if ('seq' in m && m.type !== 'ready' && m.type !== 'resumed')
      this.#lastSeq = Math.max(this.#lastSeq, m.seq);
    switch (m.type) {
      case 'create':
        return this.#create();
      case 'welcome': {
        if (!this.#joining || this.#epoch) return;
        this.#epoch = await this.#host.join(unb64(m.welcome));
        this.#joining = false;
        this.#leafMembers.clear();
        for (const { member, leaf } of [...(m.members ?? []), ...m.adds]) this.#leafMembers.set(leaf, member);
        return this.#emitEpoch([], []);
      }
      case 'commitRequest':
        return this.#commitRequest(m);
      case 'commit': {
        if (!this.#epoch) return;
        // Every commit of ours was built on the epoch this commit ends: only the one that won counts.
        const own = m.from === this.member ? this.#pending.find((p) => p.commit === m.commit) : undefined;
        this.#pending = [];
        for (const { member, leaf } of m.adds) this.#leafMembers.set(leaf, member);
        if (own) {
          this.#epoch = await this.#host.accept(own.ref);
          return this.#emitEpoch(own.made.added, own.made.removed);
        }
        const r = await this.#host.receive(unb64(m.commit));
        if (r.kind === 'removed') {
          this.#stop();
          this.#events.closed(DsCloseCode.removed, 'removed');
          return;
        }
        if (r.kind === 'commit') {
          this.#epoch = r.epoch;
          this.#emitEpoch(r.added, r.removed);
        }
        return;
      }
      case 'app': {
        if (!this.#epoch) return;
        const r = await this.#host.receive(unb64(m.data));
        if (r.kind === 'application') this.#events.application(r.sender, r.message);
        return;
      }
      case 'error': {
        // Another member's commit took that epoch (it arrives, or arrived, in order): drop ours.
        if (m.code === 'stale_epoch' && m.ref) {
          this.#pending = this.#pending.filter((p) => p.ref !== m.ref);
          await this.#host.dropCommits([m.ref]);
        }
        // Sent just before a commit moved the group on: encrypt it again in the new epoch. The
        // commit event came before this error, so the queue has already processed it.
        const unsent = m.ref ? this.#unconfirmed.get(m.ref) : undefined;
        if (m.code === 'wrong_epoch' && unsent && unsent.tries < 3) {
          this.#unconfirmed.delete(m.ref!);
          await this.#sendNow(unsent, unsent.tries + 1);
        }
        return;
      }
      default:
        return;
    }
  }

  async #commitRequest(m: Extract<DsServerMessage, { type: 'commitRequest' }>): Promise<void> {
    if (!this.#epoch || BigInt(m.epoch) !== this.#epoch.epoch) return;
    let made: GroupCommit;
    try {
      made = await this.#host.commit({
        add: m.adds.map((a) => unb64(a.kp)),
        remove: m.removes.map((r) => r.leaf),
      });
    } catch (error) {
      // Every KeyPackage failed the credential check (forged, or made with another password):
      // tell the DS to drop those joiners instead of leaving the request to time out forever.
      if (error instanceof AllRefusedError) {
        this.#send({ type: 'reject', members: error.refused.map((index) => m.adds[index]!.member) });
        return;
      }
      throw error;
    }
    const own = ownCommit(made, false);
    this.#pending.push(own);
    this.#send({
      type: 'commit',
      id: own.ref,
      epoch: m.epoch,
      commit: own.commit,
      ...(made.welcome ? { welcome: b64(made.welcome) } : {}),
      adds: made.addedFrom.map((index, i) => ({ member: m.adds[index]!.member, leaf: made.added[i]! })),
      removes: m.removes.map((r) => r.member),
      rejected: made.refused.map((index) => m.adds[index]!.member),
    });
  }

  /** Arms the rotation timer for the current epoch (after every epoch change). */
  #armRotation(): void {
    clearTimeout(this.#rotationTimer);
    this.#rotationTimer = undefined;
    if (!this.rotationMs || this.#closed || !this.#epoch) return;
    const { epoch } = this.#epoch;
    const delay = this.rotationMs * (1 + Math.random() / 2);
    this.#rotationTimer = setTimeout(() => this.#enqueue(() => this.#rotate(epoch)), delay);
  }

  /** The timer fired: if the epoch is still `epoch`, commit an update of our own leaf. */
  async #rotate(epoch: bigint): Promise<void> {
    const current = this.#epoch;
    if (this.#closed || !current || current.epoch !== epoch) return;
    // Should this commit get lost (connection down), try again one interval later.
    this.#armRotation();
    // Alone there is nobody to share keys with; a commit the DS asked for changes them anyway.
    if (current.size < 2 || this.#pending.some((p) => !p.rotation)) return;
    const own = ownCommit(await this.#host.commit({}), true);
    await this.#host.dropCommits(this.#pending.map((p) => p.ref));
    this.#pending = [own];
    this.#send({
      type: 'commit',
      id: own.ref,
      epoch: Number(epoch),
      commit: own.commit,
      adds: [],
      removes: [],
    });
  }

  #stop(): void {
    this.#closed = true;
    clearTimeout(this.#rotationTimer);
    this.#rotationTimer = undefined;
  }

  /** The DS member ID on `leaf` as the DS itself stated it, if known. */
  memberAt(leaf: number): string | undefined {
    return this.#leafMembers.get(leaf);
  }

  #emitEpoch(added: number[], removed: number[]): void {
    const epoch = this.#epoch!;
    // Leaves the commit removed leave the map; our own leaf is ours.
    const leaves = new Set(epoch.members);
    for (const leaf of this.#leafMembers.keys()) if (!leaves.has(leaf)) this.#leafMembers.delete(leaf);
    this.#leafMembers.set(epoch.ownLeaf, this.member);
    this.#armRotation();
    this.#events.epoch({ ...epoch, added, removed });
  }

  /**
   * Encrypts and sends an application message in the current epoch, to the group or only to
   * the DS members in `to` (the DS delivers it to them alone).
   */
  send(kind: AppMessageKind, body: Uint8Array, to?: readonly string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#enqueue(async () => {
        if (!this.#epoch) return reject(new Error('not in the group yet'));
        try {
          await this.#sendNow({ kind, body, to }, 0);
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  /** Recent messages by ref, kept until a commit makes a `wrong_epoch` for them impossible. */
  readonly #unconfirmed = new Map<string, OutgoingApp & { tries: number }>();
  #nextRef = 1;

  async #sendNow(app: OutgoingApp, tries: number): Promise<void> {
    const { kind, body, to } = app;
    const r = await this.#host.send(kind, body);
    const id = String(this.#nextRef++);
    this.#unconfirmed.set(id, { ...app, tries });
    if (this.#unconfirmed.size > 64) this.#unconfirmed.delete(this.#unconfirmed.keys().next().value!);
    this.#send({
      type: 'app',
      id,
      epoch: Number(r.epoch),
      data: b64(r.message),
      // More members than the DS takes by name: the whole group gets it, as it always could.
      ...(to && to.length <= MAX_RECIPIENTS ? { to: [...to] } : {}),
    });
  }

  /** Host only: the DS removes the member and asks someone to commit the Remove. */
  kick(member: string): void {
    this.#send({ type: 'kick', member });
  }

  leave(): void {
    this.#stop();
    this.#send({ type: 'leave' });
    this.#ws?.close(DsCloseCode.normal);
    this.#host.close();
  }
}

interface OwnCommit {
  /** Correlation ID sent with the commit (the host's); a `stale_epoch` error names it. */
  ref: string;
  /** The commit as sent (base64); the accepted `commit` event carries it unchanged. */
  commit: string;
  made: GroupCommit;
  /** A scheduled self-update rather than a commit the DS asked for. */
  rotation: boolean;
}

const ownCommit = (made: GroupCommit, rotation: boolean): OwnCommit => ({
  ref: made.ref,
  commit: b64(made.commit),
  made,
  rotation,
});

export class DsClosedError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason = '') {
    super(`delivery service closed the connection (${code}${reason ? ` ${reason}` : ''})`);
    this.code = code;
    this.reason = reason;
  }
}

/** An application message on its way: what it says and, if not everyone, who it is for. */
interface OutgoingApp {
  kind: AppMessageKind;
  body: Uint8Array;
  to: readonly string[] | undefined;
}
