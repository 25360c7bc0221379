import type { FastifyInstance } from 'fastify';
import type { RoomDirectory } from '../rtc/room-directory.ts';
import type { SfuMetrics } from './metrics.ts';

export interface HealthOptions {
  rooms: RoomDirectory;
  metrics: SfuMetrics;
}

/** `/healthz` (process alive), `/readyz` (takes new rooms) and `/metrics` (Prometheus). */
export async function healthPlugin(app: FastifyInstance, { rooms, metrics }: HealthOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const workers = rooms.pool.slots().length;
    const ready = workers > 0 && !rooms.draining;
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'unavailable', workers, draining: rooms.draining });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
