import type { EventBus, ExpiringStore } from '@conclave/runtime';
import { ApiError } from '../http/api-error.ts';
import { randomId, sameHash, sha256Text } from '../http/secrets.ts';

/** A knock is forgotten this long after it was made unless the host answered it. */
export const KNOCK_TTL_MS = 5 * 60_000;
/** Open knocks per meeting; more are refused with `lobby_full`. */
export const MAX_OPEN_KNOCKS = 20;
/** Safety net when a wake-up is missed: waiters look at the store at least this often. */
const RECHECK_MS = 2000;

/** What the host sees of a knock: an ID, a name only the meeting's members can open, an expiry. */
export interface OpenKnock {
  knockId: string;
  sealedName: string;
  expiresAt: number;
}

/** What the knocker's wait learns. */
export type KnockOutcome = { state: 'open' } | { state: 'admitted'; M2: string } | { state: 'denied' };

interface KnockRecord {
  /** Hash of the meeting ID. */
  m: string;
  /** SHA-256 of the knock secret, base64url. */
  h: string;
  /** The SRP server proof of the knock, returned again with the join token. */
  p: string;
  exp: number;
  /** Lobby slot that lists this knock to the host. */
  s: number;
}

/** A slot as stored: an open knock, or (no name) one answered but not yet collected by the knocker. */
interface Slot extends Partial<OpenKnock> {
  knockId: string;
  expiresAt: number;
  answered?: true;
}

/** The store never holds a meeting ID in clear: lobbies are keyed by a hash of it. */
const lobbyOf = (meetingKey: string) => sha256Text(`lobby\n${meetingKey}`);
const slotKey = (meetingKey: string, slot: number) => `lobby:${lobbyOf(meetingKey)}:${slot}`;
const knockKey = (knockId: string) => `knock:${knockId}`;
const answerKey = (knockId: string) => `knock:${knockId}:a`;

function parse<T>(raw: string | null): T | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/**
 * The lobby of locked meetings, entirely in the ephemeral store: a meeting has a fixed number of
 * slots, each listing one open knock (ID, sealed name, expiry); the knock itself (hashes of the
 * meeting ID and of its secret) lives under its ID; the host's answer under a third key, first
 * answer wins. Every key expires with the knock; answering drops the sealed name from the slot at
 * once, and the knocker collecting the answer (or the end of the meeting) removes the rest.
 * Waiters on any API instance are woken through the event bus.
 */
export class Lobby {
  readonly #store: ExpiringStore;
  readonly #bus: EventBus;
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #unsubscribe: () => void;
  readonly #now: () => number;
  #closed = false;

