/**
 * Short-lived keys shared by all instances of a service: single-use markers, rate-limit
 * windows, sticky assignments. Every key expires; nothing here outlives its window.
 */
export interface ExpiringStore {
  /** Sets the key if absent; true when this call set it (first use), false when it existed. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Counts a hit in a fixed window starting at the first hit; returns the count so far. */
  hit(key: string, windowMs: number): Promise<number>;
  /** Returns the stored value, or stores `value` when absent and returns it. Refreshes the TTL. */
  getOrSet(key: string, value: string, ttlMs: number): Promise<string>;
  /** The stored value (a hit counter's count, in decimal), or null when absent or expired. Does not touch the TTL. */
  get(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
