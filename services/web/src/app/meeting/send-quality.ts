/**
 * How well this person's own microphone and camera reach the SFU, from their producers' stats
 * (the SFU's receiver reports: loss and round trip). The screen share is not counted: tiles of
 * people show how well the people come through.
 */
import type { Producer } from 'mediasoup-client/types';
import { type Quality, QualityTracker, worst } from './connection-quality.ts';

type Producers = ReadonlyMap<string, Pick<Producer, 'id' | 'kind' | 'paused' | 'closed' | 'getStats'>>;

export class SendQuality {
  readonly #producers: () => Producers;
  readonly #tracker = new QualityTracker();
  level: Quality = 'unknown';

  constructor(producers: () => Producers) {
    this.#producers = producers;
  }

  /** The latest round trip to the SFU, in seconds (receivers without one of their own use it). */
  get rtt(): number | undefined {
    return this.#tracker.rtt;
  }

  /** Reads each producer's stats once; true when the level changed. */
  async sample(): Promise<boolean> {
    const levels: Quality[] = [];
    const live = new Set<string>();
    for (const [source, p] of this.#producers()) {
      if (source === 'screen' || p.closed) continue;
      live.add(p.id);
      const stats = p.paused ? undefined : await p.getStats().catch(() => undefined);
      levels.push(this.#tracker.update(p.id, 'out', p.kind, stats, p.paused));
    }
    this.#tracker.retain(live);
    const before = this.level;
    this.level = worst(levels);
    return this.level !== before;
  }
}
