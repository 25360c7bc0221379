import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobHandler, JobScheduler } from './scheduler.ts';

/**
 * BullMQ scheduler for the distributed mode: any instance may run a job, each job runs once.
 * removeOnComplete/removeOnFail keep no job history; failed jobs retry a few times first.
 */
export class BullMqJobScheduler implements JobScheduler {
  readonly #connection: Redis;
  readonly #queue: Queue;
  readonly #handlers = new Map<string, JobHandler>();
  readonly #onError: (kind: string, error: unknown) => void;
  #worker: Worker | undefined;
  #workerConnection: Redis | undefined;

  constructor(
    redisUrl: string,
    queueName: string,
    onError: (kind: string, error: unknown) => void = () => {},
  ) {
    // BullMQ workers block on Redis, so they require maxRetriesPerRequest: null.
    this.#connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    // No event history: the events stream would otherwise keep a log of every job.
    this.#queue = new Queue(queueName, { connection: this.#connection, streams: { events: { maxLen: 0 } } });
    this.#onError = onError;
  }

  handle(kind: string, handler: JobHandler): void {
    this.#handlers.set(kind, handler);
  }

  async schedule(kind: string, jobId: string, runAt: Date, data: Record<string, string>): Promise<void> {
    const id = `${kind}|${jobId}`;
    await this.#queue.remove(id);
    await this.#queue.add(kind, data, {
      jobId: id,
      delay: Math.max(0, runAt.getTime() - Date.now()),
      removeOnComplete: true,
      removeOnFail: true,
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
    });
    await this.#queue.trimEvents(0);
  }

  async cancel(kind: string, jobId: string): Promise<void> {
    await this.#queue.remove(`${kind}|${jobId}`);
    await this.#queue.trimEvents(0);
  }

  async start(): Promise<void> {
    this.#workerConnection = this.#connection.duplicate({ maxRetriesPerRequest: null });
    this.#worker = new Worker(
      this.#queue.name,
      async (job) => {
        const handler = this.#handlers.get(job.name);
        if (!handler) throw new Error(`no handler for job kind ${job.name}`);
        await handler(job.data as Record<string, string>);
      },
      { connection: this.#workerConnection, concurrency: 4 },
    );
    this.#worker.on('failed', (job, error) => this.#onError(job?.name ?? 'unknown', error));
    this.#worker.on('completed', () => void this.#queue.trimEvents(0).catch(() => {}));
    this.#worker.on('error', (error) => this.#onError('worker', error));
    await this.#worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.#worker?.close();
    await this.#queue.close();
    // BullMQ leaves connections it was given open; they are ours to close.
    await Promise.all(
      [this.#workerConnection?.quit(), this.#connection.quit()].map((p) => p?.catch(() => {})),
    );
  }
}
