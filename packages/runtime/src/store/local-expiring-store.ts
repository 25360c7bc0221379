import type { ExpiringStore } from './expiring-store.ts';

interface Entry {
  value: string;
  count: number;
  expiresAt: number;
}

const SWEEP_INTERVAL_MS = 10_000;

/** In-memory store for the embedded single-node mode; expired keys are swept periodically. */
export class LocalExpiringStore implements ExpiringStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key)) return false;
    this.#entries.set(key, { value: '1', count: 1, expiresAt: this.#now() + ttlMs });
    return true;
  }

  async hit(key: string, windowMs: number): Promise<number> {
    const entry = this.#live(key);
    if (entry) {
      entry.value = String(++entry.count);
      return entry.count;
    }
    this.#entries.set(key, { value: '1', count: 1, expiresAt: this.#now() + windowMs });
    return 1;
  }

  async getOrSet(key: string, value: string, ttlMs: number): Promise<string> {
    const entry = this.#live(key) ?? { value, count: 0, expiresAt: 0 };
    entry.expiresAt = this.#now() + ttlMs;
    this.#entries.set(key, entry);
    return entry.value;
  }

  async get(key: string): Promise<string | null> {
    return this.#live(key)?.value ?? null;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
  }

  /** Number of live keys; lets tests assert that nothing outlives its window. */
  get size(): number {
    this.sweep();
    return this.#entries.size;
  }

  sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > this.#now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }
}
