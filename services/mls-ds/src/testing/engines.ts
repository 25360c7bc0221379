import { createHash, randomBytes } from 'node:crypto';
import {
  acceptCommit,
  createJoiner,
  createMeetingCommit,
  createMeetingGroup,
  joinFromWelcome,
  type Joiner,
  type MeetingGroup,
  type MeetingKeys,
  type PendingCommit,
  receiveMessage,
  securityCode,
  sendApplication,
  summarize,
  textMessage,
  messageText,
} from '@conclave/e2ee';

/** The MLS side of a simulated member: real (packages/e2ee) or a fast stand-in. */
export interface MlsEngine {
  create(): Promise<void>;
  /** A fresh KeyPackage for joining. */
  keyPackage(): Promise<Uint8Array>;
  commit(adds: Uint8Array[], removeLeaves: number[]): Promise<BuiltCommit>;
  acceptPending(): void;
  discardPending(): void;
  /** Processes another member's commit; 'removed' when it removed this member. */
  receiveCommit(commit: Uint8Array): Promise<'ok' | 'removed'>;
  join(welcome: Uint8Array): Promise<void>;
  encrypt(text: string): Promise<Uint8Array>;
  decrypt(data: Uint8Array): Promise<string | undefined>;
  readonly epoch: number;
  readonly size: number;
  /** A value every member of an epoch must agree on (the MLS security code). */
  exporter(): Promise<string>;
}

export interface BuiltCommit {
  commit: Uint8Array;
  welcome?: Uint8Array;
  /** Per added KeyPackage: its position in `adds` and the leaf it got. */
  added: { index: number; leaf: number }[];
  /** Positions in `adds` of refused KeyPackages. */
  refused: number[];
}

/** Real MLS through packages/e2ee (ts-mls, suite 0x0001, PSK-bound adds). */
export class E2eeEngine implements MlsEngine {
  readonly #keys: MeetingKeys;
  readonly #groupId: Uint8Array;
  #group: MeetingGroup | undefined;
  #joiner: Joiner | undefined;
  #pending: PendingCommit | undefined;

  constructor(keys: MeetingKeys, groupId: Uint8Array) {
    this.#keys = keys;
    this.#groupId = groupId;
  }

  get epoch(): number {
    return this.#group ? Number(this.#group.state.groupContext.epoch) : -1;
  }

  get size(): number {
    return this.#group ? summarize(this.#group).size : 0;
  }

  async create(): Promise<void> {
    this.#group = await createMeetingGroup(await createJoiner(this.#keys), this.#groupId);
  }

  async keyPackage(): Promise<Uint8Array> {
    this.#joiner = await createJoiner(this.#keys);
    return this.#joiner.keyPackageBytes;
  }