  constructor(store: ExpiringStore, bus: EventBus, now: () => number = Date.now) {
    this.#store = store;
    this.#bus = bus;
    this.#now = now;
    this.#unsubscribe = bus.subscribe((event) => {
      if (event.type === 'lobby.changed') this.#wake(event.grp);
    });
  }

  /** Opens a knock; `lobby_full` when every slot holds a live knock. */
  async open(
    meetingKey: string,
    grp: string,
    sealedName: string,
    M2: string,
  ): Promise<{ knockId: string; knockSecret: string; expiresAt: number }> {
    const knockId = randomId();
    const knockSecret = randomId();
    const exp = this.#now() + KNOCK_TTL_MS;
    const listed = JSON.stringify({ knockId, sealedName, expiresAt: exp } satisfies OpenKnock);
    let slot = -1;
    for (let i = 0; i < MAX_OPEN_KNOCKS && slot < 0; i++) {
      const key = slotKey(meetingKey, i);
      // A slot's key expires with its knock, so a taken slot is skipped even in the last
      // milliseconds of its life: deleting it here could delete a knock another request has
      // just put there.
      if ((await this.#store.get(key)) !== null) continue;
      if ((await this.#store.getOrSet(key, listed, KNOCK_TTL_MS)) === listed) slot = i;
    }
    if (slot < 0)
      throw new ApiError('lobby_full', 'too many people are waiting to be let in; try again later');
    const record: KnockRecord = { m: lobbyOf(meetingKey), h: sha256Text(knockSecret), p: M2, exp, s: slot };
    await this.#store.getOrSet(knockKey(knockId), JSON.stringify(record), KNOCK_TTL_MS);
    await this.#changed(grp);
    return { knockId, knockSecret, expiresAt: exp };
  }

  /** The open (unanswered, unexpired) knocks of a meeting, oldest first. */
  async list(meetingKey: string): Promise<OpenKnock[]> {
    const now = this.#now();
    const slots = await Promise.all(
      Array.from({ length: MAX_OPEN_KNOCKS }, (_, i) => this.#store.get(slotKey(meetingKey, i))),
    );
    return slots
      .map((raw) => parse<Slot>(raw))
      .filter((k): k is OpenKnock => !!k && !k.answered && k.sealedName !== undefined && k.expiresAt > now)
      .map(({ knockId, sealedName, expiresAt }) => ({ knockId, sealedName, expiresAt }))
      .sort((a, b) => a.expiresAt - b.expiresAt);
  }

  /** The host's answer; the first one counts. The knock leaves the list at once. */
  async answer(meetingKey: string, grp: string, knockId: string, admit: boolean): Promise<void> {
    const record = await this.#record(knockId);
    if (!record || record.m !== lobbyOf(meetingKey) || record.exp <= this.#now())
      throw new ApiError('knock_not_found', 'no such knock: it may have expired or been withdrawn');
    const value = admit ? 'admit' : 'deny';
    const ttl = Math.max(1000, record.exp - this.#now());
    if ((await this.#store.getOrSet(answerKey(knockId), value, ttl)) !== value)
      throw new ApiError('knock_answered', 'this knock was already answered');
    // The slot keeps only the knock ID until the knocker collects the answer: no name any more.
    const key = slotKey(meetingKey, record.s);
    if (parse<Slot>(await this.#store.get(key))?.knockId === knockId) {
      await this.#store.delete(key);
      const answered: Slot = { knockId, expiresAt: record.exp, answered: true };
      await this.#store.getOrSet(key, JSON.stringify(answered), ttl);
    }
    await this.#changed(grp);
  }

  /**
   * The knocker's view. Collecting an answer forgets the knock; an unknown or expired knock is
   * `knock_expired` (the two are indistinguishable by design).
   */
  async outcome(meetingKey: string, knockId: string, knockSecret: string): Promise<KnockOutcome> {
    const record = await this.#record(knockId);
    if (!record || record.m !== lobbyOf(meetingKey) || record.exp <= this.#now())
      throw new ApiError('knock_expired', 'the host did not answer in time; knock again');
    if (!sameHash(Buffer.from(sha256Text(knockSecret)), Buffer.from(record.h)))
      throw new ApiError('wrong_knock_secret', 'wrong knock secret');
    const answer = await this.#store.get(answerKey(knockId));
    if (answer === null) return { state: 'open' };
    await Promise.all([
      this.#store.delete(knockKey(knockId)),
      this.#store.delete(answerKey(knockId)),
      this.#unlist(meetingKey, record.s, knockId),
    ]);
    return answer === 'admit' ? { state: 'admitted', M2: record.p } : { state: 'denied' };
  }

  /** The knocker gives up: the knock leaves the host's list. */
  async withdraw(meetingKey: string, grp: string, knockId: string, knockSecret: string): Promise<void> {
    const record = await this.#record(knockId);
    if (!record || record.m !== lobbyOf(meetingKey)) return;
    if (!sameHash(Buffer.from(sha256Text(knockSecret)), Buffer.from(record.h)))
      throw new ApiError('wrong_knock_secret', 'wrong knock secret');
    await Promise.all([
      this.#unlist(meetingKey, record.s, knockId),
      this.#store.delete(knockKey(knockId)),
      this.#store.delete(answerKey(knockId)),
    ]);
    await this.#changed(grp);
  }

  /** The meeting ended or was deleted: forget every knock, waiting knockers learn it has expired. */
  async clear(meetingKey: string, grp: string): Promise<void> {
    const open = await this.list(meetingKey);
    await Promise.all([
      ...Array.from({ length: MAX_OPEN_KNOCKS }, (_, i) => this.#store.delete(slotKey(meetingKey, i))),
      ...open.flatMap((k) => [
        this.#store.delete(knockKey(k.knockId)),
        this.#store.delete(answerKey(k.knockId)),
      ]),
    ]);
    if (open.length) await this.#changed(grp);
  }

  /**
   * Calls `check` until it returns a value, the lobby of `grp` changes and `check` then returns
   * one, or `waitMs` runs out (then undefined).
   */
  async waitFor<T>(grp: string, waitMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = this.#now() + waitMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      const left = deadline - this.#now();
      if (left <= 0 || this.#closed) return undefined;
      await new Promise<void>((resolve) => {
        const waiters = this.#waiters.get(grp) ?? new Set<() => void>();
        this.#waiters.set(grp, waiters);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          if (waiters.size === 0 && this.#waiters.get(grp) === waiters) this.#waiters.delete(grp);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, RECHECK_MS));
        waiters.add(done);
      });
    }
  }

  /** Ends every wait now and any later one at once: a stopping API answers its long-polls. */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const waiters of this.#waiters.values()) for (const done of [...waiters]) done();
  }

  async #record(knockId: string): Promise<KnockRecord | undefined> {
    return parse<KnockRecord>(await this.#store.get(knockKey(knockId)));
  }

  async #unlist(meetingKey: string, slot: number, knockId: string): Promise<void> {
    const key = slotKey(meetingKey, slot);
    if (parse<Slot>(await this.#store.get(key))?.knockId === knockId) await this.#store.delete(key);
  }

  async #changed(grp: string): Promise<void> {
    this.#wake(grp);
    await this.#bus.publish({ type: 'lobby.changed', grp });
  }

  #wake(grp: string): void {
    for (const done of [...(this.#waiters.get(grp) ?? [])]) done();
  }
}
