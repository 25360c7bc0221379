import type { JobHandler, JobScheduler } from './scheduler.ts';

// setTimeout cannot wait longer than 2^31-1 ms (~24.8 days); longer jobs re-arm.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** In-process scheduler for the embedded mode. Jobs live in memory only. */
export class LocalJobScheduler implements JobScheduler {
  readonly #handlers = new Map<string, JobHandler>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #pending = new Map<string, { kind: string; runAt: number; data: Record<string, string> }>();
  readonly #onError: (kind: string, error: unknown) => void;
  #started = false;

  constructor(onError: (kind: string, error: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  handle(kind: string, handler: JobHandler): void {
    this.#handlers.set(kind, handler);
  }

  async schedule(kind: string, jobId: string, runAt: Date, data: Record<string, string>): Promise<void> {
    const key = `${kind}:${jobId}`;
    this.#clear(key);
    this.#pending.set(key, { kind, runAt: runAt.getTime(), data });
    if (this.#started) this.#arm(key);
  }

  async cancel(kind: string, jobId: string): Promise<void> {
    const key = `${kind}:${jobId}`;
    this.#clear(key);
    this.#pending.delete(key);
  }

  async start(): Promise<void> {
    this.#started = true;
    for (const key of this.#pending.keys()) this.#arm(key);
  }

  async close(): Promise<void> {
    this.#started = false;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Number of jobs waiting; the embedded mode's equivalent of counting queue keys. */
  get size(): number {
    return this.#pending.size;
  }

  #arm(key: string): void {
    const job = this.#pending.get(key);
    if (!job) return;
    const delay = Math.max(0, job.runAt - Date.now());
    const timer = setTimeout(
      () => {
        this.#timers.delete(key);
        if (delay > MAX_TIMER_MS) return this.#arm(key);
        this.#pending.delete(key);
        const handler = this.#handlers.get(job.kind);
        handler?.(job.data).catch((error) => this.#onError(job.kind, error));
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    timer.unref();
    this.#timers.set(key, timer);
  }

  #clear(key: string): void {
    const timer = this.#timers.get(key);
    if (timer) clearTimeout(timer);
    this.#timers.delete(key);
  }
}