  async commit(adds: Uint8Array[], removeLeaves: number[]): Promise<BuiltCommit> {
    const pending = await createMeetingCommit(this.#group!, { add: adds, remove: removeLeaves });
    this.#pending = pending;
    return {
      commit: pending.commit,
      ...(pending.welcome ? { welcome: pending.welcome } : {}),
      added: pending.addedFrom.map((index, i) => ({ index, leaf: pending.added[i]! })),
      refused: pending.refused.map((r) => r.index),
    };
  }

  acceptPending(): void {
    if (this.#pending) this.#group = acceptCommit(this.#pending);
    this.#pending = undefined;
  }

  discardPending(): void {
    this.#pending = undefined;
  }

  async receiveCommit(commit: Uint8Array): Promise<'ok' | 'removed'> {
    const r = await receiveMessage(this.#group!, commit);
    this.#group = r.group;
    return r.kind === 'removed' ? 'removed' : 'ok';
  }

  async join(welcome: Uint8Array): Promise<void> {
    this.#group = await joinFromWelcome(this.#joiner!, welcome);
  }

  async encrypt(text: string): Promise<Uint8Array> {
    const r = await sendApplication(this.#group!, textMessage('chat', text));
    this.#group = r.group;
    return r.message;
  }

  async decrypt(data: Uint8Array): Promise<string | undefined> {
    const r = await receiveMessage(this.#group!, data);
    this.#group = r.group;
    return r.kind === 'application' ? messageText(r.message) : undefined;
  }

  async exporter(): Promise<string> {
    return securityCode(this.#group!);
  }
}

interface FakeState {
  epoch: number;
  chain: string;
  leaves: number[];
}

/**
 * Opaque stand-in for load tests of the DS alone: commits and Welcomes are small JSON blobs
 * and the "exporter" is a hash chain over every commit, so members that saw commits in
 * different orders (or missed one) disagree, as they would with MLS.
 */
export class FakeEngine implements MlsEngine {
  #state: FakeState | undefined;
  #pending: FakeState | undefined;
  #kp = '';
  #leaf = -1;

  get epoch(): number {
    return this.#state?.epoch ?? -1;
  }

  get size(): number {
    return this.#state?.leaves.length ?? 0;
  }

  async create(): Promise<void> {
    this.#leaf = 0;
    this.#state = { epoch: 0, chain: 'genesis', leaves: [0] };
  }

  async keyPackage(): Promise<Uint8Array> {
    this.#kp = randomBytes(16).toString('hex');
    return Buffer.from(JSON.stringify({ kp: this.#kp }));
  }

  async commit(adds: Uint8Array[], removeLeaves: number[]): Promise<BuiltCommit> {
    const s = this.#state!;
    const leaves = s.leaves.filter((l) => !removeLeaves.includes(l));
    const added: { index: number; leaf: number }[] = [];
    const kps: string[] = [];
    adds.forEach((bytes, index) => {
      let leaf = 0;
      while (leaves.includes(leaf)) leaf++;
      leaves.push(leaf);
      leaves.sort((a, b) => a - b);
      added.push({ index, leaf });
      kps.push((JSON.parse(Buffer.from(bytes).toString()) as { kp: string }).kp);
    });
    const body = JSON.stringify({
      epoch: s.epoch,
      nonce: randomBytes(8).toString('hex'),
      leaves,
      removeLeaves,
      kps,
    });
    const next = this.#apply(s, body);
    this.#pending = next;
    const welcome =
      adds.length > 0
        ? Buffer.from(JSON.stringify({ state: next, slots: kps.map((kp, i) => [kp, added[i]!.leaf]) }))
        : undefined;
    return { commit: Buffer.from(body), ...(welcome ? { welcome } : {}), added, refused: [] };
  }

  acceptPending(): void {
    if (this.#pending) this.#state = this.#pending;
    this.#pending = undefined;
  }

  discardPending(): void {
    this.#pending = undefined;
  }

  async receiveCommit(commit: Uint8Array): Promise<'ok' | 'removed'> {
    const body = Buffer.from(commit).toString();
    const parsed = JSON.parse(body) as { epoch: number; removeLeaves: number[] };
    if (parsed.epoch !== this.#state!.epoch) throw new Error(`wrong epoch ${parsed.epoch} at ${this.epoch}`);
    this.#state = this.#apply(this.#state!, body);
    return parsed.removeLeaves.includes(this.#leaf) ? 'removed' : 'ok';
  }

  async join(welcome: Uint8Array): Promise<void> {
    const w = JSON.parse(Buffer.from(welcome).toString()) as { state: FakeState; slots: [string, number][] };
    const slot = w.slots.find(([kp]) => kp === this.#kp);
    if (!slot) throw new Error('Welcome not addressed to this KeyPackage');
    this.#leaf = slot[1];
    this.#state = w.state;
  }

  async encrypt(text: string): Promise<Uint8Array> {
    return Buffer.from(JSON.stringify({ epoch: this.epoch, text }));
  }

  async decrypt(data: Uint8Array): Promise<string | undefined> {
    return (JSON.parse(Buffer.from(data).toString()) as { text: string }).text;
  }

  async exporter(): Promise<string> {
    return this.#state!.chain;
  }

  #apply(s: FakeState, body: string): FakeState {
    const parsed = JSON.parse(body) as { leaves: number[] };
    const chain = createHash('sha256').update(s.chain).update(body).digest('hex');
    return { epoch: s.epoch + 1, chain, leaves: parsed.leaves };
  }
}
