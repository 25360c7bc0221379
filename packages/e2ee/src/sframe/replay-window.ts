/**
 * Sliding anti-replay window over 64-bit counters (like IPsec/SRTP): accepts a counter above
 * the highest seen, or within `size` below it if not seen yet. Check before decrypting, record
 * only after authentication succeeded so forged frames cannot move the window.
 */
export class ReplayWindow {
  readonly size: number;
  #highest = -1n;
  #seen = 0n; // bit i set = (highest - i) was accepted

  constructor(size = 1024) {
    if (!Number.isInteger(size) || size < 1 || size > 65536) throw new RangeError('window size out of range');
    this.size = size;
  }

  /** Would `ctr` be accepted now? */
  check(ctr: bigint): boolean {
    if (ctr > this.#highest) return true;
    const offset = this.#highest - ctr;
    if (offset >= BigInt(this.size)) return false;
    return ((this.#seen >> offset) & 1n) === 0n;
  }

  /** Records `ctr`; returns false if it was already recorded or is now too old. */
  record(ctr: bigint): boolean {
    if (!this.check(ctr)) return false;
    const mask = (1n << BigInt(this.size)) - 1n;
    if (ctr > this.#highest) {
      const shift = ctr - this.#highest;
      this.#seen = shift >= BigInt(this.size) ? 1n : ((this.#seen << shift) | 1n) & mask;
      this.#highest = ctr;
    } else {
      this.#seen |= 1n << (this.#highest - ctr);
    }
    return true;
  }
}
