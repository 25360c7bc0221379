import type { AddedMember, Role } from '@conclave/protocol';
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
  StoreResult,
} from './group-state-store.ts';

interface Session {
  sid: string;
  role: Role;
  /** pending joiner, joined member, or left member whose leaf still waits for a Remove. */
  state: 'pending' | 'joined' | 'leaving';
  /** Committer precedence: lowest first; a committer that misses its deadline moves last. */
  order: number;
  leaf: number;
  seen: number;
  connected: boolean;
  connection: string;
  secretHash: string;
  keyPackage?: string;
}

interface Group {
  epoch: number;
  seq: number;
  order: number;
  sessions: Map<string, Session>;
  bySid: Map<string, string>;
  refused: Set<string>;
  log: LogEntry[];
  request?: { to: string; epoch: number; deadline: number };
  touched: number;
}

/**
 * In-process group state for the embedded single-node mode. Same semantics as the Redis
 * store (one commit per epoch, commit requests, expiry), with maps instead of keys; idle
 * groups are dropped after the state TTL like expiring keys.
 */
export class MemoryGroupStateStore implements GroupStateStore {
  readonly #groups = new Map<GroupKey, Group>();
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
    this.#expireIdle(now);
    let g = this.#groups.get(key);
    if (g?.refused.has(m.sid)) return { ok: false, code: 'session_refused' };
    if (g?.bySid.has(m.sid)) return { ok: false, code: 'session_in_use' };
    if (g && g.sessions.size >= this.#limits.maxGroupMembers) return { ok: false, code: 'group_full' };
    if (!g) {
      g = {
        epoch: 0,
        seq: 0,
        order: 0,
        sessions: new Map(),
        bySid: new Map(),
        refused: new Set(),
        log: [],
        touched: now,
      };
      this.#groups.set(key, g);
    }
    const create = ![...g.sessions.values()].some((s) => s.state === 'joined');
    if (create) this.#reset(g);
    g.sessions.set(m.member, {
      sid: m.sid,
      role: m.role,
      state: create ? 'joined' : 'pending',
      order: ++g.order,
      leaf: create ? 0 : -1,
      seen: now,
      connected: true,
      connection: m.connection,
      secretHash: m.secretHash,
    });
    g.bySid.set(m.sid, m.member);
    this.#pump(key, g, now);
    g.touched = now;
    return { ok: true, create, epoch: g.epoch, seq: g.seq, members: leavesOf(g) };
  }

  async canResume(key: GroupKey, member: string, secretHash: string): Promise<boolean> {
    return this.#resumable(key, member, secretHash) !== undefined;
  }

  async resume(key: GroupKey, r: ResumeRequest, now: number): Promise<ResumeResult> {
    this.#expireIdle(now);
    const g = this.#groups.get(key);
    const s = this.#resumable(key, r.member, r.secretHash);
    if (!g || !s) return { ok: false, code: 'resume_unavailable' };
    const missed = g.seq - r.afterSeq;
    if (missed < 0 || missed > g.log.length) return { ok: false, code: 'resume_unavailable' };
    s.connected = true;
    s.seen = now;
    s.connection = r.connection;
    g.touched = now;
    this.#publish(key, { k: 'close', to: r.member, code: 'replaced', keep: r.connection });
    return {
      ok: true,
      epoch: g.epoch,
      seq: g.seq,
      role: s.role,
      sid: s.sid,
      joined: s.state === 'joined',
      events: missed > 0 ? g.log.slice(-missed) : [],
    };
  }

