/**
 * The meeting's MLS group behind a narrow, message-shaped interface: bytes and summaries in,
 * bytes and summaries out, never the group state itself. `MlsSession` drives it through
 * `WorkerGroup` (mls-group-worker.ts), which runs an `InPageGroup` in a Worker, so that processing
 * a commit in a large meeting never holds the page's thread.
 */
import {
  type AppMessage,
  type AppMessageKind,
  acceptCommit,
  bytesToHex,
  createJoiner,
  createMeetingCommit,
  createMeetingGroup,
  type Joiner,
  joinFromWelcome,
  type MeetingGroup,
  type MeetingKeys,
  mediaBaseKey,
  type PendingCommit,
  receiveMessage,
  securityCode,
  sendApplication,
  summarize,
} from '@conclave/e2ee';

/** The current epoch as the page needs it. */
export interface GroupEpoch {
  /** The MLS group ID (hex). */
  group: string;
  epoch: bigint;
  size: number;
  ownLeaf: number;
  members: number[];
  /** Leaves of the ratchet tree (fixes the SFrame KID layout). */
  treeLeaves: number;
  securityCode: string;
  baseKey: Uint8Array;
}

export type GroupReceived =
  | { kind: 'commit'; epoch: GroupEpoch; added: number[]; removed: number[] }
  | { kind: 'removed' }
  | { kind: 'application'; sender: number; message: AppMessage };

/** A commit of ours, kept by the host under `ref` until the DS accepts it or it is dropped. */
export interface GroupCommit {
  ref: string;
  commit: Uint8Array;
  welcome?: Uint8Array;
  epoch: bigint;
  added: number[];
  addedFrom: number[];
  removed: number[];
  /** Positions (in the request's `add`) of KeyPackages left out of the commit. */
  refused: number[];
}

/** Every KeyPackage of a commit request was refused: nothing to commit. */
export class AllRefusedError extends Error {
  readonly refused: number[];
  constructor(refused: number[]) {
    super(`every KeyPackage was refused (${refused.length})`);
    this.refused = refused;
  }
}

export interface MlsGroupHost {
  /** A new KeyPackage for joining (bytes for the DS); the joiner stays with the host. */
  keyPackage(): Promise<Uint8Array>;
  /** Starts the group as its first member. */
  create(): Promise<GroupEpoch>;
  join(welcome: Uint8Array): Promise<GroupEpoch>;
  receive(message: Uint8Array): Promise<GroupReceived>;
  /** A commit in the current epoch: the DS's request (adds, removes), or a self-update. */
  commit(request: { add?: Uint8Array[]; remove?: number[] }): Promise<GroupCommit>;
  /** The DS accepted our commit `ref`: the group moves to its epoch; every other commit goes. */
  accept(ref: string): Promise<GroupEpoch>;
  /** Our commits in flight lost their epoch: forget them. */
  dropCommits(refs: string[]): Promise<void>;
  /** Encrypts for the current epoch. */
  send(kind: AppMessageKind, body: Uint8Array): Promise<{ message: Uint8Array; epoch: bigint }>;
  /** Leaves the membership behind (a rejoin starts from nothing). */
  forget(): Promise<void>;
  close(): void;
}

/** The group in this thread: what the MLS worker runs, and what tests in Node drive directly. */
export class InPageGroup implements MlsGroupHost {
  readonly #keys: MeetingKeys;
  #group: MeetingGroup | undefined;
  #joiner: Joiner | undefined;
  readonly #commits = new Map<string, PendingCommit>();
  #nextRef = 1;

  constructor(keys: MeetingKeys) {
    this.#keys = keys;
  }

  async keyPackage(): Promise<Uint8Array> {
    this.#joiner = await createJoiner(this.#keys);
    return this.#joiner.keyPackageBytes;
  }

  async create(): Promise<GroupEpoch> {
    const joiner = this.#joiner ?? (await createJoiner(this.#keys));
    this.#joiner = undefined;
    this.#group = await createMeetingGroup(joiner, crypto.getRandomValues(new Uint8Array(16)));
    return this.#epoch();
  }

  async join(welcome: Uint8Array): Promise<GroupEpoch> {
    if (!this.#joiner) throw new Error('no KeyPackage to join with');
    if (this.#group) throw new Error('already in the group');
    this.#group = await joinFromWelcome(this.#joiner, welcome);
    this.#joiner = undefined;
    return this.#epoch();
  }

  async receive(message: Uint8Array): Promise<GroupReceived> {
    const r = await receiveMessage(this.#member(), message);
    this.#group = r.group;
    if (r.kind === 'application') return { kind: 'application', sender: r.sender, message: r.message };
    this.#commits.clear();
    if (r.kind === 'removed') return { kind: 'removed' };
    return { kind: 'commit', epoch: await this.#epoch(), added: r.added, removed: r.removed };
  }

  async commit(request: { add?: Uint8Array[]; remove?: number[] }): Promise<GroupCommit> {
    let pending: PendingCommit;
    try {
      pending = await createMeetingCommit(this.#member(), request);
    } catch (error) {
      // The e2ee package names each refused KeyPackage in the error's cause.
      const refused = (error as { cause?: { index: number }[] }).cause;
      if (!request.remove?.length && Array.isArray(refused) && refused.length > 0)
        throw new AllRefusedError(refused.map((r) => r.index));
      throw error;
    }
    const ref = `c${this.#nextRef++}`;
    this.#commits.set(ref, pending);
    return {
      ref,
      commit: pending.commit,
      ...(pending.welcome ? { welcome: pending.welcome } : {}),
      epoch: pending.epoch,
      added: pending.added,
      addedFrom: pending.addedFrom,
      removed: pending.removed,
      refused: pending.refused.map((r) => r.index),
    };
  }

  async accept(ref: string): Promise<GroupEpoch> {
    const pending = this.#commits.get(ref);
    if (!pending) throw new Error(`no commit ${ref} in flight`);
    this.#group = acceptCommit(pending);
    this.#commits.clear();
    return this.#epoch();
  }

  async dropCommits(refs: string[]): Promise<void> {
    for (const ref of refs) this.#commits.delete(ref);
  }

  async send(kind: AppMessageKind, body: Uint8Array): Promise<{ message: Uint8Array; epoch: bigint }> {
    const r = await sendApplication(this.#member(), { kind, body });
    this.#group = r.group;
    return { message: r.message, epoch: r.group.state.groupContext.epoch };
  }

  async forget(): Promise<void> {
    this.#group = undefined;
    this.#joiner = undefined;
    this.#commits.clear();
  }

  close(): void {
    void this.forget();
  }

  #member(): MeetingGroup {
    if (!this.#group) throw new Error('not in the group yet');
    return this.#group;
  }

  async #epoch(): Promise<GroupEpoch> {
    const group = this.#member();
    const s = summarize(group);
    return {
      group: bytesToHex(s.groupId),
      epoch: s.epoch,
      size: s.size,
      ownLeaf: s.ownLeafIndex,
      members: s.memberLeafIndices,
      treeLeaves: (group.state.ratchetTree.length + 1) / 2,
      securityCode: await securityCode(group),
      baseKey: await mediaBaseKey(group),
    };
  }
}
