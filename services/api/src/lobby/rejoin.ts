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
  /** The room's generation it belongs to: a lock or a removal starts a new one. */
  g: string;
  /** The delivery service confirmed the session as a member of the group, in generation `g`. */
  a: boolean;
  /** Expiry (ms), kept when the record is rewritten so it never outlives its purge index. */
  e: number;
}

const recordKey = (secretHash: string) => `rejoin:${secretHash}`;
const secretKey = (secret: string) => recordKey(sha256Text(secret));
/** Set by the one `consume` that may use a secret, so two concurrent uses cannot both pass. */
const usedKey = (secretHash: string) => `rejoin-used:${secretHash}`;
const sessionKey = (sessionHash: string) => `rejoin-sid:${sessionHash}`;
const roomHash = (room: string) => sha256Text(`room\n${room}`);
/** Random per generation, never a counter: an expired generation key cannot bring old secrets back. */
const generationKey = (r: string) => `rejoin-g:${r}`;
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
 *
 * A secret passes a lock (or is renewed) only once the delivery service confirmed its session as
 * a member of the MLS group (`session.joined`), so joining many times stockpiles nothing. A lock
 * or a host's removal starts a new generation of the room, which voids every secret at once; the
 * delivery service then confirms the members it still holds (`rejoin.reset`), whose secrets move
 * to the new generation.
 */
export class RejoinSecrets {
  readonly #store: ExpiringStore;
  readonly #unsubscribe: () => void;
  readonly #now: () => number;

  readonly #bus: EventBus;

  constructor(store: ExpiringStore, bus: EventBus, now: () => number = Date.now) {
    this.#store = store;
    this.#bus = bus;
    this.#now = now;
    this.#unsubscribe = bus.subscribe((event) => {
      if (event.type === 'session.removed') {
        void this.#revoke(sha256Text(event.sid))
          .then(() => this.invalidateRoom(event.room, event.grp))
          .catch(() => {});
      }
      if (event.type === 'session.joined') void this.#confirm(sha256Text(event.sid)).catch(() => {});
      if (event.type === 'room.ended') void this.purgeRoom(event.room).catch(() => {});
    });
  }

  /**
   * A fresh secret for a session (by ID, or by the hash `consume` returned), replacing its earlier
   * one. A new session's secret waits for the delivery service's confirmation; a consumed one's
   * successor keeps the group session and so its confirmation.
   */
  async issue(
    room: string,
    session: { sid: string } | { sessionHash: string },
  ): Promise<{ rejoin: string; expiresAt: number }> {
    const rejoin = randomId();
    const confirmed = !('sid' in session);
    const s = confirmed ? session.sessionHash : sha256Text(session.sid);
    const r = roomHash(room);
    const expiresAt = this.#now() + REJOIN_TTL_MS;
    const record: RejoinRecord = { r, s, g: await this.#generation(r), a: confirmed, e: expiresAt };
    await this.#revoke(s);
    await this.#store.getOrSet(secretKey(rejoin), JSON.stringify(record), REJOIN_TTL_MS);
    await this.#store.getOrSet(sessionKey(s), sha256Text(rejoin), REJOIN_TTL_MS);
    const w = windowOf(this.#now());
    const n = await this.#store.hit(counterKey(r, w), 2 * REJOIN_TTL_MS);
    await this.#store.getOrSet(indexKey(r, w, n), sha256Text(rejoin), REJOIN_TTL_MS);
    return { rejoin, expiresAt };
  }

  /**
   * The host locked the meeting or removed someone: every outstanding secret of the room stops
   * working, and the delivery service is asked to confirm the members it still holds.
   */
  async invalidateRoom(room: string, grp: string): Promise<void> {
    await this.#store.delete(generationKey(roomHash(room)));
    await this.#bus.publish({ type: 'rejoin.reset', grp });
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
          const record = parse(await this.#store.get(recordKey(hash)));
          await Promise.all([
            this.#store.delete(recordKey(hash)),
            this.#store.delete(usedKey(hash)),
            record ? this.#store.delete(sessionKey(record.s)) : undefined,
          ]);
        }
        await this.#store.delete(indexKey(r, window, n));
      }
      await this.#store.delete(counterKey(r, window));
    }
    await this.#store.delete(generationKey(r));
  }

  /**
   * True when the secret is live, belongs to this meeting's current room and generation, and its
   * session was confirmed in the group. Does not use it up.
   */
  async valid(secret: string, room: string): Promise<boolean> {
    return (await this.#record(secret, room))?.a === true;
  }

  /** Uses a valid secret up; the (hashed) session it belonged to, or undefined when it was not valid. */
  async consume(secret: string, room: string): Promise<{ sessionHash: string } | undefined> {
    const record = await this.#record(secret, room);
    if (!record?.a || !(await this.#store.claim(usedKey(sha256Text(secret)), REJOIN_TTL_MS)))
      return undefined;
    await Promise.all([this.#store.delete(secretKey(secret)), this.#store.delete(sessionKey(record.s))]);
    return { sessionHash: record.s };
  }

  /** The delivery service holds the session in its group: its secret moves to the current generation. */
  async #confirm(sessionHash: string): Promise<void> {
    const hash = await this.#store.get(sessionKey(sessionHash));
    if (hash === null || (await this.#store.get(usedKey(hash))) !== null) return;
    const record = parse(await this.#store.get(recordKey(hash)));
    const ttl = record ? record.e - this.#now() : 0;
    if (!record || ttl <= 0) return;
    const confirmed: RejoinRecord = { ...record, g: await this.#generation(record.r), a: true };
    await this.#store.delete(recordKey(hash));
    await this.#store.getOrSet(recordKey(hash), JSON.stringify(confirmed), ttl);
    // Revoked (the host removed the session) while this ran: do not bring the secret back.
    if ((await this.#store.get(sessionKey(sessionHash))) !== hash) await this.#store.delete(recordKey(hash));
  }

  /** The room's current generation; a new random one when there is none (first use, or voided). */
  #generation(r: string): Promise<string> {
    return this.#store.getOrSet(generationKey(r), randomId(), 2 * REJOIN_TTL_MS);
  }

  async #revoke(sessionHash: string): Promise<void> {
    const hash = await this.#store.get(sessionKey(sessionHash));
    if (hash === null) return;
    await Promise.all([this.#store.delete(recordKey(hash)), this.#store.delete(sessionKey(sessionHash))]);
  }

  close(): void {
    this.#unsubscribe();
  }

  async #record(secret: string, room: string): Promise<RejoinRecord | undefined> {
    const record = parse(await this.#store.get(secretKey(secret)));
    const r = roomHash(room);
    return record?.r === r && record.g === (await this.#generation(r)) ? record : undefined;
  }
}

function parse(raw: string | null): RejoinRecord | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as RejoinRecord;
  } catch {
    return undefined;
  }
}
