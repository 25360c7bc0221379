import type { types } from 'mediasoup';

/**
 * Who is loud, judged every `interval / phases` instead of every `interval`. mediasoup's
 * AudioLevelObserver averages each producer's RFC 6464 levels over at least 250 ms and needs
 * 10 packets in one interval, so one observer hears a new speaker only once an interval that
 * is mostly speech ends: up to 250 ms late on top of the speech it needs. `phases` observers
 * with the same interval, started `interval / phases` apart, each end an interval in turn, so
 * the first one that is mostly speech ends at most `interval / phases` after it could.
 *
 * Each observer's timer repeats from when it last ran, so their phases drift together under
 * load; they are spread out again every `RESTAGGER_MS` (a paused observer drops its partial
 * interval, which the others cover).
 */
export interface LoudnessOptions {
  /** The averaging window, ms (mediasoup takes no less than 250). */
  interval: number;
  /** Observers, staggered over one interval. */
  phases: number;
  /** dBov the window's average must reach to count as loud. */
  threshold: number;
  /** At most this many producers reported per window, loudest first. */
  maxEntries: number;
}

const RESTAGGER_MS = 20_000;

export class Loudness {
  readonly #observers: types.AudioLevelObserver[];
  readonly #options: LoudnessOptions;
  readonly #restagger: NodeJS.Timeout;
  #closed = false;

  /** `loud` is called with the producers loud over each window that ends. */
  static async create(
    router: types.Router,
    options: LoudnessOptions,
    loud: (producerIds: string[]) => void,
  ): Promise<Loudness> {
    const observers: types.AudioLevelObserver[] = [];
    try {
      for (let i = 0; i < options.phases; i++) {
        const observer = await router.createAudioLevelObserver({
          maxEntries: options.maxEntries,
          threshold: options.threshold,
          interval: options.interval,
        });
        observer.on('volumes', (volumes) => loud(volumes.map(({ producer }) => producer.id)));
        observers.push(observer);
      }
    } catch (error) {
      for (const observer of observers) observer.close();
      throw error;
    }
    const loudness = new Loudness(observers, options);
    await loudness.#stagger();
    return loudness;
  }

  private constructor(observers: types.AudioLevelObserver[], options: LoudnessOptions) {
    this.#observers = observers;
    this.#options = options;
    this.#restagger = setInterval(() => {
      if (this.closed) this.close();
      else void this.#stagger().catch(() => undefined);
    }, RESTAGGER_MS);
    this.#restagger.unref();
  }

  /** Closed, or its router is (which closes the observers). */
  get closed(): boolean {
    return this.#closed || this.#observers.some((o) => o.closed);
  }

  /** Watches one more microphone (mediasoup forgets a producer by itself when it closes). */
  async addProducer(producerId: string): Promise<void> {
    await Promise.all(this.#observers.map((o) => o.addProducer({ producerId })));
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#restagger);
    for (const observer of this.#observers) observer.close();
  }

  /**
   * Restarts observer i `i × interval / phases` after the first: a resumed observer's timer
   * starts over from the moment it resumes.
   */
  async #stagger(): Promise<void> {
    const step = this.#options.interval / this.#options.phases;
    const start = performance.now();
    for (const [i, observer] of this.#observers.entries()) {
      if (this.closed) return;
      const wait = start + i * step - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.closed) return;
      await observer.pause();
      await observer.resume();
    }
  }
}
