import { createHmac } from 'node:crypto';
import type { ExpiringStore } from '@conclave/runtime';
import { ApiError } from './api-error.ts';
import { sourceOf } from './source-address.ts';

const WINDOW_MS = 60_000;

/**
 * Fixed one-minute windows per source (an IPv4 address or an IPv6 /64), and per (meeting,
 * source) for failed password proofs. There is deliberately no per-meeting limit: meeting IDs are
 * known to every past participant, so such a limit would let anyone lock everyone out, and with
 * 128-bit passwords it would not slow guessing down in any way that matters.
 *
 * Neither a source address nor a meeting ID is stored: a bucket is a keyed hash that changes
 * every window, and it expires with the window.
 */
export class RateLimiter {
  readonly #store: ExpiringStore;
  readonly #key: Buffer;
  readonly #failedProofsPerSource: number;
  readonly #perSource: number;

  constructor(store: ExpiringStore, key: Buffer, failedProofsPerSource: number, perSource: number) {
    this.#store = store;
    this.#key = key;
    this.#failedProofsPerSource = failedProofsPerSource;
    this.#perSource = perSource;
  }

  async checkSource(address: string): Promise<void> {
    if ((await this.#store.hit(this.#sourceKey(address), WINDOW_MS)) > this.#perSource) {
      throw new ApiError('rate_limited', 'too many requests from this address; try again in a minute');
    }
  }

  /** Refuses a source that has failed too many password proofs for this meeting this window. */
  async checkProofs(meetingId: string, address: string): Promise<void> {
    const failed = Number((await this.#store.get(this.#proofKey(meetingId, address))) ?? 0);
    if (failed >= this.#failedProofsPerSource) {
      throw new ApiError('rate_limited', 'too many wrong passwords from this address; try again in a minute');
    }
  }

  async recordFailedProof(meetingId: string, address: string): Promise<void> {
    await this.#store.hit(this.#proofKey(meetingId, address), WINDOW_MS);
  }

  #sourceKey(address: string): string {
    return `rl:s:${this.#bucket(`source\n${sourceOf(address)}`)}`;
  }

  #proofKey(meetingId: string, address: string): string {
    return `rl:p:${this.#bucket(`proof\n${meetingId}\n${sourceOf(address)}`)}`;
  }

  /** This window's bucket for `value`: a keyed hash, so the store names neither an address nor a meeting. */
  #bucket(value: string): string {
    const window = Math.floor(Date.now() / WINDOW_MS);
    return createHmac('sha256', this.#key).update(`${window}\n${value}`).digest('base64url');
  }
}
