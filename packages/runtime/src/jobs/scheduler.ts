/**
 * Delayed jobs (meeting expiry, group purge). Implementations keep no history: a job is
 * gone once it ran or failed, so the queue never becomes a log of who met when.
 */
export type JobHandler = (data: Record<string, string>) => Promise<void>;

export interface JobScheduler {
  /** Registers the handler of a job kind; call before `start`. */
  handle(kind: string, handler: JobHandler): void;
  /** Schedules (or re-schedules) the job with this ID to run at `runAt`. */
  schedule(kind: string, jobId: string, runAt: Date, data: Record<string, string>): Promise<void>;
  cancel(kind: string, jobId: string): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}
