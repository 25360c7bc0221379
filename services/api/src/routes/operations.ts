import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../db/database.ts';
import type { ApiMetrics } from '../observability/metrics.ts';

export interface OperationsOptions {
  metrics: ApiMetrics;
  db: Database;
  isDraining: () => boolean;
}

/** Liveness, readiness and Prometheus metrics; hidden from the OpenAPI document. */
export const operationsRoutes: FastifyPluginAsync<OperationsOptions> = async (app, opts) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (opts.isDraining()) return reply.code(503).send({ status: 'draining' });
    try {
      await opts.db.sql.query('SELECT 1');
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
};
