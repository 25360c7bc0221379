/**
 * The page side of media encryption: one Worker holds the SFrame key store for the whole
 * meeting; every RTP sender and receiver is wired to it before any frame flows.
 */
import {
  attachFrameTransform,
  type FrameCryptorStats,
  type FrameSender,
  postBindReceiver,
  postClearKeys,
  postEpochKeys,
  postReleaseReceiver,
} from '@conclave/e2ee';
import type { ReceiverReport, WorkerResponse } from '@conclave/e2ee';

export type SendContext = 'mic' | 'camera' | 'screen';

/** The worker's counts, and per receiver (by consumer ID) what its frames became. */
export type MediaCryptoStats = FrameCryptorStats & {
  receivers: Record<string, ReceiverReport>;
};

/** True when this browser can run a frame transform; without one we never start a call. */
export function encodedTransformSupport(): 'script-transform' | 'encoded-streams' | undefined {
  if (typeof globalThis.RTCRtpScriptTransform === 'function') return 'script-transform';
  const proto = globalThis.RTCRtpSender?.prototype as unknown as Record<string, unknown> | undefined;
  if (proto && typeof proto['createEncodedStreams'] === 'function') return 'encoded-streams';
  return undefined;
}

export class MediaCrypto {
  readonly worker: Worker;
  readonly mode: 'script-transform' | 'encoded-streams';
  #requests = 0;
  readonly #pending = new Map<number, (stats: MediaCryptoStats) => void>();
  /** The worker's latest counts: what `stats()` answers once the worker is gone (the meeting ended). */
  #lastStats: MediaCryptoStats = {
    encrypted: 0,
    decrypted: 0,
    passedEmpty: 0,
    encryptFailures: {},
    decryptFailures: {},
    receivers: {},
  };
  #closed = false;
  /** Told when a receiver got a frame of another member or source than it is bound to. */
  onWrongSender: (receiverId: string) => void = () => {};

  constructor() {
    const mode = encodedTransformSupport();
    if (!mode) throw new Error('encoded transforms are not supported');
    this.mode = mode;
    this.worker = new Worker('/assets/media-worker.js', { name: 'conclave-media-crypto' });
    this.worker.addEventListener('message', (event: MessageEvent<WorkerResponse>) => {
      const m = event.data;
      if (m.type === 'stats' && m.requestId !== undefined) {
        this.#lastStats = { ...m.stats, receivers: m.receivers ?? {} };
        this.#pending.get(m.requestId)?.(this.#lastStats);
        this.#pending.delete(m.requestId);
      } else if (m.type === 'wrong-sender') this.onWrongSender(m.receiverId);
      // A request the worker refused (a bug on this side): say so instead of failing silently.
      else if (m.type === 'error') console.warn('media worker refused a request:', m.code, m.message);
    });
  }

  /** RTCPeerConnection settings the legacy mode needs. */
  get peerConnectionSettings(): Record<string, unknown> {
    return this.mode === 'encoded-streams' ? { encodedInsertableStreams: true } : {};
  }

  installEpoch(keys: {
    group: string;
    epoch: bigint;
    baseKey: Uint8Array;
    groupSize: number;
    selfLeafIndex: number;
    sendAfterMs: number;
  }): void {
    postEpochKeys(this.worker, keys);
  }

  encryptSender(sender: RTCRtpSender, context: SendContext): void {
    attachFrameTransform(this.worker, sender, {
      operation: 'encrypt',
      codec: context === 'mic' ? 'opus' : 'vp8',
      context,
    });
  }

  /** Decrypts on `receiver` nothing until `bindReceiver(receiverId, …)` says whose frames to show. */
  decryptReceiver(receiver: RTCRtpReceiver, kind: 'audio' | 'video', receiverId: string): void {
    attachFrameTransform(this.worker, receiver, {
      operation: 'decrypt',
      codec: kind === 'audio' ? 'opus' : 'vp8',
      receiverId,
    });
  }

  bindReceiver(receiverId: string, sender: FrameSender | null): void {
    postBindReceiver(this.worker, receiverId, sender);
  }

  releaseReceiver(receiverId: string): void {
    postReleaseReceiver(this.worker, receiverId);
  }

  stats(): Promise<MediaCryptoStats> {
    if (this.#closed) return Promise.resolve(this.#lastStats);
    const requestId = ++this.#requests;
    return new Promise((resolve) => {
      this.#pending.set(requestId, resolve);
      this.worker.postMessage({ type: 'get-stats', requestId });
    });
  }

  close(): void {
    this.#closed = true;
    postClearKeys(this.worker);
    this.worker.terminate();
    // A terminated worker answers nothing: settle what was asked with the latest counts.
    for (const answer of this.#pending.values()) answer(this.#lastStats);
    this.#pending.clear();
  }
}
