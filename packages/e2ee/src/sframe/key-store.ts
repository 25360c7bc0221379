import { type Bytes, U64_MAX } from '../bytes.ts';
import { E2eeError } from '../errors.ts';
import { decodeHeader } from './header.ts';
import { deriveSFrameKey, type SFrameKey } from './key-derivation.ts';
import { EPOCH_BITS, type MediaContextId, mlsKid, parseMlsKid } from './mls-kid.ts';
import { ReplayWindow } from './replay-window.ts';
import { sframeDecrypt, sframeEncrypt } from './sframe.ts';
import { type CipherSuiteId, DEFAULT_CIPHER_SUITE, suiteParams } from './suites.ts';

/**
 * SFrame keys of an MLS group, one entry per epoch: the current epoch and, for a grace period,
 * the previous one (frames in flight across a commit still decrypt). The store never starts
 * timers: time comes from the injected clock and expiry is checked lazily on use.
 */

export interface SFrameKeyStoreOptions {
  suite?: CipherSuiteId;
  /** How long the previous epoch still decrypts after a new one is installed (ms). Default 5000. */
  gracePeriodMs?: number;
  /** Anti-replay window per KID, in frames. Default 1024. */
  replayWindow?: number;
  /** Milliseconds clock; defaults to Date.now. */
  now?: () => number;
}

export interface EpochKeys {
  /**
   * The MLS group the epoch belongs to (its group ID, as text). Epochs are numbered per group:
   * a member that joins a new group (the old one was lost) starts counting again. Omitted: one
   * unnamed group.
   */
  group?: string;
  /** MLS epoch number. */
  epoch: bigint;
  /** MLS-Exporter("SFrame 1.0 Base Key", "", 16) for this epoch. */
  baseKey: Uint8Array;
  /** Leaves in the MLS ratchet tree this epoch (fixes S of the KID layout). */
  groupSize: number;
  /** Own leaf index; omit for a receive-only store. */
  selfLeafIndex?: number;
  /**
   * Keep sending with the previous epoch this long (ms) so that other members can install the
   * new keys first. Use 0 after a Remove (the removed member must not read new media).
   */
  sendAfterMs?: number;
}

interface EpochEntry {
  epoch: bigint;
  baseKey: Bytes;
  groupSize: number;
  selfLeafIndex: number | undefined;
  expiresAt: number;
  keys: Map<bigint, Promise<SFrameKey>>;
  replay: Map<bigint, ReplayWindow>;
  counters: Map<bigint, bigint>;
}

/** The member (MLS leaf) and media source a receiver accepts frames from. */
export interface ExpectedSender {
  leafIndex: number;
  context: MediaContextId;
}

export interface DecryptedFrame {
  plaintext: Bytes;
  kid: bigint;
  ctr: bigint;
  epoch: bigint;
  leafIndex: number;
  context: MediaContextId;
}

const EPOCH_MASK = (1n << BigInt(EPOCH_BITS)) - 1n;
/** An MLS group ID is at most 255 bytes: 510 hex digits. */
const MAX_GROUP_NAME = 510;

export class SFrameKeyStore {
  readonly suite: CipherSuiteId;
  readonly gracePeriodMs: number;
  readonly replayWindowSize: number;
  readonly #now: () => number;
  /** Receive side, keyed by epoch mod 2^E (what the KID carries). */
  readonly #epochs = new Map<number, EpochEntry>();
  #current: EpochEntry | undefined;
  /**
   * Highest epoch installed, per group. Survives clear(): installing an epoch of a group twice
   * would restart its counters and reuse nonces. Another group has other keys, so its own count.
   */
  readonly #highestEpoch = new Map<string, bigint>();
  #send: EpochEntry | undefined;
  #pendingSend: { entry: EpochEntry; at: number } | undefined;

  constructor(options: SFrameKeyStoreOptions = {}) {
    this.suite = suiteParams(options.suite ?? DEFAULT_CIPHER_SUITE).id;
    this.gracePeriodMs = options.gracePeriodMs ?? 5000;
    if (!Number.isFinite(this.gracePeriodMs) || this.gracePeriodMs < 0) {
      throw new E2eeError('INVALID_ARGUMENT', 'gracePeriodMs must be a non-negative number');
    }
    this.replayWindowSize = options.replayWindow ?? 1024;
    new ReplayWindow(this.replayWindowSize); // validates the size
    this.#now = options.now ?? (() => Date.now());
  }

