import { createHash } from 'node:crypto';
import type { EventBus, ExpiringStore } from '@conclave/runtime';
import { randomId } from '../http/secrets.ts';

/** A rejoin secret lives this long; the client renews it while it is in the meeting. */
export const REJOIN_TTL_MS = 30 * 60_000;

/** Only hashes: the store never holds a meeting, room or session ID in clear. */
interface RejoinRecord {
  /** Hash of the meeting ID and the SFU room it was issued for: ending the call (new rooms) voids it. */
  m: string;
  /** Hash of the session ID, for revocation when the host removes the session. */
  s: string;
}

const hashOf = (value: string) => createHash('sha256').update(value).digest('base64url');
const secretKey = (secret: string) => `rejoin:${hashOf(secret)}`;
const sessionKey = (sessionHash: string) => `rejoin-sid:${sessionHash}`;
const meetingHash = (meetingId: string, room: string) => hashOf(`${meetingId}\n${room}`);

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
      if (event.type === 'session.removed') void this.#revoke(hashOf(event.sid)).catch(() => {});
    });
  }

  /** A fresh secret for a session (by ID, or by the hash `consume` returned), replacing its earlier one. */
  async issue(
    meetingId: string,
    room: string,
    session: { sid: string } | { sessionHash: string },
  ): Promise<{ rejoin: string; expiresAt: number }> {
    const rejoin = randomId();
    const s = 'sid' in session ? hashOf(session.sid) : session.sessionHash;
    const record: RejoinRecord = { m: meetingHash(meetingId, room), s };
    await this.#revoke(s);
    await this.#store.getOrSet(secretKey(rejoin), JSON.stringify(record), REJOIN_TTL_MS);
    await this.#store.getOrSet(sessionKey(s), hashOf(rejoin), REJOIN_TTL_MS);
    return { rejoin, expiresAt: this.#now() + REJOIN_TTL_MS };
  }

  /** True when the secret is live and belongs to this meeting's current room. Does not use it up. */
  async valid(secret: string, meetingId: string, room: string): Promise<boolean> {
    return (await this.#record(secret, meetingId, room)) !== undefined;
  }

  /** Uses a secret up; the (hashed) session it belonged to, or undefined when it was not valid. */
  async consume(
    secret: string,
    meetingId: string,
    room: string,
  ): Promise<{ sessionHash: string } | undefined> {
    const record = await this.#record(secret, meetingId, room);
    if (!record) return undefined;
    await Promise.all([this.#store.delete(secretKey(secret)), this.#store.delete(sessionKey(record.s))]);
    return { sessionHash: record.s };
  }

  async #revoke(sessionHash: string): Promise<void> {
    const hash = await this.#store.get(sessionKey(sessionHash));
    if (hash === null) return;
    await Promise.all([this.#store.delete(`rejoin:${hash}`), this.#store.delete(sessionKey(sessionHash))]);
  }

  close(): void {
    this.#unsubscribe();
  }

  async #record(secret: string, meetingId: string, room: string): Promise<RejoinRecord | undefined> {
    const raw = await this.#store.get(secretKey(secret));
    if (!raw) return undefined;
    try {
      const record = JSON.parse(raw) as RejoinRecord;
      return record.m === meetingHash(meetingId, room) ? record : undefined;
    } catch {
      return undefined;
    }
  }
}
