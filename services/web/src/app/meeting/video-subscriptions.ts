/**
 * Video follows the screen: the SFU forwards a video consumer only while its tile is on the
 * page shown, and a camera at the simulcast layer that fits the tile. Everything else stays
 * paused at the SFU, so a browser's download and decoding grow with what it shows, not with
 * the size of the meeting. Audio is not handled here (it is always received).
 *
 * The SFU makes every consumer paused; a video consumer is resumed here only once the grid
 * shows it. Requests for one consumer go one at a time, and only the last wish is sent.
 */

/** Heights of the camera's simulcast layers for a 720p capture (sfu-session.ts: r0 r1 r2). */
export const LAYER_HEIGHTS = [180, 360, 720] as const;

/**
 * The lowest layer that looks sharp in a tile `height` device pixels high: a layer may be
 * scaled up by a quarter before it looks soft.
 */
export function layerFor(height: number): number {
  const i = LAYER_HEIGHTS.findIndex((h) => h * 1.25 >= height);
  return i < 0 ? LAYER_HEIGHTS.length - 1 : i;
}

/** What the SFU is asked to do with one consumer. */
export interface SubscriptionRequests {
  pause(consumerId: string): Promise<unknown>;
  resume(consumerId: string): Promise<unknown>;
  layer(consumerId: string, spatialLayer: number): Promise<unknown>;
}

/** A video consumer the grid may show; `layered`: a simulcast camera (a screen has one layer). */
export interface VideoConsumer {
  id: string;
  layered: boolean;
}

interface Wish {
  receiving: boolean;
  layer: number | undefined;
}

interface Subscription {
  layered: boolean;
  wanted: Wish;
  /** What the SFU has confirmed. */
  applied: Wish;
  busy: boolean;
}

const sameWish = (a: Wish, b: Wish) => a.receiving === b.receiving && a.layer === b.layer;

export class VideoSubscriptions {
  readonly #requests: SubscriptionRequests;
  readonly #subs = new Map<string, Subscription>();

  constructor(requests: SubscriptionRequests) {
    this.#requests = requests;
  }

  /**
   * The grid's wish: `shown` maps each video consumer on screen to its tile's height in device
   * pixels; every other consumer of `consumers` is paused. Consumers not listed are forgotten.
   */
  apply(consumers: Iterable<VideoConsumer>, shown: ReadonlyMap<string, number>): void {
    const live = new Set<string>();
    for (const c of consumers) {
      live.add(c.id);
      let sub = this.#subs.get(c.id);
      if (!sub) {
        const paused: Wish = { receiving: false, layer: undefined };
        sub = { layered: c.layered, wanted: paused, applied: paused, busy: false };
        this.#subs.set(c.id, sub);
      }
      const height = shown.get(c.id);
      sub.wanted =
        height === undefined
          ? { receiving: false, layer: sub.applied.layer }
          : { receiving: true, layer: c.layered ? layerFor(height) : undefined };
      void this.#drive(c.id, sub);
    }
    for (const id of this.#subs.keys()) if (!live.has(id)) this.#subs.delete(id);
  }

  /** Whether the SFU forwards this consumer now, and at which layer (diagnostics read it). */
  state(consumerId: string): { receiving: boolean; layer: number | null } {
    const sub = this.#subs.get(consumerId);
    return { receiving: sub?.applied.receiving ?? false, layer: sub?.applied.layer ?? null };
  }

  /** Sends what is wanted and not yet applied, one request at a time. */
  async #drive(id: string, sub: Subscription): Promise<void> {
    if (sub.busy) return;
    sub.busy = true;
    try {
      while (this.#subs.get(id) === sub && !sameWish(sub.wanted, sub.applied)) {
        const { wanted, applied } = sub;
        // The layer first: a consumer resumed at the wrong layer would send a key frame of it.
        if (wanted.layer !== undefined && wanted.layer !== applied.layer) {
          await this.#requests.layer(id, wanted.layer);
          sub.applied = { ...sub.applied, layer: wanted.layer };
        } else if (wanted.receiving !== applied.receiving) {
          await (wanted.receiving ? this.#requests.resume(id) : this.#requests.pause(id));
          sub.applied = { ...sub.applied, receiving: wanted.receiving };
        } else break;
      }
    } catch (error) {
      // The consumer is gone at the SFU (its producer closed): its closing is announced apart.
      if (this.#subs.get(id) === sub) this.#subs.delete(id);
      console.warn('sfu: video subscription failed', (error as { code?: string }).code ?? 'unknown');
    } finally {
      sub.busy = false;
    }
  }
}
