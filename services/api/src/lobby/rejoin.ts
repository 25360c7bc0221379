import type { EventBus, ExpiringStore } from '@conclave/runtime';
import { randomId, sha256Text } from '../http/secrets.ts';

/** A rejoin secret lives this long; the client renews it while it is in the meeting. */
export const REJOIN_TTL_MS = 30 * 60_000;

/** Only hashes: the store never holds a meeting, room or session ID in clear. */
interface RejoinRecord {
  /** Hash of the SFU room it was issued for (one meeting's, until the call ends). */
  r: string;
  /** Hash of the session ID, for revocation when the host removes the session. */
  s: string;
}

const secretKey = (secret: string) => `rejoin:${sha256Text(secret)}`;
/** Set by the one `consume` that may use a secret, so two concurrent uses cannot both pass. */
const usedKey = (secretHash: string) => `rejoin-used:${secretHash}`;
const sessionKey = (sessionHash: string) => `rejoin-sid:${sessionHash}`;
const roomHash = (room: string) => sha256Text(`room\n${room}`);
/** Per room and lifetime window: a counter and one index entry per secret, to purge them at the end. */
const windowOf = (now: number) => Math.floor(now / REJOIN_TTL_MS);
const counterKey = (r: string, w: number) => `rejoin-n:${r}:${w}`;
const indexKey = (r: string, w: number, n: number) => `rejoin-i:${r}:${w}:${n}`;

/**
 * Rejoin secrets: handed out with every join token so a session can come back through a lock
 * after its connection dropped. Only a hash is stored, in the ephemeral store, with a short
 * lifetime; each is single use, bound to one meeting's SFU room (an opaque random ID that changes
 * when the call ends) and to one session, revoked when the host removes that session and purged
 * when the call ends.
 */
export class RejoinSecrets {
  readonly #store: ExpiringStore;
  readonly #unsubscribe: () => void;
  readonly #now: () => number;

  constructor(store: ExpiringStore, bus: EventBus, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
    this.#unsubscribe = bus.subscribe((event) => {
      if (event.type === 'session.removed') void this.#revoke(sha256Text(event.sid)).catch(() => {});
      if (event.type === 'room.ended') void this.purgeRoom(event.room).catch(() => {});
    });
  }

  /** A fresh secret for a session (by ID, or by the hash `consume` returned), replacing its earlier one. */
  async issue(
    room: string,
    session: { sid: string } | { sessionHash: string },
  ): Promise<{ rejoin: string; expiresAt: number }> {
    const rejoin = randomId();
    const s = 'sid' in session ? sha256Text(session.sid) : session.sessionHash;
    const r = roomHash(room);
    const record: RejoinRecord = { r, s };
    await this.#revoke(s);
    await this.#store.getOrSet(secretKey(rejoin), JSON.stringify(record), REJOIN_TTL_MS);
    await this.#store.getOrSet(sessionKey(s), sha256Text(rejoin), REJOIN_TTL_MS);
    const w = windowOf(this.#now());
    const n = await this.#store.hit(counterKey(r, w), 2 * REJOIN_TTL_MS);
    await this.#store.getOrSet(indexKey(r, w, n), sha256Text(rejoin), REJOIN_TTL_MS);
    return { rejoin, expiresAt: this.#now() + REJOIN_TTL_MS };
  }

  /**
   * The call in this room ended: every rejoin secret issued for it goes at once. A live secret
   * was issued at most one lifetime ago, so this window's index and the previous one cover all.
   */
  async purgeRoom(room: string): Promise<void> {
    const r = roomHash(room);
    const w = windowOf(this.#now());
    for (const window of [w - 1, w]) {
      const count = Number((await this.#store.get(counterKey(r, window))) ?? 0);
      for (let n = 1; n <= count; n++) {
        const hash = await this.#store.get(indexKey(r, window, n));
        if (hash !== null) {
          const raw = await this.#store.get(`rejoin:${hash}`);
          const record = raw ? (JSON.parse(raw) as RejoinRecord) : undefined;
          await Promise.all([
            this.#store.delete(`rejoin:${hash}`),
            this.#store.delete(usedKey(hash)),
            record ? this.#store.delete(sessionKey(record.s)) : undefined,
          ]);
        }
        await this.#store.delete(indexKey(r, window, n));
      }
      await this.#store.delete(counterKey(r, window));
    }
  }

  /** True when the secret is live and belongs to this meeting's current room. Does not use it up. */
  async valid(secret: string, room: string): Promise<boolean> {
    return (await this.#record(secret, room)) !== undefined;
  }

  /** Uses a secret up; the (hashed) session it belonged to, or undefined when it was not valid. */
  async consume(secret: string, room: string): Promise<{ sessionHash: string } | undefined> {
    const record = await this.#record(secret, room);
    if (!record || !(await this.#store.claim(usedKey(sha256Text(secret)), REJOIN_TTL_MS))) return undefined;
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

  async #record(secret: string, room: string): Promise<RejoinRecord | undefined> {
    const raw = await this.#store.get(secretKey(secret));
    if (!raw) return undefined;
    try {
      const record = JSON.parse(raw) as RejoinRecord;
      return record.r === roomHash(room) ? record : undefined;
    } catch {
      return undefined;
    }
  }
}