  /** The newest installed epoch, if any. */
  get currentEpoch(): bigint | undefined {
    return this.#current?.epoch;
  }

  /** The epoch used for sending right now, if any. */
  get sendEpoch(): bigint | undefined {
    this.#promotePendingSend();
    return this.#send?.epoch;
  }

  /**
   * Installs the keys of a new epoch: decryption with it starts at once; the previous epoch keeps
   * decrypting for the grace period; older epochs are dropped.
   */
  installEpoch(keys: EpochKeys): void {
    if (typeof keys.epoch !== 'bigint' || keys.epoch < 0n || keys.epoch > U64_MAX) {
      throw new E2eeError('INVALID_ARGUMENT', 'epoch must be a bigint in [0, 2^64)');
    }
    if (!(keys.baseKey instanceof Uint8Array) || keys.baseKey.length === 0) {
      throw new E2eeError('SFRAME_BAD_KEY', 'base key must be a non-empty Uint8Array');
    }
    const group = keys.group ?? '';
    if (typeof group !== 'string' || group.length > MAX_GROUP_NAME) {
      throw new E2eeError(
        'INVALID_ARGUMENT',
        `group must be a string of at most ${MAX_GROUP_NAME} characters`,
      );
    }
    const highest = this.#highestEpoch.get(group);
    if (highest !== undefined && keys.epoch <= highest) {
      throw new E2eeError('INVALID_ARGUMENT', `epoch ${keys.epoch} is not newer than ${highest}`);
    }
    const sendAfter = keys.sendAfterMs ?? 0;
    if (typeof sendAfter !== 'number' || !Number.isFinite(sendAfter) || sendAfter < 0) {
      throw new E2eeError('INVALID_ARGUMENT', 'sendAfterMs must be a non-negative number');
    }
    // validates the group size and that the own leaf fits the KID layout
    mlsKid({ context: 0, leafIndex: keys.selfLeafIndex ?? 0, epoch: keys.epoch, groupSize: keys.groupSize });
    const now = this.#now();
    this.#dropExpired(now);
    const entry: EpochEntry = {
      epoch: keys.epoch,
      baseKey: Uint8Array.from(keys.baseKey),
      groupSize: keys.groupSize,
      selfLeafIndex: keys.selfLeafIndex,
      expiresAt: Number.POSITIVE_INFINITY,
      keys: new Map(),
      replay: new Map(),
      counters: new Map(),
    };
    const previous = this.#current;
    for (const [bits, other] of this.#epochs) {
      if (other !== previous) this.#epochs.delete(bits);
    }
    if (previous) previous.expiresAt = now + this.gracePeriodMs + sendAfter;
    this.#epochs.set(Number(keys.epoch & EPOCH_MASK), entry);
    this.#current = entry;
    this.#highestEpoch.set(group, keys.epoch);

    // Receivers keep only the previous epoch, so while the switch is delayed we send with it.
    if (keys.selfLeafIndex === undefined) {
      this.#send = undefined;
      this.#pendingSend = undefined;
    } else if (sendAfter <= 0 || previous?.selfLeafIndex === undefined) {
      this.#send = entry;
      this.#pendingSend = undefined;
    } else {
      this.#send = previous;
      this.#pendingSend = { entry, at: now + sendAfter };
    }
  }

  /**
   * Forgets all keys (leaving the meeting). Epochs up to the highest installed one stay refused:
   * a sender's counters restart with a fresh store, so one store must live as long as the
   * membership, and a member must never send from two stores in the same epoch.
   */
  clear(): void {
    this.#epochs.clear();
    this.#current = undefined;
    this.#send = undefined;
    this.#pendingSend = undefined;
  }

  /** The KID this member sends with for `context` in the current send epoch. */
  sendKid(context: MediaContextId): bigint {
    const entry = this.#sendEntry();
    return mlsKid({
      context,
      leafIndex: entry.selfLeafIndex!,
      epoch: entry.epoch,
      groupSize: entry.groupSize,
    });
  }

