import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RoomDirectory } from '../rtc/room-directory.ts';

/**
 * Prometheus metrics of one SFU node. Aggregates only: no room, peer or session labels, so
 * the metrics cannot tell who met whom or when.
 */
export class SfuMetrics {
  readonly registry = new Registry();
  readonly connections: Gauge;
  readonly requests: Counter<'method' | 'outcome'>;
  readonly requestSeconds: Histogram;
  #rooms: RoomDirectory | undefined;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sfu_' });
    this.connections = new Gauge({
      name: 'sfu_signaling_connections',
      help: 'Open signaling WebSockets',
      registers,
    });
    this.requests = new Counter({
      name: 'sfu_signaling_requests_total',
      help: 'Signaling requests by method and outcome (ok or error code)',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'sfu_signaling_request_seconds',
      help: 'Signaling request handling time',
      buckets: [0.001, 0.005, 0.02, 0.05, 0.1, 0.5, 2],
      registers,
    });
    const self = this;
    const rooms = () => self.#rooms;
    new Gauge({
      name: 'sfu_workers',
      help: 'Live mediasoup workers',
      registers,
      collect() {
        this.set(rooms()?.pool.slots().length ?? 0);
      },
    });
    new Gauge({
      name: 'sfu_worker_restarts',
      help: 'Worker restarts since start',
      registers,
      collect() {
        this.set(rooms()?.pool.restarts ?? 0);
      },
    });
    new Gauge({
      name: 'sfu_worker_cpu_seconds',
      help: 'CPU time (user + system) used by each worker process since it started',
      labelNames: ['worker'],
      registers,
      async collect() {
        this.reset();
        for (const slot of rooms()?.pool.slots() ?? []) {
          try {
            const usage = await slot.worker.getResourceUsage();
            this.set({ worker: String(slot.index) }, (usage.ru_utime + usage.ru_stime) / 1000);
          } catch {
            // A worker dying during a scrape is reported by sfu_workers.
          }
        }
      },
    });
    new Gauge({
      name: 'sfu_draining',
      help: '1 while the node drains',
      registers,
      collect() {
        this.set(rooms()?.draining ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sfu_rooms',
      help: 'Rooms on this node',
      registers,
      collect() {
        this.set(rooms()?.rooms().length ?? 0);
      },
    });
    new Gauge({
      name: 'sfu_routers',
      help: 'Routers (a room has one per worker it spans)',
      registers,
      collect() {
        this.set(
          rooms()
            ?.rooms()
            .reduce((n, room) => n + room.routers().length, 0) ?? 0,
        );
      },
    });
    new Gauge({
      name: 'sfu_peers',
      help: 'Joined peers',
      registers,
      collect() {
        this.set(
          rooms()
            ?.rooms()
            .reduce((n, room) => n + room.peerCount, 0) ?? 0,
        );
      },
    });
    new Gauge({
      name: 'sfu_transports',
      help: 'Client transports',
      registers,
      collect() {
        this.set(self.#peers().reduce((n, peer) => n + peer.transports().length, 0));
      },
    });
    new Gauge({
      name: 'sfu_producers',
      help: 'Producers by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        const counts = { audio: 0, video: 0 };
        for (const peer of self.#peers()) for (const p of peer.producers()) counts[p.producer.kind]++;
        this.set({ kind: 'audio' }, counts.audio);
        this.set({ kind: 'video' }, counts.video);
      },
    });
    new Gauge({
      name: 'sfu_consumers',
      help: 'Consumers by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        const counts = { audio: 0, video: 0 };
        for (const peer of self.#peers()) for (const c of peer.consumers.list()) counts[c.kind]++;
        this.set({ kind: 'audio' }, counts.audio);
        this.set({ kind: 'video' }, counts.video);
      },
    });
    new Gauge({
      name: 'sfu_consumers_forwarding',
      help: 'Consumers whose media is forwarded now (neither the receiver nor the sender paused it), by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        const counts = { audio: 0, video: 0 };
        for (const peer of self.#peers())
          for (const c of peer.consumers.list()) if (!c.paused && !c.producerPaused) counts[c.kind]++;
        this.set({ kind: 'audio' }, counts.audio);
        this.set({ kind: 'video' }, counts.video);
      },
    });
    new Gauge({
      name: 'sfu_bitrate_bps',
      help: 'Media bitrate over all client transports, by direction (in = from clients)',
      labelNames: ['direction'],
      registers,
      async collect() {
        let recv = 0;
        let send = 0;
        const transports = self.#peers().flatMap((peer) => peer.transports());
        await Promise.all(
          transports.map(async (transport) => {
            try {
              for (const s of await transport.getStats()) {
                recv += s.recvBitrate ?? 0;
                send += s.sendBitrate ?? 0;
              }
            } catch {
              // Closed between listing and asking.
            }
          }),
        );
        this.set({ direction: 'in' }, recv);
        this.set({ direction: 'out' }, send);
      },
    });
  }

  #peers() {
    return this.#rooms?.rooms().flatMap((room) => room.peers()) ?? [];
  }

  /** Attaches the node's rooms; gauges read them on each scrape. */
  observe(rooms: RoomDirectory): void {
    this.#rooms = rooms;
  }
}
