import type { FailureCode, FrameSender } from './frame-cryptor.ts';
import type { ReceiverFrameStats, ReceiverReport, WorkerResponse } from './messages.ts';

/** What a decrypting stream asks, frame by frame: whose frames it may pass, and whom to tell. */
export interface ReceiverBinding {
  /** The member and source frames must come from right now (bindings change with the roster). */
  sender(): FrameSender | null;
  /** A frame named another member or source. */
  wrongSender?(): void;
  /** What became of one frame: decrypted, or dropped and why. */
  counted?(outcome: 'decrypted' | FailureCode): void;
  /** The stream stopped: no frame of this receiver reaches its decoder any more. */
  ended?(why: string): void;
}

/**
 * Receivers by ID: the sender each is bound to, whether it was told of a wrong one, and what
 * its frames became (a picture that stays black says here whether frames arrived at all,
 * were dropped unbound, or stopped because its stream ended).
 */
export class ReceiverBindings {
  readonly #senders = new Map<string, FrameSender>();
  readonly #warned = new Set<string>();
  readonly #counts = new Map<string, ReceiverFrameStats>();
  readonly #reply: (message: WorkerResponse) => void;

  constructor(reply: (message: WorkerResponse) => void) {
    this.#reply = reply;
  }

  bind(receiverId: string, sender: FrameSender | null): void {
    this.#warned.delete(receiverId);
    if (sender) this.#senders.set(receiverId, { leafIndex: sender.leafIndex, context: sender.context });
    else this.#senders.delete(receiverId);
  }

  release(receiverId: string): void {
    this.#senders.delete(receiverId);
    this.#warned.delete(receiverId);
    this.#counts.delete(receiverId);
  }

  of(receiverId: string): ReceiverBinding {
    // Counted from when its transform starts; a released receiver's stream no longer shows.
    const counts: ReceiverFrameStats = { decrypted: 0, dropped: {} };
    this.#counts.set(receiverId, counts);
    return {
      sender: () => this.#senders.get(receiverId) ?? null,
      wrongSender: () => {
        if (this.#warned.has(receiverId)) return;
        this.#warned.add(receiverId);
        this.#reply({ type: 'wrong-sender', receiverId });
      },
      counted: (outcome) => {
        if (outcome === 'decrypted') counts.decrypted++;
        else counts.dropped[outcome] = (counts.dropped[outcome] ?? 0) + 1;
      },
      ended: (why) => {
        counts.ended = why;
      },
    };
  }

  /** A snapshot per receiver, with whether it is bound to a sender now. */
  stats(): Record<string, ReceiverReport> {
    const out: Record<string, ReceiverReport> = {};
    for (const [id, c] of this.#counts)
      out[id] = { ...c, dropped: { ...c.dropped }, bound: this.#senders.has(id) };
    return out;
  }
}
