import { EventEmitter } from 'node:events';
import type { Logger } from '@conclave/runtime';
import type { types } from 'mediasoup';
import { mediasoup, useWorkerBinary } from './mediasoup.ts';

export interface WorkerPoolOptions {
  size: number;
  listenIp: string;
  announcedIp?: string;
  /** Worker i's WebRtcServer listens on UDP and TCP port `portBase + i`. */
  portBase: number;
  /** Port range for plain and pipe transports (room spread over workers, tests, benchmarks). */
  minPort: number;
  maxPort: number;
  workerBin?: string;
  log: Logger;
}

/** One worker process and what lives on it. `load` counts peers assigned to its routers. */
export interface WorkerSlot {
  readonly index: number;
  readonly worker: types.Worker;
  readonly webRtcServer: types.WebRtcServer;
  load: number;
}

interface WorkerPoolEvents {
  /** A worker died; its routers are already closed. */
  workerDied: [index: number];
  workerRestarted: [index: number];
}

const RESTART_DELAYS_MS = [0, 250, 1000, 2000, 5000];

/**
 * The node's mediasoup workers, one per core. Each has a WebRtcServer so all WebRTC traffic
 * of a worker shares one UDP and one TCP port. A worker that dies is restarted in the same slot.
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #options: WorkerPoolOptions;
  readonly #slots: (WorkerSlot | undefined)[];
  #restarts = 0;
  #closed = false;

  private constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
    this.#slots = new Array(options.size).fill(undefined);
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    useWorkerBinary(options.workerBin);
    const pool = new WorkerPool(options);
    try {
      for (let i = 0; i < options.size; i++) pool.#slots[i] = await pool.#start(i);
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.#slots.length;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** Live slots (a restarting worker is missing). */
  slots(): WorkerSlot[] {
    return this.#slots.filter((slot): slot is WorkerSlot => slot !== undefined);
  }

  slot(index: number): WorkerSlot | undefined {
    return this.#slots[index];
  }

  /** The live worker with the fewest peers, preferring ones not in `avoid`. */
  leastLoaded(avoid: ReadonlySet<number> = new Set()): WorkerSlot | undefined {
    const live = this.slots();
    const fresh = live.filter((slot) => !avoid.has(slot.index));
    const candidates = fresh.length > 0 ? fresh : live;
    return candidates.reduce<WorkerSlot | undefined>(
      (best, slot) => (best === undefined || slot.load < best.load ? slot : best),
      undefined,
    );
  }

  async #start(index: number): Promise<WorkerSlot> {
    const o = this.#options;
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      rtcMinPort: o.minPort,
      rtcMaxPort: o.maxPort,
      appData: { index },
    });
    let webRtcServer: types.WebRtcServer;
    try {
      const port = o.portBase + index;
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: o.listenIp, announcedIp: o.announcedIp, port },
          { protocol: 'tcp', ip: o.listenIp, announcedIp: o.announcedIp, port },
        ],
      });
    } catch (error) {
      worker.close();
      throw error;
    }
    worker.on('died', () => this.#onDied(index, worker));
    o.log.info({ event: 'worker_started', workers: index, pid: worker.pid });
    return { index, worker, webRtcServer, load: 0 };
  }

  #onDied(index: number, worker: types.Worker): void {
    if (this.#closed || this.#slots[index]?.worker !== worker) return;
    this.#slots[index] = undefined;
    this.#restarts++;
    this.#options.log.error({ event: 'worker_died', workers: index, pid: worker.pid });
    this.emit('workerDied', index);
    void this.#restart(index, 0);
  }

  async #restart(index: number, attempt: number): Promise<void> {
    const delay = RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)]!;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (this.#closed) return;
    try {
      const slot = await this.#start(index);
      if (this.#closed) {
        slot.worker.close();
        return;
      }
      this.#slots[index] = slot;
      this.emit('workerRestarted', index);
    } catch (error) {
      this.#options.log.error({ event: 'worker_restart_failed', workers: index, err: error });
      void this.#restart(index, attempt + 1);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) slot?.worker.close();
    this.#slots.fill(undefined);
  }
}
