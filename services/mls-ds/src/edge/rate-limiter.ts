/** Token bucket: `rate` tokens per second, at most `burst` saved up. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(rate: number, burst: number, now: number = Date.now()) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes `cost` tokens if available. */
  take(cost = 1, now: number = Date.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }
}

/** Refused messages after which a flooding connection is closed. */
const MAX_VIOLATIONS = 50;

/** The per-connection limits on client messages: how many, how many bytes, and how many refusals. */
export class ClientFrameLimit {
  readonly #messages: TokenBucket;
  readonly #bytes: TokenBucket;
  #violations = 0;

  constructor(limits: {
    messagesPerSecond: number;
    messageBurst: number;
    bytesPerSecond: number;
    maxMessageBytes: number;
  }) {
    this.#messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst);
    // The byte burst always admits a couple of maximum-size messages.
    this.#bytes = new TokenBucket(
      limits.bytesPerSecond,
      Math.max(limits.bytesPerSecond, 2 * limits.maxMessageBytes),
    );
  }

  /** `refused`: answer with an error; `flooding`: close the connection. */
  admit(bytes: number): 'ok' | 'refused' | 'flooding' {
    if (this.#messages.take(1) && this.#bytes.take(bytes)) return 'ok';
    this.#violations += 1;
    return this.#violations >= MAX_VIOLATIONS ? 'flooding' : 'refused';
  }
}