  /** Encrypts one frame for `context` with the next counter of its KID. */
  async encrypt(context: MediaContextId, metadata: Uint8Array, plaintext: Uint8Array): Promise<Bytes> {
    const entry = this.#sendEntry();
    const kid = mlsKid({
      context,
      leafIndex: entry.selfLeafIndex!,
      epoch: entry.epoch,
      groupSize: entry.groupSize,
    });
    const ctr = entry.counters.get(kid) ?? 0n;
    if (ctr > U64_MAX)
      throw new E2eeError('SFRAME_COUNTER_EXHAUSTED', `counter space of KID ${kid} is used up`);
    entry.counters.set(kid, ctr + 1n);
    const key = await this.#key(entry, kid);
    return sframeEncrypt(key, ctr, metadata, plaintext);
  }

  /**
   * Decrypts one SFrame ciphertext, refusing replays and unknown or expired epochs. With `from`,
   * a frame whose KID names another leaf or media source is refused before any decryption: every
   * member holds every member's keys, so only this check stops frames of one member from being
   * shown as another's.
   */
  async decrypt(
    metadata: Uint8Array,
    sframeCiphertext: Uint8Array,
    from?: ExpectedSender,
  ): Promise<DecryptedFrame> {
    const header = decodeHeader(sframeCiphertext);
    const now = this.#now();
    this.#dropExpired(now);
    const entry = this.#epochs.get(Number(header.kid & EPOCH_MASK));
    if (!entry) throw new E2eeError('SFRAME_UNKNOWN_KEY', `no epoch keys for KID ${header.kid}`);
    const parts = parseMlsKid(header.kid, entry.groupSize);
    if (parts.leafIndex >= entry.groupSize) {
      throw new E2eeError('SFRAME_UNKNOWN_KEY', `KID ${header.kid} names a leaf outside the group`);
    }
    if (from && (parts.leafIndex !== from.leafIndex || parts.context !== from.context)) {
      throw new E2eeError(
        'SFRAME_WRONG_SENDER',
        `KID ${header.kid} names leaf ${parts.leafIndex}/${parts.context}, expected ${from.leafIndex}/${from.context}`,
      );
    }
    let window = entry.replay.get(header.kid);
    if (!window) {
      window = new ReplayWindow(this.replayWindowSize);
      entry.replay.set(header.kid, window);
    }
    if (!window.check(header.ctr))
      throw new E2eeError('SFRAME_REPLAY', `replayed or too old CTR ${header.ctr}`);
    const key = await this.#key(entry, header.kid);
    const result = await sframeDecrypt(key, metadata, sframeCiphertext);
    if (!window.record(header.ctr)) throw new E2eeError('SFRAME_REPLAY', `replayed CTR ${header.ctr}`);
    return {
      plaintext: result.plaintext,
      kid: header.kid,
      ctr: header.ctr,
      epoch: entry.epoch,
      leafIndex: parts.leafIndex,
      context: parts.context,
    };
  }

  #sendEntry(): EpochEntry {
    this.#promotePendingSend();
    if (!this.#send || this.#send.selfLeafIndex === undefined) {
      throw new E2eeError('SFRAME_NO_SEND_KEY', 'no epoch installed for sending');
    }
    return this.#send;
  }

  #promotePendingSend(): void {
    if (this.#pendingSend && this.#now() >= this.#pendingSend.at) {
      this.#send = this.#pendingSend.entry;
      this.#pendingSend = undefined;
    }
  }

  #dropExpired(now: number): void {
    for (const [bits, entry] of this.#epochs) {
      if (entry.expiresAt <= now) this.#epochs.delete(bits);
    }
  }

  /** Imported keys are cached per KID: key derivation and importKey cost far more than a frame. */
  #key(entry: EpochEntry, kid: bigint): Promise<SFrameKey> {
    let key = entry.keys.get(kid);
    if (!key) {
      key = deriveSFrameKey(this.suite, entry.baseKey, kid);
      key.catch(() => entry.keys.delete(kid));
      entry.keys.set(kid, key);
    }
    return key;
  }
}