  async publishKeyPackage(key: GroupKey, member: string, kp: string, now: number): Promise<StoreResult> {
    const g = this.#groups.get(key);
    const s = g?.sessions.get(member);
    if (!g || !s) return { ok: false, code: 'unknown_member' };
    if (s.state !== 'pending') return { ok: false, code: 'not_pending' };
    if (!s.keyPackage) {
      const pending = [...g.sessions.values()].filter((x) => x.keyPackage !== undefined).length;
      if (pending >= this.#limits.maxPendingKeyPackages) return { ok: false, code: 'too_many_pending' };
    }
    s.keyPackage = kp;
    this.#pump(key, g, now);
    g.touched = now;
    return { ok: true };
  }

  async submitCommit(key: GroupKey, member: string, c: CommitSubmission, now: number): Promise<CommitResult> {
    const g = this.#groups.get(key);
    const committer = g?.sessions.get(member);
    if (!g || !committer || committer.state !== 'joined') return { ok: false, code: 'not_member' };
    if (c.epoch !== g.epoch) return { ok: false, code: 'stale_epoch', epoch: g.epoch };
    for (const add of c.adds) {
      const s = g.sessions.get(add.member);
      if (s && s.state !== 'pending') return { ok: false, code: 'invalid_commit' };
    }
    if (c.removes.includes(member)) return { ok: false, code: 'invalid_commit' };
    const entry: LogEntry = {
      k: 'commit',
      seq: 0,
      from: member,
      epoch: c.epoch,
      commit: c.commit,
      ...(c.welcome !== undefined ? { welcome: c.welcome } : {}),
      adds: c.adds,
      removes: c.removes,
    };
    if (c.adds.length > 0) {
      const removed = new Set(c.removes);
      entry.members = [...leavesOf(g).filter((m) => !removed.has(m.member)), ...c.adds];
    }
    const seq = this.#append(key, g, entry);
    g.epoch += 1;
    g.request = undefined;
    for (const add of c.adds) {
      const s = g.sessions.get(add.member);
      if (s) {
        s.state = 'joined';
        s.leaf = add.leaf;
        s.keyPackage = undefined;
      } else {
        // The joiner vanished after the commit was built: its leaf exists, so it must be removed next.
        g.sessions.set(add.member, {
          sid: '',
          role: 'participant',
          state: 'leaving',
          order: ++g.order,
          leaf: add.leaf,
          seen: now,
          connected: false,
          connection: '',
          secretHash: '',
        });
      }
    }
    for (const id of c.removes) {
      const s = g.sessions.get(id);
      if (!s) continue;
      this.#forget(g, id, s);
      if (s.state !== 'leaving') this.#publish(key, { k: 'close', to: id, code: 'removed' });
    }
    this.#refuse(key, g, member, c.rejected);
    this.#pump(key, g, now);
    g.touched = now;
    return { ok: true, seq, epoch: g.epoch };
  }

  async rejectKeyPackages(
    key: GroupKey,
    member: string,
    members: string[],
    now: number,
  ): Promise<StoreResult> {
    const g = this.#groups.get(key);
    if (g?.sessions.get(member)?.state !== 'joined') return { ok: false, code: 'not_member' };
    this.#refuse(key, g, member, members);
    this.#pump(key, g, now);
    return { ok: true };
  }

  async appendApplication(key: GroupKey, member: string, epoch: number, data: string): Promise<AppendResult> {
    const g = this.#groups.get(key);
    if (g?.sessions.get(member)?.state !== 'joined') return { ok: false, code: 'not_member' };
    if (epoch > g.epoch || epoch < g.epoch - 1) return { ok: false, code: 'wrong_epoch', epoch: g.epoch };
    const seq = this.#append(key, g, { k: 'app', seq: 0, from: member, epoch, data });
    return { ok: true, seq };
  }

  async leave(key: GroupKey, member: string, now: number): Promise<MaintainResult> {
    const g = this.#groups.get(key);
    const s = g?.sessions.get(member);
    if (!g || !s) return { purged: !g };
    this.#depart(g, member, s);
    return { purged: this.#pump(key, g, now) };
  }

  async disconnect(key: GroupKey, member: string, connection: string, now: number): Promise<void> {
    const g = this.#groups.get(key);
    const s = g?.sessions.get(member);
    if (!g || !s || s.connection !== connection) return;
    s.connected = false;
    s.seen = now;
    this.#pump(key, g, now);
  }

  async kick(key: GroupKey, target: string, now: number): Promise<KickResult> {
    const g = this.#groups.get(key);
    const s = g?.sessions.get(target);
    if (!g || !s || s.state === 'leaving') return { ok: false, code: 'unknown_member' };
    g.refused.add(s.sid);
    this.#depart(g, target, s);
    this.#publish(key, { k: 'close', to: target, code: 'kicked' });
    this.#pump(key, g, now);
    return { ok: true, sid: s.sid };
  }

  async refuseSession(key: GroupKey, sid: string, now: number): Promise<void> {
    let g = this.#groups.get(key);
    if (!g) {
      g = {
        epoch: 0,
        seq: 0,
        order: 0,
        sessions: new Map(),
        bySid: new Map(),
        refused: new Set(),
        log: [],
        touched: now,
      };
      this.#groups.set(key, g);
    }
    g.refused.add(sid);
    g.touched = now;
    const member = g.bySid.get(sid);
    const s = member === undefined ? undefined : g.sessions.get(member);
    if (member === undefined || !s || s.state === 'leaving') return;
    this.#depart(g, member, s);
    this.#publish(key, { k: 'close', to: member, code: 'kicked' });
    this.#pump(key, g, now);
  }

  async maintain(key: GroupKey, connected: string[], now: number): Promise<MaintainResult> {
    this.#expireIdle(now);
    const g = this.#groups.get(key);
    if (!g) return { purged: true };
    for (const id of connected) {
      const s = g.sessions.get(id);
      if (s && s.state !== 'leaving') {
        s.seen = now;
        s.connected = true;
      }
    }
    g.touched = now;
    return { purged: this.#pump(key, g, now) };
  }

  async readLog(key: GroupKey, afterSeq: number): Promise<LogEntry[] | null> {
    const g = this.#groups.get(key);
    if (!g) return null;
    const missed = g.seq - afterSeq;
    if (missed < 0 || missed > g.log.length) return null;
    return missed > 0 ? g.log.slice(-missed) : [];
  }

  async endGroup(key: GroupKey): Promise<void> {
    this.#groups.delete(key);
    this.#publish(key, { k: 'end' });
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

  /** The session a resume secret opens: live (not leaving) and holding that secret. */
  #resumable(key: GroupKey, member: string, secretHash: string): Session | undefined {
    const s = this.#groups.get(key)?.sessions.get(member);
    return s && s.state !== 'leaving' && s.secretHash === secretHash ? s : undefined;
  }

  #append(key: GroupKey, g: Group, entry: LogEntry): number {
    g.seq += 1;
    entry.seq = g.seq;
    g.log.push(entry);
    if (g.log.length > this.#limits.replayEvents) g.log.splice(0, g.log.length - this.#limits.replayEvents);
    this.#publish(key, entry);
    return g.seq;
  }

  #depart(g: Group, id: string, s: Session): void {
    if (s.state === 'pending') this.#forget(g, id, s);
    else {
      s.state = 'leaving';
      s.connected = false;
      g.bySid.delete(s.sid);
    }
  }

  #forget(g: Group, id: string, s: Session): void {
    g.sessions.delete(id);
    if (g.bySid.get(s.sid) === id) g.bySid.delete(s.sid);
  }

  #refuse(key: GroupKey, g: Group, _by: string, members: string[]): void {
    for (const id of members) {
      const s = g.sessions.get(id);
      if (s?.state !== 'pending') continue;
      this.#forget(g, id, s);
      this.#publish(key, { k: 'close', to: id, code: 'rejected' });
    }
  }

