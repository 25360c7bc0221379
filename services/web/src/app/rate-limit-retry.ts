/**
 * Waiting out a 429. The API limits requests and wrong passwords per source (an IPv4 address or
 * an IPv6 /64) for one minute, and people behind one NAT share a source, so a 429 usually passes
 * on its own: wait, say so, and try again instead of failing the join.
 */

/** Waits before each retry, in ms; after the last, the 429 is shown as an error. */
export const RATE_LIMIT_BACKOFF_MS = [5_000, 10_000, 20_000, 40_000, 60_000] as const;

export interface RateLimitRetryOptions {
  /** Called before each wait, with its length: show it to the person. */
  onWait: (waitMs: number) => void;
  /** Called once the wait is over and the request runs again. */
  onRetry?: () => void;
  backoffMs?: readonly number[];
  /** Spreads retries of people behind one address apart: a factor in [0.8, 1.2). */
  jitter?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const isRateLimited = (error: unknown) =>
  (error as { status?: number; code?: string } | null)?.status === 429 &&
  (error as { code?: string }).code === 'rate_limited';

export async function retryWhenRateLimited<T>(
  attempt: () => Promise<T>,
  options: RateLimitRetryOptions,
): Promise<T> {
  const backoff = options.backoffMs ?? RATE_LIMIT_BACKOFF_MS;
  const jitter = options.jitter ?? (() => 0.8 + Math.random() * 0.4);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      const base = backoff[retry];
      if (!isRateLimited(error) || base === undefined) throw error;
      const waitMs = Math.round(base * jitter());
      options.onWait(waitMs);
      await sleep(waitMs);
      options.onRetry?.();
    }
  }
}
