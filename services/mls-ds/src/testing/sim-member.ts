import { DS_PROTOCOL_VERSION, type DsServerMessage, type ReadyMessage } from '@conclave/protocol';
import { DsTestClient } from './ds-client.ts';
import type { BuiltCommit, MlsEngine } from './engines.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export interface SimOptions {
  /** Never answers commit requests (a hung committer). */
  silent?: boolean;
  /** Drops its connection on the next commit request (a committer that crashes mid-commit). */
  crashOnCommitRequest?: boolean;
  /**
   * Keeps no MLS state after publishing its KeyPackage: skips Welcomes, commits and
   * application messages (counting them). Load tests use it for the crowd whose crypto
   * would run on other machines; the DS cannot tell the difference.
   */
  passive?: boolean;
}

/**
 * A meeting participant in Node: drives the DS protocol like the web client does and keeps
 * its MLS state with an engine. Every event is handled in arrival order.
 */
export class SimMember {
  readonly engine: MlsEngine;
  readonly options: SimOptions;
  client: DsTestClient;
  member = '';
  secret = '';
  lastSeq = 0;
  removed = false;
  /** The DS made this member the group's creator (`ready` with `create`). */
  created = false;
  readonly texts: string[] = [];
  readonly errors: unknown[] = [];
  readonly dsErrors: string[] = [];
  /** Time the KeyPackage was sent and the Welcome processed, for latency measurements. */
  keyPackageSentAt = 0;
  joinedAt = 0;
  #chain: Promise<void> = Promise.resolve();
  readonly #epochWaiters: { epoch: number; resolve: () => void }[] = [];

  private constructor(client: DsTestClient, engine: MlsEngine, options: SimOptions) {
    this.client = client;
    this.engine = engine;
    this.options = options;
  }

  static async join(
    url: string,
    token: string,
    engine: MlsEngine,
    options: SimOptions = {},
  ): Promise<SimMember> {
    const client = await DsTestClient.connect(url);
    const sim = new SimMember(client, engine, options);
    sim.#listen();
    client.send({ type: 'hello', v: DS_PROTOCOL_VERSION, token });
    const ready = await client.next('ready');
    await sim.#onReady(ready);
    return sim;
  }

  get epoch(): number {
    return this.engine.epoch;
  }

  /** Reconnects after a dropped connection and resumes after the last event seen. */
  async resume(url: string): Promise<void> {
    await this.#chain;
    const client = await DsTestClient.connect(url);
    this.client = client;
    this.#listen();
    client.send({
      type: 'resume',
      v: DS_PROTOCOL_VERSION,
      member: this.member,
      secret: this.secret,
      seq: this.lastSeq,
    });
    await client.next('resumed');
  }

  waitForEpoch(epoch: number, timeoutMs = 20_000): Promise<void> {
    if (this.engine.epoch >= epoch) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`member stuck at epoch ${this.engine.epoch}, expected ${epoch}`)),
        timeoutMs,
      );
      this.#epochWaiters.push({
        epoch,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Sends `text` to the group, or only to the members in `to`. */
  async sendText(text: string, to?: string[]): Promise<void> {
    await this.#chain;
    const data = await this.engine.encrypt(text);
    this.client.send({ type: 'app', epoch: this.engine.epoch, data: b64(data), ...(to ? { to } : {}) });
  }

  /**
   * Encrypts every text first, then writes them all to the socket in one go without waiting
   * for anything: a client sending a burst (a paste, a loop) as fast as it can.
   */
  async sendBurst(texts: string[]): Promise<void> {
    await this.#chain;
    const frames: string[] = [];
    for (const text of texts) frames.push(b64(await this.engine.encrypt(text)));
    for (const data of frames) this.client.send({ type: 'app', epoch: this.engine.epoch, data });
  }

  /** Processes everything received so far. */
  settled(): Promise<void> {
    return this.#chain;
  }

  leave(): void {
    this.client.send({ type: 'leave' });
  }

  /** Drops the connection without a word, like a crashed tab. */
  crash(): void {
    this.client.terminate();
  }

  async #onReady(ready: ReadyMessage): Promise<void> {
    this.member = ready.member;
    this.secret = ready.secret;
    this.lastSeq = ready.seq;
    this.created = ready.create;
    if (ready.create) {
      await this.engine.create();
      this.#epochReached();
      return;
    }
    const kp = await this.engine.keyPackage();
    this.keyPackageSentAt = performance.now();
    this.client.send({ type: 'keyPackage', kp: b64(kp) });
  }

  #listen(): void {
    const client = this.client;
    client.onMessage = (m) => {
      this.#chain = this.#chain
        .then(() => this.#handle(m))
        .catch((e) => {
          this.errors.push(e);
        });
    };
  }

  /** Application messages seen by a passive member. */
  appCount = 0;

  async #handle(m: DsServerMessage): Promise<void> {
    if (this.options.passive) {
      if (m.type === 'app') this.appCount += 1;
      if (m.type === 'welcome') this.joinedAt = performance.now();
      if ('seq' in m) this.lastSeq = m.seq;
      return;
    }
    switch (m.type) {
      case 'commitRequest':
        return this.#commitRequest(m);
      case 'commit':
        if (m.from === this.member) this.engine.acceptPending();
        else {
          this.engine.discardPending();
          if ((await this.engine.receiveCommit(unb64(m.commit))) === 'removed') this.removed = true;
        }
        this.lastSeq = m.seq;
        this.#epochReached();
        return;
      case 'welcome':
        await this.engine.join(unb64(m.welcome));
        this.joinedAt = performance.now();
        this.lastSeq = m.seq;
        this.#epochReached();
        return;
      case 'create':
        await this.engine.create();
        this.#epochReached();
        return;
      case 'app': {
        const text = await this.engine.decrypt(unb64(m.data));
        if (text !== undefined) this.texts.push(text);
        this.lastSeq = m.seq;
        return;
      }
      case 'error':
        this.dsErrors.push(m.code);
        if (m.code === 'stale_epoch') this.engine.discardPending();
        return;
      default:
        return;
    }
  }

  async #commitRequest(m: Extract<DsServerMessage, { type: 'commitRequest' }>): Promise<void> {
    if (this.options.crashOnCommitRequest) return this.crash();
    if (this.options.silent || m.epoch !== this.engine.epoch) return;
    let built: BuiltCommit;
    try {
      built = await this.engine.commit(
        m.adds.map((a) => unb64(a.kp)),
        m.removes.map((r) => r.leaf),
      );
    } catch (error) {
      // Every KeyPackage failed the credential check (forged, or made with another password)
      // and nobody is to be removed: refuse those joiners instead of letting the request time out.
      const refused = (error as { cause?: unknown }).cause;
      if (m.removes.length === 0 && Array.isArray(refused) && refused.length > 0) {
        const members = refused.map((r: { index: number }) => m.adds[r.index]!.member);
        this.client.send({ type: 'reject', members });
        return;
      }
      throw error;
    }
    this.client.send({
      type: 'commit',
      epoch: m.epoch,
      commit: b64(built.commit),
      ...(built.welcome ? { welcome: b64(built.welcome) } : {}),
      adds: built.added.map((a) => ({ member: m.adds[a.index]!.member, leaf: a.leaf })),
      removes: m.removes.map((r) => r.member),
      rejected: built.refused.map((i) => m.adds[i]!.member),
    });
  }

  #epochReached(): void {
    for (let i = this.#epochWaiters.length - 1; i >= 0; i--) {
      const w = this.#epochWaiters[i]!;
      if (this.engine.epoch >= w.epoch) {
        this.#epochWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}