  #reset(g: Group): void {
    for (const [id, s] of g.sessions) if (s.state === 'leaving') this.#forget(g, id, s);
    g.epoch = 0;
    g.request = undefined;
  }

  /** Expires silent sessions, deletes an empty group, and hands pending work to a committer. */
  #pump(key: GroupKey, g: Group, now: number): boolean {
    for (const [id, s] of g.sessions) {
      if (s.state !== 'leaving' && s.seen < now - this.#limits.resumeGraceMs) this.#depart(g, id, s);
    }
    const sessions = [...g.sessions.entries()].sort((a, b) => a[1].order - b[1].order);
    let joined = sessions.filter(([, s]) => s.state === 'joined');
    const pending = sessions.filter(([, s]) => s.state === 'pending');
    if (joined.length === 0) {
      if (pending.length === 0) {
        this.#groups.delete(key);
        this.#publish(key, { k: 'purged' });
        return true;
      }
      // Everyone who could commit left before adding the waiting joiners: the oldest starts anew.
      this.#reset(g);
      const [id, s] = pending.shift()!;
      s.state = 'joined';
      s.leaf = 0;
      s.keyPackage = undefined;
      joined = [[id, s]];
      this.#publish(key, { k: 'create', to: id, epoch: 0, seq: g.seq });
    }
    const adds = pending.filter(([, s]) => s.keyPackage !== undefined).slice(0, this.#limits.maxCommitBatch);
    const removes = sessions.filter(([, s]) => s.state === 'leaving');
    if (adds.length === 0 && removes.length === 0) {
      g.request = undefined;
      return false;
    }
    const req = g.request;
    if (req && req.epoch === g.epoch) {
      const current = g.sessions.get(req.to);
      const valid = current?.state === 'joined' && current.connected;
      if (valid && req.deadline > now) return false;
      if (valid && current) current.order = ++g.order;
    }
    const candidates = joined.filter(([, s]) => s.connected).sort((a, b) => a[1].order - b[1].order);
    const committer = candidates[0];
    if (!committer) return false;
    g.request = { to: committer[0], epoch: g.epoch, deadline: now + this.#limits.commitDeadlineMs };
    this.#publish(key, {
      k: 'req',
      to: committer[0],
      epoch: g.epoch,
      deadline: this.#limits.commitDeadlineMs,
      adds: adds.map(([id, s]) => ({ member: id, kp: s.keyPackage! })),
      removes: removes.map(([id, s]) => ({ member: id, leaf: s.leaf })),
    });
    return false;
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

/** Every leaf of the group's tree: joined members and members waiting for their Remove. */
function leavesOf(g: Group): AddedMember[] {
  const out: AddedMember[] = [];
  for (const [member, s] of g.sessions)
    if (s.state !== 'pending' && s.leaf >= 0) out.push({ member, leaf: s.leaf });
  return out;
}
