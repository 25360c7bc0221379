import { createHmac } from 'node:crypto';
import type { ExpiringStore } from '@conclave/runtime';
import { ApiError } from './api-error.ts';

const WINDOW_MS = 60_000;

/**
 * Fixed one-minute windows per meeting and per source. Neither a source address nor a meeting ID
 * is stored: a bucket is a keyed hash that changes every window, and it expires with the window.
 */
export class RateLimiter {
  readonly #store: ExpiringStore;
  readonly #key: Buffer;
  readonly #perMeeting: number;
  readonly #perSource: number;

  constructor(store: ExpiringStore, key: Buffer, perMeeting: number, perSource: number) {
    this.#store = store;
    this.#key = key;
    this.#perMeeting = perMeeting;
    this.#perSource = perSource;
  }

  async checkSource(address: string): Promise<void> {
    if ((await this.#store.hit(`rl:s:${this.#bucket('source', address)}`, WINDOW_MS)) > this.#perSource) {
      throw new ApiError('rate_limited', 'too many requests from this address; try again in a minute');
    }
  }

  async checkMeetingJoin(meetingId: string): Promise<void> {
    if ((await this.#store.hit(`rl:m:${this.#bucket('meeting', meetingId)}`, WINDOW_MS)) > this.#perMeeting) {
      throw new ApiError('rate_limited', 'too many join attempts for this meeting; try again in a minute');
    }
  }

  /** This window's bucket for `value`: a keyed hash, so the store names neither an address nor a meeting. */
  #bucket(kind: 'source' | 'meeting', value: string): string {
    const window = Math.floor(Date.now() / WINDOW_MS);
    return createHmac('sha256', this.#key).update(`${kind}\n${window}\n${value}`).digest('base64url');
  }
}
