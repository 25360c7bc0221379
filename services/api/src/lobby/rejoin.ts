import { createHash } from 'node:crypto';
import type { EventBus, ExpiringStore } from '@conclave/runtime';
import { randomId } from '../http/secrets.ts';

/** A rejoin secret lives this long; the client renews it while it is in the meeting. */
export const REJOIN_TTL_MS = 30 * 60_000;

interface RejoinRecord {
  /** Meeting ID and the SFU room it was issued for: ending the call (new rooms) voids it. */
  m: string;
  room: string;
  sid: string;
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('base64url');
const secretKey = (secret: string) => `rejoin:${hashOf(secret)}`;
const sessionKey = (sid: string) => `rejoin-sid:${sid}`;

/**
 * Rejoin secrets: handed out with every join token so a session can come back through a lock
 * after its connection dropped. Only a hash is stored, in the ephemeral store, with a short
 * lifetime; each is single use, bound to one meeting, room and session, and revoked when the host
 * removes that session.
 */
export class RejoinSecrets {
  readonly #store: ExpiringStore;
  readonly #unsubscribe: () => void;
  readonly #now: () => number;

  constructor(store: ExpiringStore, bus: EventBus, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
    this.#unsubscribe = bus.subscribe((event) => {
      if (event.type === 'session.removed') void this.revokeSession(event.sid).catch(() => {});
    });
  }

  /** A fresh secret for a session, replacing any earlier one of that session. */
  async issue(meetingId: string, room: string, sid: string): Promise<{ rejoin: string; expiresAt: number }> {
    const rejoin = randomId();
    const record: RejoinRecord = { m: meetingId, room, sid };
    await this.revokeSession(sid);
    await this.#store.getOrSet(secretKey(rejoin), JSON.stringify(record), REJOIN_TTL_MS);
    await this.#store.getOrSet(sessionKey(sid), hashOf(rejoin), REJOIN_TTL_MS);
    return { rejoin, expiresAt: this.#now() + REJOIN_TTL_MS };
  }

  /** True when the secret is live and belongs to this meeting's current room. Does not use it up. */
  async valid(secret: string, meetingId: string, room: string): Promise<boolean> {
    return (await this.#record(secret, meetingId, room)) !== undefined;
  }

  /** Uses a secret up; the session it belonged to, or undefined when it was not valid. */
  async consume(secret: string, meetingId: string, room: string): Promise<string | undefined> {
    const record = await this.#record(secret, meetingId, room);
    if (!record) return undefined;
    await Promise.all([this.#store.delete(secretKey(secret)), this.#store.delete(sessionKey(record.sid))]);
    return record.sid;
  }

  async revokeSession(sid: string): Promise<void> {
    const hash = await this.#store.get(sessionKey(sid));
    if (hash === null) return;
    await Promise.all([this.#store.delete(`rejoin:${hash}`), this.#store.delete(sessionKey(sid))]);
  }

  close(): void {
    this.#unsubscribe();
  }

  async #record(secret: string, meetingId: string, room: string): Promise<RejoinRecord | undefined> {
    const raw = await this.#store.get(secretKey(secret));
    if (!raw) return undefined;
    try {
      const record = JSON.parse(raw) as RejoinRecord;
      return record.m === meetingId && record.room === room ? record : undefined;
    } catch {
      return undefined;
    }
  }
}
