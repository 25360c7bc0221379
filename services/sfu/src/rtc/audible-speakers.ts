/**
 * Whose microphone a room forwards. In a meeting of hundreds, forwarding every open microphone
 * to every browser would cost each of them a decoder per person and the SFU N² packets, for
 * sound that is mostly silence. A room with more microphones than `limit` forwards only the
 * `limit` most recently loud ones (measured by the SFU from the RFC 6464 audio level each packet
 * carries, never from the encrypted audio); with `limit` or fewer, every microphone is forwarded,
 * as it always was. Someone who starts speaking takes the place of whoever was loud longest ago.
 */
export class AudibleSpeakers {
  readonly #limit: number;
  /** Every audio producer of the room, with when it was last loud (0: never). */
  readonly #lastLoud = new Map<string, number>();
  #audible = new Set<string>();

  constructor(limit: number) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  /** Whether `producerId`'s audio is forwarded now. */
  audible(producerId: string): boolean {
    return this.#audible.has(producerId);
  }

  /** A new microphone; returns the producers whose audibility changed. */
  add(producerId: string): Changes {
    if (!this.#lastLoud.has(producerId)) this.#lastLoud.set(producerId, 0);
    return this.#recount();
  }

  /** A microphone gone; returns the producers whose audibility changed (it is not among them). */
  remove(producerId: string): Changes {
    this.#lastLoud.delete(producerId);
    this.#audible.delete(producerId);
    return this.#recount();
  }

  /** The producers heard above the threshold in one interval of the room's level observer. */
  loud(producerIds: Iterable<string>, now: number): Changes {
    for (const id of producerIds) if (this.#lastLoud.has(id)) this.#lastLoud.set(id, now);
    return this.#recount();
  }

  #recount(): Changes {
    let next: Set<string>;
    if (this.#lastLoud.size <= this.#limit) next = new Set(this.#lastLoud.keys());
    else {
      // Kept in place among equals: whoever is audible stays so until someone louder comes.
      const ranked = [...this.#lastLoud].sort(
        ([a, at], [b, bt]) => bt - at || Number(this.#audible.has(b)) - Number(this.#audible.has(a)),
      );
      next = new Set(ranked.slice(0, this.#limit).map(([id]) => id));
    }
    const changes: Changes = { audible: [], inaudible: [] };
    for (const id of next) if (!this.#audible.has(id)) changes.audible.push(id);
    for (const id of this.#audible) if (!next.has(id)) changes.inaudible.push(id);
    this.#audible = next;
    return changes;
  }
}

/** Producers that became audible, and those no longer audible. */
export interface Changes {
  audible: string[];
  inaudible: string[];
}
